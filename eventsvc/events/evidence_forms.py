"""Forms of the evidence pages: the 活动总结 with its figures, a caption, the delete confirmation."""
from __future__ import annotations

from typing import Any

from wtforms import FieldList, FormField, StringField, TextAreaField
from wtforms.validators import Length

from eventsvc.events.evidence_operations import MAX_CAPTION, MAX_SUMMARY
from eventsvc.events.forms import ChineseForm, EventForm, QuantityRow
from eventsvc.events.models import Event

# The figures on the summary form are the event's own fields: one place to store them, shared with the event form.
FIGURE_FIELDS = ("onsite_count", "onsite_note", "online_count", "online_note")


class SummaryForm(ChineseForm):
    """活动总结: free text plus the reported figures (现场人数, 线上人次) and the counted quantities."""

    text = TextAreaField("活动总结", validators=[Length(max=MAX_SUMMARY, message=f"活动总结最多 {MAX_SUMMARY} 字")])
    onsite_count = EventForm.onsite_count
    onsite_note = EventForm.onsite_note
    online_count = EventForm.online_count
    online_note = EventForm.online_note
    quantities = FieldList(FormField(QuantityRow), min_entries=0)

    # The quantity rows behave exactly as on the event form.
    quantity_rows = EventForm.quantity_rows
    add_blank_quantity_rows = EventForm.add_blank_quantity_rows

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quantity_errors: list[str] = []

    def validate(self, extra_validators: dict[str, Any] | None = None) -> bool:
        """Refuse a number without a name, as the event form does."""
        ok: bool = super().validate(extra_validators)
        for row in self.quantities:
            if row.form.value.data is not None and not (row.form.label.data or "").strip():
                row.form.label.errors.append("请填写名称")
                ok = False
        return ok

    def figure_values(self) -> dict[str, Any]:
        """Return the reported figures as events.operations.update_event expects them."""
        return {name: getattr(self, name).data for name in FIGURE_FIELDS}


def summary_form_data(event: Event, text: str) -> dict[str, Any]:
    """Return the summary form's initial data."""
    data: dict[str, Any] = {name: getattr(event, name) for name in FIGURE_FIELDS}
    data["text"] = text
    data["quantities"] = [{"label": q.label, "unit": q.unit, "value": q.value} for q in event.quantities]
    return data


class CaptionForm(ChineseForm):
    """The caption printed under a photo."""

    caption = StringField("说明", validators=[Length(max=MAX_CAPTION, message=f"说明最多 {MAX_CAPTION} 个字")])


class ConfirmForm(ChineseForm):
    """An empty form whose only job is the CSRF token of a confirmed action (set cover, delete)."""
