"""The year overview's page footer names the downloading user's unit, not always 龙岗区总工会 (issue 11)."""
from __future__ import annotations

from typing import Any

from tests.reports.conftest import pdf_pages


def _footers(data: bytes) -> list[str]:
    return ["".join(page.split()) for page in pdf_pages(data)]


def test_year_overview_footer_names_the_downloaders_unit(client: Any, login: Any, tree: dict[str, Any],
                                                         create_program: Any, create_event: Any) -> None:
    create_event(create_program(org=tree["root"], name="普法宣传"), tree["a"], title="平湖普法讲座")
    login(tree["org_a"])
    resp = client.get("/reports/year/2026.pdf")
    assert resp.status_code == 200
    pages = _footers(resp.data)
    assert pages and all("平湖街道总工会·2026年度工作项目进度" in p for p in pages)
    assert not any("龙岗区总工会" in p.replace("深圳市龙岗区总工会", "") for p in pages)

    login(tree["admin"])
    text = "".join(_footers(client.get("/reports/year/2026.pdf").data))
    assert f"{tree['admin'].organization.name}·2026年度工作项目进度" in text
