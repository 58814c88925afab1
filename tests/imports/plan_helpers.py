"""Helpers for the plan import tests: the district's units, and a form submitted as a browser would."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from eventsvc.orgs.models import DEPARTMENT, STREET, Organization
from eventsvc.orgs.operations import create_organization

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
PLAN_2026 = SEEDS / "2026-work-plan.md"
DEPARTMENTS = ["办公室", "宣教服务部", "权益保障部", "组织建设部"]
MORE_STREETS = ["布吉", "南湾", "横岗", "园山", "龙城", "龙岗", "宝龙", "坪地", "吉华"]  # 平湖, 坂田 are in `tree`


def add_district_units(root: Organization) -> dict[str, Organization]:
    """The four departments and the nine streets the test tree lacks, under the district root."""
    units = {name: create_organization(name, DEPARTMENT, root, by=None, short_name=name) for name in DEPARTMENTS}
    for street in MORE_STREETS:
        name = f"{street}街道总工会"
        units[name] = create_organization(name, STREET, root, by=None, short_name=name)
    return units


class _FormReader(HTMLParser):
    """Collect what a browser would submit from the page's POST forms: checked boxes, texts, selected options."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a: dict[str, Any] = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value") or "on"
            elif kind not in ("file", "submit"):
                self.fields[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.fields[name] = ""
            self._textarea = name
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value") or ""
            if self._first_option is None:
                self._first_option = value
                self.fields.setdefault(self._select, value)
            if "selected" in a:
                self.fields[self._select] = value

    def handle_data(self, data: str) -> None:
        if self._textarea:  # a textarea sends its text (a leading newline is dropped, as browsers do)
            self.fields[self._textarea] += data.removeprefix("\n") if not self.fields[self._textarea] else data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def browser_form(html: str) -> dict[str, str]:
    """The fields the page's forms would send unchanged (one page-wide form in the plan preview)."""
    reader = _FormReader()
    reader.feed(html)
    return reader.fields
