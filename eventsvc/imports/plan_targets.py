"""Target figures inside a plan item's text, and what each one measures.

A figure is a number followed by a unit (50 场, 8 万人次, 85%, 780 万元, 百名). Its metric comes from the
unit and the words around it (the clause before it and the sentence after it):

- 场 / 场次 / 期 → sessions; 项 → sessions next to 活动/赛/宣讲/培训/演出, outcome next to 项目/成果/创新/课题,
  otherwise quantity with a warning.
- 人次 → attendances.
- 人 / 名 → participants (people reached), unless the words name people the year produces rather than
  people served (会员, 人才, 能手, 代表, 讲师, 信息员, 工匠, 骨干 …) → outcome.
- 家 / 门 → outcome (enterprises unionized, studios, courses); 个 → outcome next to 驿站/示范点/阵地/工作室/
  项目/基地/品牌 or after 打造/建设/培育/新增, otherwise quantity (问题 100 个 is solved event by event).
- 份 / 次 / 张 / 件 / 条 / 宗 / 篇 / 批 / 支 → quantity (recorded per event).
- 元 / 万元 / 亿元 → amount, value as written (780 万元 → 780 万元); % → rate (85% → 85 %).
Kinds: sessions, attendances, participants, quantity → counted; amount → amount; rate → rate; outcome → reported.

万 before a count unit is multiplied out (2.5 万人 → 25000 人). A range (2-3 家) gives its lower bound and a
warning. Chinese numerals (百名, 一次, 六十场) count only right after a target word (至少, 组建, 开展 …), so
三大节, 一室一品 and 三级 stay words.

Not targets: numbers inside quotes or book titles (“1+11+N”, “双百”, 《…》), after 第 (第四届), next to + (11+2),
years (2026年: 年 is no unit), thresholds (百人以上企业, 25 人以上单位, 300人以上设立…, 不足 25 人, 25 人企业),
and counts of aspects or measures (7 个方面, 13 条具体措施).

Level splits follow a figure in parentheses: 47项（市级1项、区级6项、街道级40项）gives the overall 47 and level
targets 1, 6, 40, with a warning when they do not add up. A clause naming 各街道 / 各部室 gives one share per unit
(organization set) instead of an overall target. A rate naming several rates (职代会、企务公开建制率 95%,
A率、B率均达 95%) gives one rate target per name.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from eventsvc.imports.plan_numbers import CN_CHARS, NUMBER_RE, as_number, chinese_to_int
from eventsvc.imports.plan_units import UnitDirectory

SESSIONS, ATTENDANCES, PARTICIPANTS, QUANTITY = "sessions", "attendances", "participants", "quantity"
AMOUNT, RATE, OUTCOME = "amount", "rate", "outcome"
COUNTED, REPORTED = "counted", "reported"
KIND_OF = {SESSIONS: COUNTED, ATTENDANCES: COUNTED, PARTICIPANTS: COUNTED, QUANTITY: COUNTED,
           AMOUNT: AMOUNT, RATE: RATE, OUTCOME: REPORTED}

UNITS = ["人次", "场次", "万元", "亿元", "元", "%", "％", "场", "期", "项", "人", "名", "份", "个", "次", "家", "门",
         "件", "张", "条", "宗", "篇", "批", "支", "户"]
FIGURE_RE = re.compile(rf"(?:{NUMBER_RE.pattern})\s*(?P<unit>{'|'.join(UNITS)})")
LEVEL_RE = re.compile(rf"(?P<level>市级|区级|街道级|社区级|省级|国家级|园区级)\s*(?:{NUMBER_RE.pattern})\s*(?P<unit>"
                      rf"{'|'.join(UNITS)})")

CUES = ("不少于", "不低于", "至少", "超过", "达到", "力争", "累计", "稳定在", "保持在", "保持", "均达", "达", "超",
        "在")
CN_CUES = ("至少", "不少于", "不低于", "超过", "达到", "组建", "打造", "培育", "培养", "开展", "举办", "组织", "建设",
           "发展", "新增", "完成", "建立", "覆盖", "服务", "达", "超")
CN_CUE_RE = re.compile(rf"(?:{'|'.join(CN_CUES)})[^，。；;、\n]{{0,4}}$")
PUNCT = "，。；;！？、）)\n"
THRESHOLD_BEFORE = re.compile(r"(?:不足|低于|未满|未达|(?<!不)少于)\s*$")
THRESHOLD_NOUN_AFTER = re.compile(r"^(?:企业|单位|公司|规模|以下)")
ASPECT_AFTER = re.compile(r"^(?:方面|领域|层面|维度|环节|板块|类别|职能部门|部门|具体措施|措施|核心制度|制度"
                          r"|重点任务|任务)")
OUTCOME_PEOPLE = re.compile(r"会员|人才|能手|代表|讲师|导师|信息员|工匠|劳模|骨干|队员|志愿者|指导员|工作者|典型|先进")
OUTCOME_THINGS = re.compile(r"驿站|站点|示范点|阵地|工作室|之家|小屋|项目|基地|品牌|平台|案例|中心|课程"
                            r"|打造|建设|培育|新增")
SESSION_WORDS = re.compile(r"活动|赛|宣讲|讲座|培训|演出|服务")
OUTCOME_ITEMS = re.compile(r"项目|成果|创新|课题|专利|案例")


@dataclass
class PlanTarget:
    """One target figure as the program's Target will hold it; `figure` groups targets read from one figure."""

    value: int | float
    unit: str
    metric: str
    kind: str
    level: str = ""
    organization: str | None = None
    text: str = ""
    label: str = ""
    figure: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Reading:
    targets: list[PlanTarget] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    figures: int = 0
    consumed: list[tuple[int, int]] = field(default_factory=list)


def extract_targets(body: str, directory: UnitDirectory) -> tuple[list[PlanTarget], list[str]]:
    """Every target figure of one item's text (closing parenthesis removed), with warnings for a human."""
    reading = _Reading()
    previous_end = 0
    for m in FIGURE_RE.finditer(body):
        if any(start <= m.start() < end for start, end in reading.consumed):
            continue
        value = _value(m)
        if value is None or not _is_target(body, m):
            continue
        _read_figure(body, m, value, max(previous_end, _clause_start(body, m.start())), directory, reading)
        previous_end = m.end()
    return reading.targets, reading.warnings


def _value(m: re.Match[str]) -> float | None:
    if m.group("cn"):
        number = chinese_to_int(m.group("cn"))
        return None if number is None else float(number)
    value = float(m.group("lo"))
    if m.group("wan") == "亿" and m.group("unit") != "元":
        value *= 100_000_000
    elif m.group("wan") == "万" and m.group("unit") not in ("元",):
        value *= 10_000
    return value


def _is_target(body: str, m: re.Match[str]) -> bool:
    before, after = body[:m.start()], body[m.end():]
    if _inside_quotes(before) or re.search(r"第\s*$", before) or re.search(r"[+＋]\s*$", before):
        return False
    if m.group("lo") and re.match(r"\s*年", after):  # 2026年 would only reach here with a unit; be safe
        return False
    if THRESHOLD_BEFORE.search(before):
        return False
    beyond = re.match(r"(?:及)?以[上下内]", after)
    if beyond and (len(after) > beyond.end() and after[beyond.end()] not in PUNCT):
        return False
    if m.group("unit") in ("人", "名") and THRESHOLD_NOUN_AFTER.match(after):
        return False
    if ASPECT_AFTER.match(after):
        return False
    if m.group("cn"):
        if m.group("cn") == "万" or re.match(r"[性样般起切直线体]", after):
            return False
        if re.search(rf"[{CN_CHARS}]$", before):
            return False
        return bool(CN_CUE_RE.search(before))
    return True


def _inside_quotes(before: str) -> bool:
    for opening, closing in (("“", "”"), ("《", "》"), ("「", "」")):
        if before.rfind(opening) > before.rfind(closing):
            return True
    return before.count('"') % 2 == 1


def _clause_start(body: str, pos: int) -> int:
    return max(body.rfind(ch, 0, pos) for ch in "，。；;：:！？\n（(") + 1


def _sentence_after(body: str, pos: int) -> str:
    end = min([i for i in (body.find(ch, pos) for ch in "。；;\n") if i >= 0] or [len(body)])
    return body[pos:min(end, pos + 40)]


def _written(body: str, m: re.Match[str]) -> str:
    """The words the figure was read from, as written: `至少 50 场`, `2万人次以上`."""
    before = body[:m.start()].rstrip()
    cue = next((c for c in CUES if before.endswith(c)), "")
    tail = re.match(r"(?:及)?以上|以下", body[m.end():])
    return body[len(before) - len(cue):m.end()].strip() + (tail.group(0) if tail else "")


def _read_figure(body: str, m: re.Match[str], value: float, start: int, directory: UnitDirectory,
                 reading: _Reading) -> None:
    unit_written = m.group("unit").replace("％", "%")
    prefix = re.sub(r"^(?:及)?以[上下]", "", body[start:m.start()].strip()).strip().lstrip("、，, ")
    suffix = re.split(rf"[{re.escape(PUNCT)}（(]", body[m.end():], maxsplit=1)[0]
    suffix = re.sub(r"^(?:及)?以[上下]", "", suffix).strip()
    context = body[_clause_start(body, m.start()):m.start()] + unit_written + _sentence_after(body, m.end())
    metric, ambiguous = classify(unit_written, context)
    unit = unit_written
    if metric == AMOUNT and m.group("wan"):
        unit = m.group("wan") + "元"
    text = _written(body, m)
    label = _label(prefix, suffix)
    reading.figures += 1
    figure = reading.figures
    if m.group("hi"):
        reading.warnings.append(f"“{text}”是一个范围，已取下限 {as_number(value)}，请确认")
    if ambiguous:
        reading.warnings.append(f"“{text}”的单位“{unit}”含义不明确，已按{ambiguous}处理，请确认")
    base = PlanTarget(as_number(value), unit, metric, KIND_OF[metric], text=text, label=label, figure=figure)
    levels = _level_split(body, m.end(), metric, figure, reading)
    if levels:
        total = sum(t.value for t in levels)
        if total != base.value:
            reading.warnings.append(f"“{text}”的分级目标合计 {as_number(total)}，与总数 {base.value} 不一致，请确认")
    group = directory.group_in(body[_clause_start(body, m.start()):m.start()])
    if group is not None and group.units:
        for unit_name in group.units:
            reading.targets.append(_copy(base, organization=unit_name))
    elif metric == RATE and "、" in prefix and "率" in prefix:
        for name in _rate_names(prefix):
            reading.targets.append(_copy(base, label=name))
    else:
        if group is not None:
            reading.warnings.append(f"“{group.phrase}{text}”按单位分解，但单位目录中没有{group.phrase}，已作为总目标")
        reading.targets.append(base)
    reading.targets.extend(levels)


def _copy(base: PlanTarget, **changes: object) -> PlanTarget:
    data = asdict(base)
    data.update(changes)
    return PlanTarget(**data)


def _level_split(body: str, pos: int, metric: str, figure: int, reading: _Reading) -> list[PlanTarget]:
    """`47项（市级1项、区级6项、街道级40项）`: the level targets in the parenthesis right after a figure."""
    opened = re.match(r"\s*(?:及)?(?:以上)?\s*[（(]([^（）()]*)[）)]", body[pos:])
    if not opened:
        return []
    inner_start = pos + opened.start(1)
    levels: list[PlanTarget] = []
    for lm in LEVEL_RE.finditer(opened.group(1)):
        value = _value(lm)
        if value is None:
            continue
        unit = lm.group("unit").replace("％", "%")
        levels.append(PlanTarget(as_number(value), unit, metric, KIND_OF[metric], level=lm.group("level"),
                                 text=lm.group(0), label=lm.group("level"), figure=figure + len(levels) + 1))
    if levels:
        reading.figures += len(levels)
        reading.consumed.append((inner_start, inner_start + len(opened.group(1))))
    return levels


def _rate_names(prefix: str) -> list[str]:
    """`确保…职代会、企务公开动态建制率稳定在` → one label per rate the phrase names."""
    phrase = prefix
    for cue in CUES:
        phrase = phrase.removesuffix(cue)
    phrase = re.sub(r"^(?:确保|推动|力争|巩固|实现|保持)+", "", phrase)
    parts = [p for p in phrase.split("、") if p]
    last = parts[-1]
    rate_word = re.search(r"[\u4e00-\u9fa5]{0,2}率$", last)
    suffix = rate_word.group(0) if rate_word else ""
    return [p if "率" in p or not suffix else f"{p}{suffix}" for p in parts]


def _label(prefix: str, suffix: str) -> str:
    """What is counted, for the preview: the noun after the figure (3个暖蜂驿站), else the words before it."""
    if suffix and not re.match(r"^[，。；、]", suffix):
        return suffix[:40]
    words = prefix
    for cue in CUES:
        words = words.removesuffix(cue)
    words = re.sub(r"^(?:全年|年度|计划|力争|推动|确保|巩固|实现)+", "", words.strip())
    return words.strip()[-40:]


def classify(unit: str, context: str) -> tuple[str, str]:
    """(metric, the metric's Chinese name when the unit alone was not enough and a human should confirm)."""
    if unit == "人次":
        return ATTENDANCES, ""
    if unit in ("场", "场次", "期"):
        return SESSIONS, ""
    if unit.endswith("元"):
        return AMOUNT, ""
    if unit in ("%", "％"):
        return RATE, ""
    if unit in ("人", "名"):
        return (OUTCOME, "") if OUTCOME_PEOPLE.search(context) else (PARTICIPANTS, "")
    if unit in ("家", "门"):
        return OUTCOME, ""
    if unit == "个":
        return (OUTCOME, "") if OUTCOME_THINGS.search(context) else (QUANTITY, "")
    if unit == "项":
        if OUTCOME_ITEMS.search(context):
            return OUTCOME, ""
        if SESSION_WORDS.search(context):
            return SESSIONS, ""
        return QUANTITY, "每场活动记录的数量"
    return QUANTITY, ""
