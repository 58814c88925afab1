"""Six-digit SMS codes that prove a person holds a phone: send, check, never store the code itself.

A code is valid CODE_TTL, allows MAX_ATTEMPTS tries, and a new one may be sent RESEND_AFTER after the
last. Sending a new code retires the older ones (only the newest row for a phone and purpose counts).
Per-phone and per-IP send limits sit on the views (eventsvc.core.ratelimits.limit_sms_send).
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import ipaddress
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import DateTime, Index, Integer, String, Update, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, mapped_column

from eventsvc.core.phones import mask_phone, normalize_phone
from eventsvc.core.sms import ConsoleSender, SendResult, SmsSender, get_sms_sender
from eventsvc.core.timeutil import utcnow
from eventsvc.db import Base
from eventsvc.extensions import db

log = logging.getLogger("eventsvc.verification")

CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5
CODE_DIGITS = 6
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


class PhoneVerification(Base):
    """One code sent to one phone for one purpose (e.g. show_ticket, cancel_registration, checkin)."""

    __tablename__ = "phone_verification"
    __table_args__ = (Index("ix_phone_verification_phone_purpose", "phone", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), nullable=False)  # normalized 11 digits
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # HMAC-SHA256 hex, never the code
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_sent_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class StartOutcome(enum.StrEnum):
    SENT = "sent"
    TOO_SOON = "too_soon"  # the previous code was sent less than RESEND_AFTER ago
    SEND_FAILED = "send_failed"  # the provider refused or was unreachable; nothing stored, try again


class CheckOutcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # also: no code was sent, or it was already used
    TOO_MANY = "too_many"


MESSAGES = {
    StartOutcome.SENT: "验证码已发送，5 分钟内有效。",
    StartOutcome.TOO_SOON: "验证码已发送，请稍候再重新获取。",
    StartOutcome.SEND_FAILED: "短信发送失败，请稍后重试。",
    CheckOutcome.OK: "验证成功。",
    CheckOutcome.WRONG: "验证码不正确，请重新输入。",
    CheckOutcome.EXPIRED: "验证码已失效，请重新获取。",
    CheckOutcome.TOO_MANY: "验证码错误次数过多，请重新获取。",
}


def hash_code(phone: str, purpose: str, code: str) -> str:
    """HMAC the code with SECRET_KEY, bound to phone and purpose, so a leaked table reveals no codes."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{purpose}\n{phone}\n{code}".encode(), hashlib.sha256).hexdigest()


def latest(phone: str, purpose: str) -> PhoneVerification | None:
    """Return the newest verification for this phone and purpose (the only one that counts)."""
    stmt = (select(PhoneVerification).where(PhoneVerification.phone == phone, PhoneVerification.purpose == purpose)
            .order_by(PhoneVerification.id.desc()).limit(1))
    return db.session.scalars(stmt).first()


def seconds_until_resend(verification: PhoneVerification | None, now: datetime | None = None) -> int:
    """How long the page should count down before offering 重新获取."""
    if verification is None:
        return 0
    left = (verification.last_sent_at + RESEND_AFTER - (now or utcnow())).total_seconds()
    return max(0, int(left + 0.999))


def start(phone: str, purpose: str, *, ip: str | None,
          sender: SmsSender | None = None) -> tuple[PhoneVerification | None, StartOutcome]:
    """Send a fresh code unless one went out less than a minute ago; flushes, the caller commits.

    Raises InvalidPhone for a number that is not a mainland mobile.
    """
    phone = normalize_phone(phone)
    now = utcnow()
    previous = latest(phone, purpose)
    if previous is not None and previous.consumed_at is None and now < previous.last_sent_at + RESEND_AFTER:
        return previous, StartOutcome.TOO_SOON
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    result: SendResult = (sender or get_sms_sender(current_app)).send(phone, "verify_code", {"code": code})
    where = truncate_ip(ip)
    if not result.ok:
        log.warning("verification code for %s (%s) from %s not sent: %s", mask_phone(phone), purpose, where,
                    result.error_code)
        return previous, StartOutcome.SEND_FAILED
    verification = PhoneVerification(phone=phone, purpose=purpose, code_hash=hash_code(phone, purpose, code),
                                     created_at=now, expires_at=now + CODE_TTL, attempts=0, last_sent_at=now)
    db.session.add(verification)
    db.session.flush()
    log.info("verification code sent to %s (%s) from %s", mask_phone(phone), purpose, where)
    return verification, StartOutcome.SENT


def check(phone: str, purpose: str, code: str) -> CheckOutcome:
    """Compare a typed code with the newest one sent; a correct code is used up. Flushes."""
    try:
        phone = normalize_phone(phone)
    except ValueError:
        return CheckOutcome.WRONG
    verification = latest(phone, purpose)
    now = utcnow()
    if verification is None or verification.consumed_at is not None or now >= verification.expires_at:
        return CheckOutcome.EXPIRED
    if verification.attempts >= MAX_ATTEMPTS:
        return CheckOutcome.TOO_MANY
    typed = (code or "").strip().translate(_FULLWIDTH)
    if len(typed) != CODE_DIGITS or not typed.isdigit():
        return CheckOutcome.WRONG  # a typo that cannot match costs no try
    # Count the try in one UPDATE guarded by the limit, so parallel guesses cannot exceed MAX_ATTEMPTS.
    counted = _updated_rows(
        update(PhoneVerification)
        .where(PhoneVerification.id == verification.id, PhoneVerification.attempts < MAX_ATTEMPTS)
        .values(attempts=PhoneVerification.attempts + 1)
    )
    db.session.refresh(verification)
    if not counted:
        return CheckOutcome.TOO_MANY
    if hmac.compare_digest(hash_code(phone, purpose, typed), verification.code_hash):
        used = _updated_rows(
            update(PhoneVerification)
            .where(PhoneVerification.id == verification.id, PhoneVerification.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        db.session.refresh(verification)
        return CheckOutcome.OK if used else CheckOutcome.EXPIRED
    return CheckOutcome.TOO_MANY if verification.attempts >= MAX_ATTEMPTS else CheckOutcome.WRONG


def development_code(phone: str) -> str | None:
    """The last code the console backend "sent" to this phone, for the page's 开发模式 hint; None otherwise."""
    sender = get_sms_sender(current_app)
    if not isinstance(sender, ConsoleSender) or current_app.config.get("ENV_NAME") == "production":
        return None
    message = sender.last_for(phone, "verify_code")
    return message.params.get("code") if message else None


def _updated_rows(stmt: Update) -> int:
    result = cast(CursorResult[Any], db.session.execute(stmt.execution_options(synchronize_session=False)))
    return result.rowcount


def tries_left(verification: PhoneVerification) -> int:
    """Tries remaining on this code, for a hint under the field."""
    return max(0, MAX_ATTEMPTS - verification.attempts)


def truncate_ip(ip: str | None) -> str:
    """Keep the /24 (IPv4) or /48 (IPv6): enough to see a burst, not to identify a person."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return "?"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
