"""Per-event quantities and 人次 parts on a ledger line and its total row (shared by the PDF and xlsx)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from eventsvc.reports.records import LedgerEvent


def _number(n: int | float) -> str:
    return f"{n:,}" if isinstance(n, int) else f"{n:,.2f}"  # two decimals: money (3.20 万元)


def quantity_text(quantities: Mapping[str, int | float], units: Mapping[str, str]) -> str:
    """Return "慰问金 3.20 万元；清凉礼包 300 份" (labels in a fixed order) for a line of a ledger."""
    return "；".join(f"{label} {_number(v)}{(' ' + units[label]) if units.get(label) else ''}"
                    for label, v in sorted(quantities.items()) if v)


def sum_quantities(events: Sequence[LedgerEvent]) -> dict[str, int | float]:
    """Add the events' quantities label by label (two decimals, as the figures are kept)."""
    total: dict[str, float] = {}
    for e in events:
        for label, v in e.quantities.items():
            total[label] = round(total.get(label, 0) + float(v), 2)
    return {k: int(v) if v.is_integer() else v for k, v in total.items()}


def composition_text(events: Sequence[LedgerEvent], joiner: str = " + ") -> str:
    """Return "扫码 N + 现场 M + 线上 K": the parts the events' 人次 add up from (issue 10 §3)."""
    return joiner.join((f"扫码 {sum(e.checkins for e in events):,}", f"现场 {sum(e.onsite for e in events):,}",
                        f"线上 {sum(e.online for e in events):,}"))
