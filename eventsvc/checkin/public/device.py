"""The phone a public page talks to, known by its device cookie.

The cookie (encrypted, see checkin.tokens) holds an opaque device id, the details last typed on this
phone (to prefill and for the one-tap check-in), whether that phone number was proven here by an SMS
code, and the registrations whose ticket this phone created or opened by its link. Only those two
count as proof: a typed phone number, or a cookie merely remembering one, shows nobody's stored details.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from werkzeug.wrappers import Response

from eventsvc.checkin.models import Registration
from eventsvc.checkin.operations import Source
from eventsvc.checkin.tokens import PERSON_COOKIE, device_hash, dump_person, load_device, new_device_id
from eventsvc.core.verification import truncate_ip

# Kept per request, not on `g`: an app context (and its `g`) may outlive one request, in tests and CLI.
_ENVIRON_KEY = "eventsvc.device"
_COOKIE_KEY = "eventsvc.device_cookie"
_KEEP_TICKETS = 20  # the newest registrations a phone remembers holding (a cookie stays small)
_UA_FAMILIES = (
    ("MicroMessenger", "微信"), ("AlipayClient", "支付宝"), ("DingTalk", "钉钉"), ("EdgA?/", "Edge"),
    ("HeyTapBrowser", "OPPO"), ("HuaweiBrowser", "华为"), ("MiuiBrowser", "小米"), ("UCBrowser", "UC"),
    ("QQBrowser", "QQ"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
)
_UA_SYSTEMS = (("Android", "Android"), ("iPhone|iPad|iOS", "iOS"), ("HarmonyOS", "HarmonyOS"),
               ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux"))


@dataclass
class Device:
    """What the device cookie says about this phone; `changed` means the cookie must be written."""

    id: str
    person: dict[str, str] | None = None
    verified: bool = False  # person["phone"] was proven on this phone by an SMS code
    tickets: list[int] = field(default_factory=list)
    changed: bool = False

    @property
    def hash(self) -> str:
        return device_hash(self.id)

    def proves_phone(self, phone: str) -> bool:
        """Tell whether this phone proved, by an SMS code, that it holds `phone`."""
        return bool(self.verified and self.person and self.person.get("phone") == phone)

    def holds(self, reg: Registration) -> bool:
        """Tell whether this phone may see and use the registration's ticket."""
        return reg.id in self.tickets or self.proves_phone(reg.participant.phone)

    def remember(self, details: Mapping[str, str], *, verified: bool = False) -> None:
        """Remember the details typed here after a successful submit (a new phone loses the proof)."""
        same = bool(self.person and self.person.get("phone") == details.get("phone"))
        person = {k: str(details.get(k, "") or "") for k in ("name", "phone", "workplace", "group")}
        proven = verified or (self.verified and same)
        if person != self.person or proven != self.verified:  # a repeat from the same phone rewrites nothing
            self.person, self.verified, self.changed = person, proven, True

    def add_ticket(self, reg: Registration) -> None:
        """Remember that this phone holds the registration's ticket (it created it, or opened its link)."""
        if reg.id not in self.tickets:
            self.tickets = [*self.tickets, reg.id][-_KEEP_TICKETS:]
            self.changed = True


def _cookie_data() -> dict[str, Any] | None:
    """The device cookie, decrypted once per request (the rate limit's key asks for it too)."""
    if _COOKIE_KEY not in request.environ:
        request.environ[_COOKIE_KEY] = load_device(request.cookies.get(PERSON_COOKIE))
    data: dict[str, Any] | None = request.environ[_COOKIE_KEY]
    return data


def current_device() -> Device:
    """Return this request's device: from its cookie, or a new one (written with the answer)."""
    device: Device | None = request.environ.get(_ENVIRON_KEY)
    if device is None:
        data = _cookie_data()
        if data is None:
            device = Device(id=new_device_id(), changed=True)
        else:
            person = data.get("p")
            tickets = [t for t in data.get("r") or [] if isinstance(t, int)]
            device = Device(id=data["d"], person=person if isinstance(person, dict) and person.get("phone") else None,
                            verified=bool(data.get("v")), tickets=tickets)
        request.environ[_ENVIRON_KEY] = device
    return device


def remembered_device_id() -> str | None:
    """The device id from the cookie, or None for a phone seen for the first time (rate-limit key)."""
    data = _cookie_data()
    return data["d"] if data else None


def save_device(response: Response) -> Response:
    """Write the device cookie when this request created or changed it (a blueprint after_request)."""
    device: Device | None = request.environ.get(_ENVIRON_KEY)
    if device is not None and device.changed:
        days = int(current_app.config.get("PARTICIPANT_COOKIE_DAYS", 365))
        value = dump_person(device.person or {}, device_id=device.id, verified=device.verified,
                            tickets=device.tickets)
        response.set_cookie(PERSON_COOKIE, value, max_age=days * 86400, httponly=True, samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE", False)))
    return response


def user_agent_family(value: str | None) -> str:
    """Return the browser family and system ("微信 Android"): what a burst shares, nothing more."""
    text = value or ""
    family = next((name for pattern, name in _UA_FAMILIES if re.search(pattern, text)), "其他")
    system = next((name for pattern, name in _UA_SYSTEMS if re.search(pattern, text)), "")
    return f"{family} {system}".strip()[:40]


def request_source() -> Source:
    """Return where this request comes from, as a check-in stores it."""
    return Source(device_hash=current_device().hash, client_ip=truncate_ip(request.remote_addr),
                  user_agent=user_agent_family(request.headers.get("User-Agent")))
