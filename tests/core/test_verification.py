"""Phone verification codes: 6 digits, hashed, 5 minutes, 5 tries, resend after 60 s."""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from eventsvc.core.sms import ConsoleSender, SendResult, get_sms_sender
from eventsvc.core.verification import (
    MAX_ATTEMPTS,
    CheckOutcome,
    PhoneVerification,
    StartOutcome,
    check,
    development_code,
    seconds_until_resend,
    start,
    tries_left,
)
from eventsvc.extensions import db

PHONE = "13812345678"
T0 = datetime(2026, 7, 1, 2, 0, 0)


@pytest.fixture
def clock(app: Flask) -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def sent_code(app: Flask, phone: str = PHONE) -> str:
    sender = get_sms_sender(app)
    assert isinstance(sender, ConsoleSender)
    message = sender.last_for(phone, "verify_code")
    assert message is not None
    return message.params["code"]


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_start_sends_six_digits_and_stores_only_a_hash(app: Flask, clock: time_machine.Coordinates,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    verification, outcome = start("+86 138-1234-5678", "show_ticket", ip="203.0.113.77")
    db.session.commit()
    code = sent_code(app)
    assert outcome is StartOutcome.SENT and verification is not None
    assert len(code) == 6 and code.isdigit()
    row = db.session.scalars(select(PhoneVerification)).one()
    assert row.phone == PHONE and row.purpose == "show_ticket" and row.attempts == 0 and row.consumed_at is None
    assert row.expires_at == T0 + timedelta(minutes=5) and row.last_sent_at == T0
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert PHONE not in caplog.text and "138****5678" in caplog.text
    assert "203.0.113.0/24" in caplog.text and "203.0.113.77" not in caplog.text


def test_development_page_can_show_the_console_code(app: Flask, clock: time_machine.Coordinates) -> None:
    assert development_code(PHONE) is None
    start(PHONE, "checkin", ip=None)
    assert development_code(PHONE) == sent_code(app) and development_code("13900000000") is None


def test_correct_code_passes_once(app: Flask, clock: time_machine.Coordinates) -> None:
    start(PHONE, "cancel_registration", ip=None)
    code = sent_code(app)
    assert check(PHONE, "show_ticket", code) is CheckOutcome.EXPIRED  # a code proves one purpose only
    assert check("138 1234 5678", "cancel_registration", code) is CheckOutcome.OK
    assert check(PHONE, "cancel_registration", code) is CheckOutcome.EXPIRED


def test_full_width_digits_and_spaces_are_accepted(app: Flask, clock: time_machine.Coordinates) -> None:
    start(PHONE, "checkin", ip=None)
    typed = " " + sent_code(app).translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " "
    assert check(PHONE, "checkin", typed) is CheckOutcome.OK


def test_code_expires_after_five_minutes(app: Flask, clock: time_machine.Coordinates) -> None:
    start(PHONE, "checkin", ip=None)
    code = sent_code(app)
    clock.shift(timedelta(minutes=4, seconds=59))
    assert check(PHONE, "checkin", other_code(code)) is CheckOutcome.WRONG
    clock.shift(timedelta(seconds=1))
    assert check(PHONE, "checkin", code) is CheckOutcome.EXPIRED


def test_resend_waits_sixty_seconds_and_retires_the_old_code(app: Flask, clock: time_machine.Coordinates) -> None:
    first, _ = start(PHONE, "checkin", ip=None)
    old = sent_code(app)
    clock.shift(timedelta(seconds=59))
    again, outcome = start(PHONE, "checkin", ip=None)
    assert outcome is StartOutcome.TOO_SOON and again is first and seconds_until_resend(again) == 1
    assert len(get_sms_sender(app).messages()) == 1  # type: ignore[attr-defined]
    clock.shift(timedelta(seconds=1))
    fresh, outcome = start(PHONE, "checkin", ip=None)
    assert outcome is StartOutcome.SENT and fresh is not first and seconds_until_resend(fresh) == 60
    new = sent_code(app)
    if new != old:  # one chance in a million that both codes are equal
        assert check(PHONE, "checkin", old) is CheckOutcome.WRONG
    assert check(PHONE, "checkin", new) is CheckOutcome.OK
    # Once a code is used, a new one may be asked for at once.
    assert start(PHONE, "checkin", ip=None)[1] is StartOutcome.SENT


def test_five_wrong_tries_lock_the_code(app: Flask, clock: time_machine.Coordinates) -> None:
    verification, _ = start(PHONE, "checkin", ip=None)
    assert verification is not None
    code = sent_code(app)
    wrong = other_code(code)
    assert [check(PHONE, "checkin", wrong) for _ in range(MAX_ATTEMPTS - 1)] == [CheckOutcome.WRONG] * 4
    assert tries_left(verification) == 1
    assert check(PHONE, "checkin", wrong) is CheckOutcome.TOO_MANY
    assert check(PHONE, "checkin", code) is CheckOutcome.TOO_MANY  # even the right code, now
    assert db.session.get(PhoneVerification, verification.id).attempts == MAX_ATTEMPTS  # type: ignore[union-attr]
    clock.shift(timedelta(seconds=60))
    assert start(PHONE, "checkin", ip=None)[1] is StartOutcome.SENT
    assert check(PHONE, "checkin", sent_code(app)) is CheckOutcome.OK


def test_fifth_try_may_still_be_right(app: Flask, clock: time_machine.Coordinates) -> None:
    start(PHONE, "checkin", ip=None)
    code = sent_code(app)
    for _ in range(MAX_ATTEMPTS - 1):
        check(PHONE, "checkin", other_code(code))
    assert check(PHONE, "checkin", code) is CheckOutcome.OK


def test_malformed_input_costs_no_try(app: Flask, clock: time_machine.Coordinates) -> None:
    verification, _ = start(PHONE, "checkin", ip=None)
    for typed in ["", "12345", "1234567", "abcdef", "12 34 56"]:
        assert check(PHONE, "checkin", typed) is CheckOutcome.WRONG
    assert verification is not None and verification.attempts == 0
    assert check("not a phone", "checkin", "123456") is CheckOutcome.WRONG


def test_nothing_sent_means_expired(app: Flask, clock: time_machine.Coordinates) -> None:
    assert check(PHONE, "checkin", "123456") is CheckOutcome.EXPIRED


class FailingSender:
    name = "failing"

    def send(self, phone: str, template: str, params: Mapping[str, str]) -> SendResult:
        return SendResult(False, error_code="isv.BUSINESS_LIMIT_CONTROL", error_message="流控")


def test_provider_failure_stores_nothing_and_allows_retry(app: Flask, clock: time_machine.Coordinates) -> None:
    verification, outcome = start(PHONE, "checkin", ip=None, sender=FailingSender())
    assert outcome is StartOutcome.SEND_FAILED and verification is None
    assert db.session.scalars(select(PhoneVerification)).all() == []
    assert start(PHONE, "checkin", ip=None)[1] is StartOutcome.SENT
