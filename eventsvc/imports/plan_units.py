"""Which organizing units a plan item names: the alias table and the group phrases.

The parser stays pure: the caller hands it a `UnitDirectory` (unit names, their kinds, short names and
aliases), built from the database by the app or `default_directory()` from DESIGN.md for the CLI and tests.

Kinds are the strings of `eventsvc.orgs.models` (department, street, federation, workplace). A directory
lists only the units a district plan can name: the district's departments, the streets, and the
federations / workplace unions directly under the district (区直管); group phrases expand to all units of
one kind, so 区直管工联合会 expands to exactly the federations the caller put in the directory.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

DEPARTMENT = "department"
STREET = "street"
FEDERATION = "federation"
WORKPLACE = "workplace"
DISTRICT = "district"

DEFAULT_DEPARTMENTS = ["办公室", "宣教服务部", "权益保障部", "组织建设部"]
DEFAULT_STREETS = ["平湖", "坂田", "布吉", "南湾", "横岗", "园山", "龙城", "龙岗", "宝龙", "坪地", "吉华"]

# Abbreviations the federation's own documents use for its departments (工作要点, 总结, 通知).
DEFAULT_ALIASES = {
    "权益部": "权益保障部",
    "权保部": "权益保障部",
    "宣教部": "宣教服务部",
    "组建部": "组织建设部",
    "组织部": "组织建设部",
    "办公室": "办公室",
    "区总工会办公室": "办公室",
}

# Group phrases: words that stand for every unit of a kind. Longest first, so 区总工会各部室 wins over 各部室.
GROUP_KINDS: dict[str, str] = {
    "区总工会各部室": DEPARTMENT,
    "区总各部室": DEPARTMENT,
    "各部室": DEPARTMENT,
    "各街道总工会": STREET,
    "各街道工会": STREET,
    "各街道": STREET,
    "区直管工联合会": FEDERATION,
    "区直管工联会": FEDERATION,
    "各工联合会": FEDERATION,
    "各行业工会": FEDERATION,
    "区直管单位工会": WORKPLACE,
    "单位工会": WORKPLACE,
}

_PREFIXES = ("深圳市龙岗区总工会", "龙岗区总工会", "区总工会", "深圳市龙岗区", "龙岗区")


class OrganizationLike(Protocol):
    """What `UnitDirectory.from_organizations` reads: an `Organization` row or anything shaped like it."""

    name: str
    short_name: str
    kind: str


@dataclass(frozen=True)
class GroupExpansion:
    """A group phrase as written and the units it stands for (empty when the directory has none)."""

    phrase: str
    kind: str
    units: list[str]

    def to_dict(self) -> dict[str, object]:
        return {"phrase": self.phrase, "kind": self.kind, "units": list(self.units)}


@dataclass
class UnitDirectory:
    """Unit names with their kinds, short names and aliases; the parser's only view of the organization tree."""

    kinds: dict[str, str] = field(default_factory=dict)  # full name -> kind, in display order
    aliases: dict[str, str] = field(default_factory=dict)  # alias or short name -> full name
    groups: dict[str, str] = field(default_factory=lambda: dict(GROUP_KINDS))

    def add(self, name: str, kind: str, short_name: str = "") -> None:
        self.kinds[name] = kind
        if short_name and short_name != name:
            self.aliases.setdefault(short_name, name)
        if kind == STREET and name.endswith("街道总工会"):
            street = name.removesuffix("街道总工会")
            self.aliases.setdefault(street, name)
            self.aliases.setdefault(f"{street}街道", name)
            self.aliases.setdefault(f"{street}街道工会", name)

    def with_aliases(self, extra: dict[str, str] | None) -> UnitDirectory:
        """A copy with more aliases (administrators extend the table); an alias to an unknown unit is kept as is."""
        copy = UnitDirectory(dict(self.kinds), dict(self.aliases), dict(self.groups))
        copy.aliases.update(extra or {})
        return copy

    def of_kind(self, kind: str) -> list[str]:
        return [name for name, k in self.kinds.items() if k == kind]

    def resolve(self, written: str) -> str | None:
        """The unit a written name means, or None when neither the names nor the aliases know it."""
        name = _clean(written)
        for candidate in _variants(name):
            if candidate in self.kinds:
                return candidate
            target = self.aliases.get(candidate)
            if target is not None:
                return target
        return None

    def group(self, written: str) -> GroupExpansion | None:
        """Expand a group phrase (各街道总工会, 区总工会各部室 …) into the directory's units of its kind."""
        name = _clean(written)
        kind = self.groups.get(name)
        if kind is None:
            return None
        return GroupExpansion(name, kind, self.of_kind(kind))

    def group_in(self, text: str, kinds: Iterable[str] = (STREET, DEPARTMENT)) -> GroupExpansion | None:
        """The first group phrase of the given kinds inside a clause (各街道至少打造1个 → the streets)."""
        wanted = set(kinds)
        for phrase in sorted(self.groups, key=len, reverse=True):
            if self.groups[phrase] in wanted and phrase.startswith("各") and phrase in text:
                return GroupExpansion(phrase, self.groups[phrase], self.of_kind(self.groups[phrase]))
        return None

    @classmethod
    def from_organizations(cls, orgs: Iterable[OrganizationLike], aliases: dict[str, str] | None = None,
                           ) -> UnitDirectory:
        """Build from organization rows; the caller passes the district's departments, streets and 区直管 units."""
        directory = cls()
        for org in orgs:
            if org.kind != DISTRICT:
                directory.add(org.name, org.kind, org.short_name)
        directory.aliases.update({k: v for k, v in DEFAULT_ALIASES.items() if v in directory.kinds})
        directory.aliases.update(aliases or {})
        return directory


def default_directory(aliases: dict[str, str] | None = None) -> UnitDirectory:
    """DESIGN.md's units: the four departments and the eleven streets (no 区直管 federations)."""
    directory = UnitDirectory()
    for name in DEFAULT_DEPARTMENTS:
        directory.add(name, DEPARTMENT)
    for street in DEFAULT_STREETS:
        directory.add(f"{street}街道总工会", STREET, street)
    directory.aliases.update(DEFAULT_ALIASES)
    directory.aliases.update(aliases or {})
    return directory


def _clean(written: str) -> str:
    return re.sub(r"[\s“”\"'《》]", "", written).strip("，,、；;：:。")


def _variants(name: str) -> list[str]:
    """The name, then without the district prefix (龙岗区总工会宣教服务部 → 宣教服务部)."""
    out = [name]
    for prefix in _PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            out.append(name[len(prefix):])
    return out


@dataclass
class UnitMapping:
    """The units one closing parenthesis names: resolved names, groups, and what could not be mapped."""

    lead: list[str] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    groups: list[GroupExpansion] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    lead_written: list[str] = field(default_factory=list)


LEAD_LABELS = ("牵头部室", "牵头单位", "牵头部门", "责任部门", "责任部室", "责任单位", "主责部门", "牵头")
PARTICIPANT_LABELS = ("参与单位", "参与部室", "参与部门", "配合单位", "配合部门", "协办单位", "协同单位")


def split_units(inner: str, directory: UnitDirectory) -> UnitMapping:
    """Read `牵头部室：A、B，参与单位：各街道总工会，区直管工联合会、单位工会` into lead and participant units."""
    mapping = UnitMapping()
    role = "lead"
    for segment in re.split(r"[，,；;]", inner):
        segment = segment.strip()
        label = re.match(r"^([^：:]{2,6})[：:]", segment)
        if label:
            role = "participants" if label.group(1) in PARTICIPANT_LABELS else "lead"
            segment = segment[label.end():]
        for written in (w for w in re.split(r"[、/和及]", segment) if _clean(w)):
            _place(mapping, role, written, directory)
    mapping.participants = [p for p in dict.fromkeys(mapping.participants) if p not in mapping.lead]
    mapping.lead = list(dict.fromkeys(mapping.lead))
    return mapping


def _place(mapping: UnitMapping, role: str, written: str, directory: UnitDirectory) -> None:
    target = mapping.lead if role == "lead" else mapping.participants
    if role == "lead":
        mapping.lead_written.append(_clean(written))
    group = directory.group(written)
    if group is not None:
        mapping.groups.append(group)
        target.extend(group.units)
        return
    unit = directory.resolve(written)
    if unit is None:
        mapping.unmapped.append(_clean(written))
    else:
        target.append(unit)
