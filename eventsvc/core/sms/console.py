"""Development backend: write the message to the log (phone masked) and keep the last few in memory."""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from eventsvc.core.phones import mask_phone
from eventsvc.core.sms.base import SendResult, log
from eventsvc.core.timeutil import utcnow


@dataclass(frozen=True)
class ConsoleMessage:
    """One message the console backend pretended to send."""

    phone: str
    template: str
    params: dict[str, str]
    sent_at: datetime


class ConsoleSender:
    """Sends nothing: someone trying `make run` reads the code from the log or the page (开发模式)."""

    name = "console"

    def __init__(self, keep: int = 50) -> None:
        self._messages: deque[ConsoleMessage] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._counter = 0

    def send(self, phone: str, template: str, params: Mapping[str, str]) -> SendResult:
        """Log the message with the phone masked and remember it for the development page."""
        message = ConsoleMessage(phone, template, dict(params), utcnow())
        with self._lock:
            self._messages.append(message)
            self._counter += 1
            message_id = f"console-{self._counter}"
        shown = ", ".join(f"{k}={v}" for k, v in message.params.items())
        log.info("SMS (console, not sent) to %s [%s] %s", mask_phone(phone), template, shown)
        return SendResult(True, message_id=message_id)

    def clear(self) -> None:
        """Forget the kept messages (tests share one app)."""
        with self._lock:
            self._messages.clear()

    def messages(self) -> list[ConsoleMessage]:
        """Return the kept messages, oldest first."""
        with self._lock:
            return list(self._messages)

    def last_for(self, phone: str, template: str | None = None) -> ConsoleMessage | None:
        """Return the newest message to this phone (and template), for the 开发模式 hint on a page."""
        with self._lock:
            for message in reversed(self._messages):
                if message.phone == phone and (template is None or message.template == template):
                    return message
        return None
