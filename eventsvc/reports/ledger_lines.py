"""Per-event quantities on a ledger line and in its total row, shared by the PDF and the spreadsheet."""
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
