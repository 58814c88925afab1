"""Parse the scanner's JSON into a typed Scan, or say clearly what is malformed."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from eventsvc.checkin.forms import PersonForm
from eventsvc.checkin.operations import Mode, Scan
from eventsvc.core.inputs import MAX_ID

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


class BadScan(ValueError):
    """The JSON is not a scan this API understands; the message says why (Chinese, for staff)."""

    def __init__(self, message: str, client_scan_id: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.client_scan_id = client_scan_id


def parse_scanned_at(value: Any) -> datetime | None:
    """Return the device's time (epoch milliseconds or ISO 8601) as naive UTC, or None if unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
        except (ValueError, OverflowError):  # "0001-01-01T00:00+08:00" overflows when moved to UTC
            return None
    return None


def parse_scan(raw: Any) -> Scan:
    """Return the Scan a JSON object describes; raise BadScan for anything malformed."""
    if not isinstance(raw, Mapping):
        raise BadScan("扫码记录格式无效。")
    client_scan_id = raw.get("client_scan_id")
    if not isinstance(client_scan_id, str) or not _CLIENT_ID.match(client_scan_id):
        raise BadScan("扫码编号无效，请刷新扫码页面。", str(client_scan_id or "")[:64])
    try:
        mode = Mode(raw.get("mode") or Mode.IN.value)
    except ValueError:
        raise BadScan("扫码模式无效。", client_scan_id) from None
    scanned_at = parse_scanned_at(raw.get("scanned_at"))
    code, participant_id, person = raw.get("code"), raw.get("participant_id"), raw.get("person")
    if code not in (None, ""):
        if not isinstance(code, str) or len(code) > 500:
            raise BadScan("二维码内容无效。", client_scan_id)
        return Scan(client_scan_id, mode, scanned_at, code=code.strip())
    if participant_id is not None:
        if isinstance(participant_id, bool) or not isinstance(participant_id, (int, str)):
            raise BadScan("人员编号无效。", client_scan_id)
        try:
            number = int(participant_id)
        except ValueError:
            raise BadScan("人员编号无效。", client_scan_id) from None
        if not 1 <= number <= MAX_ID:  # a 20-digit id is unknown, not a database overflow
            raise BadScan("人员编号无效。", client_scan_id)
        return Scan(client_scan_id, mode, scanned_at, participant_id=number)
    if person is not None:
        if mode != Mode.IN:
            raise BadScan("现场登记只能签到。", client_scan_id)
        form = PersonForm.from_mapping(person if isinstance(person, Mapping) else None)
        if not form.validate():
            raise BadScan(form.first_error(), client_scan_id)
        return Scan(client_scan_id, mode, scanned_at, person=form.details())
    raise BadScan("扫码内容为空。", client_scan_id)

