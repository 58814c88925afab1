"""Read a year's work plan (工作要点) into items with lead units, participants and targets. Pure: no database.

Input is text (.txt, .md, pasted) or .docx (paragraphs; bold runs become **…**, heading styles become #).
Shape the federation's plans come in:
- sections `一、…` (optionally under markdown #), sub-sections `（一）…`, items `1.` / `1．` / `1、`;
- an item's title is its leading bold text, or without bold the text up to the first `。`;
- a closing parenthesis names the units: `（牵头部室：A、B，参与单位：各街道总工会，…）` or `（责任部门：…）`.
Lines broken by page breaks are joined first: a line that starts no heading or item, after a line that does
not end a sentence, continues that line. Item numbers must go up (a `3.` inside a paragraph stays text);
numbering that restarts in each section gets the section's numeral in front (二-1) so numbers stay unique.
"""
from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from eventsvc.imports.plan_numbers import chinese_to_int
from eventsvc.imports.plan_targets import PlanTarget, extract_targets
from eventsvc.imports.plan_units import GroupExpansion, UnitDirectory, default_directory, split_units

SECTION_RE = re.compile(r"^(?P<num>[一二三四五六七八九十]+)[、．.]\s*(?P<text>.+)$")
SUBSECTION_RE = re.compile(r"^[（(][一二三四五六七八九十]+[）)]\s*\S")
ITEM_RE = re.compile(r"^(?P<num>\d{1,3})\s*[.．、](?!\d)\s*(?P<text>.+)$")
UNITS_RE = re.compile(r"[（(](?P<inner>[^（）()]*(?:牵头|责任|参与单位|主责|配合单位)[^（）()]*?)[）)]\s*$")
SENTENCE_END = "。！？；;：:）)”"
PAGE_NUMBER_RE = re.compile(r"[-—–\s]*(?:第\s*)?\d{1,3}\s*(?:页)?[-—–\s]*")
YEAR_RE = re.compile(r"(20\d{2})\s*年\s*(?:度)?\s*工作(?:要点|计划|思路)")


@dataclass
class PlanItem:
    """One numbered item of the plan: a future program."""

    number: str
    section: str
    title: str
    text: str
    subsection: str = ""
    lead: list[str] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    groups: list[GroupExpansion] = field(default_factory=list)
    targets: list[PlanTarget] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def has_target(self) -> bool:
        return bool(self.targets)

    @property
    def figures(self) -> int:
        """How many figures of the text became targets (shares and named rates of one figure count once)."""
        return len({t.figure for t in self.targets})

    def to_dict(self) -> dict[str, object]:
        return {
            "number": self.number, "section": self.section, "subsection": self.subsection, "title": self.title,
            "lead": self.lead, "participants": self.participants, "groups": [g.to_dict() for g in self.groups],
            "targets": [t.to_dict() for t in self.targets], "has_target": self.has_target,
            "warnings": self.warnings, "text": self.text,
        }


@dataclass
class Plan:
    year: int | None
    items: list[PlanItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def figures(self) -> int:
        return sum(item.figures for item in self.items)

    def to_dict(self) -> dict[str, object]:
        return {"year": self.year, "items": [item.to_dict() for item in self.items], "warnings": self.warnings}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def parse_plan_text(text: str, year: int | None = None, directory: UnitDirectory | None = None,
                    aliases: dict[str, str] | None = None) -> Plan:
    """Parse a plan's text; `directory` defaults to DESIGN.md's units, `aliases` extend its alias table."""
    units = (directory or default_directory()).with_aliases(aliases)
    lines = join_broken_lines(text)
    plan = Plan(year if year is not None else detect_year(text))
    section = subsection = section_num = ""
    last_number = 0
    current: list[str] | None = None
    heads: list[tuple[str, str, str, str]] = []  # (number, section, subsection, first line)
    bodies: list[list[str]] = []
    restarted = False
    for raw in lines:
        line = _strip_markdown_heading(raw)
        item = ITEM_RE.match(line)
        if item and _accepts(int(item.group("num")), last_number, bool(heads) and section_num != heads[-1][3]):
            number = int(item.group("num"))
            if heads and number <= last_number:
                restarted = True
            last_number = number
            heads.append((item.group("num"), section, subsection, section_num))
            current = [item.group("text")]
            bodies.append(current)
            continue
        section_match = SECTION_RE.match(line) if not line.startswith("**") else None
        if section_match and chinese_to_int(section_match.group("num")):
            section, subsection, section_num, current = line, "", section_match.group("num"), None
            continue
        if SUBSECTION_RE.match(line) and not UNITS_RE.match(line):
            subsection, current = line, None
            continue
        if current is not None:
            current.append(raw)
    for (written, sec, sub, sec_num), body in zip(heads, bodies, strict=False):
        label = f"{sec_num}-{written}" if restarted and sec_num else written
        plan.items.append(_build_item(label, sec, sub, body, units))
    if restarted:
        plan.warnings.append("各部分的条目编号重新从 1 开始，已在编号前加上部分序号（如 二-1）")
    if not plan.items:
        plan.warnings.append("未找到编号条目（如“1.”“1．”），请检查文本格式")
    return plan


def _accepts(number: int, last: int, new_section: bool) -> bool:
    """An item number must follow the previous one (or restart at 1 in a new section); gaps of up to 2 pass."""
    return last < number <= last + 3 or (number == 1 and (new_section or last == 0))


def _strip_markdown_heading(line: str) -> str:
    return re.sub(r"^#{1,6}\s*", "", line.strip()).strip()


def _build_item(number: str, section: str, subsection: str, lines: list[str], units: UnitDirectory) -> PlanItem:
    body = "\n".join(line.strip() for line in lines).strip()
    title, rest = _title(body)
    plain = rest.replace("**", "")
    item = PlanItem(number, section, title, "")
    item.subsection = subsection
    closing = UNITS_RE.search(plain)
    if closing:
        mapping = split_units(closing.group("inner"), units)
        item.lead, item.participants, item.groups = mapping.lead, mapping.participants, mapping.groups
        plain = plain[:closing.start()].rstrip()
        for name in mapping.unmapped:
            item.warnings.append(f"单位“{name}”未对应到组织，请选择对应单位或在别名表中补充")
        if not item.lead:
            item.warnings.append("未能识别牵头部室，请人工指定")
    else:
        item.warnings.append("未找到（牵头部室：…）或（责任部门：…），请人工指定牵头部室和参与单位")
    item.text = plain
    item.targets, target_warnings = extract_targets(f"{title}。{plain}" if title not in plain else plain, units)
    item.warnings.extend(target_warnings)
    return item


def _title(body: str) -> tuple[str, str]:
    """(title, the text after it): leading bold text, else up to the first 。 (kept in the text)."""
    bold = re.match(r"^\*\*(?P<title>.+?)\*\*", body, re.DOTALL)
    if bold:
        return bold.group("title").strip().rstrip("。."), body[bold.end():].strip()
    end = body.find("。")
    title = body[:end] if 0 < end <= 60 else body[:40]
    if end <= 0 or end > 60:
        return title.strip(), body
    return title.strip(), body[end + 1:].strip()


def join_broken_lines(text: str) -> list[str]:
    """Join lines a page break split: a line that starts nothing new continues a line that ended mid-sentence."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\u3000", " ").split("\n"):
        line = raw.strip()
        if not line or PAGE_NUMBER_RE.fullmatch(line):
            continue  # blank lines and bare page numbers ("- 3 -", "12")
        starts_new = line.startswith("#") or _starts_block(line)
        closing_units = bool(UNITS_RE.match(line))
        # A heading wrapped by a page break continues with a short rest; a long line after it is a paragraph.
        after_heading = bool(out) and (out[-1].startswith("#") or _starts_heading(out[-1]) and len(line) > 40)
        if out and not starts_new and (closing_units or not _ends_sentence(out[-1])) and not after_heading:
            out[-1] = _glue(out[-1], line)
        else:
            out.append(line)
    return out


def _starts_heading(line: str) -> bool:
    plain = line.lstrip("*")
    return bool(SECTION_RE.match(plain) or SUBSECTION_RE.match(plain))


def _starts_block(line: str) -> bool:
    plain = line.lstrip("*")
    return bool(ITEM_RE.match(plain) or SECTION_RE.match(plain) or SUBSECTION_RE.match(plain))


def _ends_sentence(line: str) -> bool:
    return line.rstrip("*").endswith(tuple(SENTENCE_END))


def _glue(left: str, right: str) -> str:
    """CJK text joins without a space; Latin words keep one."""
    if re.search(r"[A-Za-z0-9]$", left) and re.match(r"^[A-Za-z0-9]", right):
        return f"{left} {right}"
    return left + right


def detect_year(text: str) -> int | None:
    match = YEAR_RE.search(text[:2000])
    return int(match.group(1)) if match else None


def docx_text(source: str | Path | IO[bytes]) -> tuple[str, list[str]]:
    """A .docx as plan text: bold runs wrapped in ** **, headings prefixed with #, Word auto-numbers written out."""
    import docx  # python-docx; imported here so the text parser works without it
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError  # type: ignore[import-untyped]

    try:
        document = docx.Document(source)  # type: ignore[arg-type]
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, XMLSyntaxError) as exc:
        raise ValueError(f"无法读取 .docx 文件，文件可能已损坏或不是 Word 文档（{exc}）") from None
    lines: list[str] = []
    warnings: list[str] = []
    counters: dict[str, int] = {}
    for paragraph in document.paragraphs:
        text = _runs_as_markdown(paragraph)
        if not text.strip():
            lines.append("")
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.lower().startswith("heading") or style.startswith("标题"):
            text = "# " + text
        p_pr: Any = paragraph._p.pPr
        num: Any = p_pr.numPr if p_pr is not None else None  # Word's own list numbering, not in the text
        if num is not None and num.numId is not None and not _starts_block(text.lstrip("# ")):
            key = str(num.numId.val)
            counters[key] = counters.get(key, 0) + 1
            text = f"{counters[key]}. {text}"
            if "自动编号" not in "".join(warnings):
                warnings.append("文档使用 Word 自动编号，条目编号按出现顺序推算，请核对")
        lines.append(text)
    return "\n".join(lines), warnings


def _runs_as_markdown(paragraph) -> str:  # type: ignore[no-untyped-def]
    parts: list[str] = []
    bold_open = False
    for run in paragraph.runs:
        if not run.text:
            continue
        is_bold = bool(run.bold) or bool(paragraph.style is not None and paragraph.style.font.bold and run.bold is None)
        if is_bold != bold_open and run.text.strip():
            parts.append("**")
            bold_open = is_bold
        parts.append(run.text)
    if bold_open:
        parts.append("**")
    return "".join(parts).replace("****", "")


def parse_plan_file(path: str | Path, year: int | None = None, directory: UnitDirectory | None = None,
                    aliases: dict[str, str] | None = None) -> Plan:
    """Parse a .docx, .txt or .md file (text in UTF-8, or GB18030 as older Windows files are)."""
    path = Path(path)
    warnings: list[str] = []
    if path.suffix.lower() == ".docx":
        text, warnings = docx_text(path)
    elif path.suffix.lower() in (".txt", ".md", ".markdown", ""):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
    else:
        raise ValueError(f"不支持的文件类型“{path.suffix}”，请上传 .docx、.txt 或 .md 文件")
    plan = parse_plan_text(text, year, directory, aliases)
    plan.warnings[:0] = warnings
    return plan
