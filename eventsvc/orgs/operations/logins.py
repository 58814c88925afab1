"""Checking a login: throttling per typed username and per client IP, one answer for every failure.

Counters live in the database (`LoginThrottle`), so every app server sees the same lockouts. They are keyed by
the *typed* name, not the account, so an unknown name locks exactly like a real one and the lockout message
reveals nothing about which accounts exist; a wrong password on an unknown name costs the same hash check.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from eventsvc.audit.operations import record
from eventsvc.core.timeutil import fmt_local, utcnow
from eventsvc.db import savepoint
from eventsvc.extensions import db
from eventsvc.orgs import models
from eventsvc.orgs.models import LoginThrottle, User
from eventsvc.orgs.operations.accounts import record_login

BAD_LOGIN = "用户名或密码不正确"
INACTIVE = "该账号已停用，请联系管理员"
_dummy_hash: str | None = None


@dataclass
class LoginResult:
    """The user when the login succeeded; otherwise the message to show (the same for every wrong guess)."""

    user: User | None = None
    error: str = ""
    locked_until: datetime | None = None


def _key(kind: str, value: str) -> str:
    # An HMAC, so the table holds neither the names people typed (sometimes a password) nor addresses.
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    return f"{kind}:{hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:64]}"


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _check_dummy(password: str) -> None:
    """Spend the time a real password check takes, so an unknown name answers as slowly as a known one."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = models.generate_password_hash("not-a-password-of-anyone")
    models.check_password_hash(_dummy_hash, password)


def _lock_message(until: datetime, *, by_ip: bool) -> str:
    minutes = max(1, int((until - utcnow()).total_seconds() // 60) + 1)
    who = "该网络的登录失败次数过多，已暂时禁止登录" if by_ip else "登录失败次数过多，该账号已暂时锁定"
    return f"{who}，请于 {fmt_local(until, '%H:%M')}（约 {minutes} 分钟后）再试。"


def _active_lock(keys: list[str], now: datetime) -> LoginThrottle | None:
    return db.session.scalars(
        select(LoginThrottle).where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now)
        .order_by(LoginThrottle.locked_until.desc())
    ).first()


def _count_failure(key: str, now: datetime, limit: int) -> datetime | None:
    """Add one failure to `key` atomically; start a lockout when it reaches `limit`. Return the new lock's end."""
    window_start = now - timedelta(minutes=_setting("LOGIN_FAILURE_WINDOW_MINUTES", 15))
    row = LoginThrottle
    same = row.key == key
    stale = and_(same, row.window_started_at < window_start, or_(row.locked_until.is_(None), row.locked_until <= now))
    plain = {"synchronize_session": False}
    restarted = db.session.execute(update(row).where(stale).values(failures=1, window_started_at=now,
                                                                   locked_until=None).execution_options(**plain))
    if not _rowcount(restarted):
        bumped = db.session.execute(update(row).where(same).values(failures=row.failures + 1)
                                    .execution_options(**plain))
        if not _rowcount(bumped):
            try:
                with savepoint(db.session()):
                    db.session.execute(insert(row).values(key=key, failures=1, window_started_at=now))
            except IntegrityError:  # another server inserted it first: count on its row
                db.session.execute(update(row).where(same).values(failures=row.failures + 1)
                                   .execution_options(**plain))
    failures, locked = db.session.execute(select(row.failures, row.locked_until).where(same)).one()
    if failures < limit or (locked is not None and locked > now):
        return None
    until = now + timedelta(minutes=_setting("LOGIN_LOCKOUT_MINUTES", 15))
    db.session.execute(update(row).where(same).values(locked_until=until).execution_options(**plain))
    return until


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _forget_old(now: datetime) -> None:
    """Drop counters nobody has failed on for a day (the table would otherwise keep every name ever typed)."""
    db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.window_started_at < now - timedelta(days=1),
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
    ).execution_options(synchronize_session=False))


def authenticate(username: str, password: str, *, ip: str) -> LoginResult:
    """Check a login attempt and count it: lockouts first, then the password; audit success and failure.

    The caller commits whatever the outcome (the counters and audit entries must persist on failure too).
    """
    now = utcnow()
    typed = username.strip()[:64]
    name_key, ip_key = _key("name", typed.lower()), _key("ip", ip)
    lock = _active_lock([name_key, ip_key], now)
    if lock is not None and lock.locked_until is not None:
        _check_dummy(password)
        record(None, "auth.login_failed", None, object_type="user",
               summary=f"用户名“{typed}”登录被拒绝：锁定中")
        return LoginResult(error=_lock_message(lock.locked_until, by_ip=lock.key == ip_key),
                           locked_until=lock.locked_until)
    user = db.session.scalar(select(User).where(User.username == typed))
    if user is None:
        _check_dummy(password)
        ok = False
    else:
        ok = user.check_password(password)
    if not ok or user is None:
        return _failed(typed, user, name_key, ip_key, now)
    if not user.is_active:
        record(None, "auth.login_failed", user, summary=f"用户名“{typed}”登录被拒绝：账号已停用")
        return LoginResult(error=INACTIVE)
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == name_key)
                       .execution_options(synchronize_session=False))
    record_login(user, by=user)
    return LoginResult(user=user)


def _failed(typed: str, user: User | None, name_key: str, ip_key: str, now: datetime) -> LoginResult:
    _forget_old(now)
    record(None, "auth.login_failed", user, object_type="user", summary=f"用户名“{typed}”登录失败：密码错误或无此用户")
    name_lock = _count_failure(name_key, now, _setting("LOGIN_MAX_FAILURES", 5))
    ip_lock = _count_failure(ip_key, now, _setting("LOGIN_MAX_FAILURES_PER_IP", 30))
    until = name_lock or ip_lock
    if until is None:
        return LoginResult(error=BAD_LOGIN)
    target = f"用户名“{typed}”" if name_lock else "一个客户端地址"
    record(None, "auth.lockout", user, object_type="user",
           summary=f"{target}连续登录失败，锁定至 {fmt_local(until)}")
    return LoginResult(error=_lock_message(until, by_ip=name_lock is None), locked_until=until)
