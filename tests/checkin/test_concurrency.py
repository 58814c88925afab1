"""Many simultaneous submits of one person to one event leave exactly one check-in."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from eventsvc.checkin.models import CheckIn, Participant
from eventsvc.checkin.operations import check_in, upsert_participant
from eventsvc.events.models import Event
from eventsvc.extensions import db


def test_parallel_submits_of_same_person_count_once(app, create_event):
    event_id = create_event().id
    threads_n = 12
    barrier = threading.Barrier(threads_n)
    answers: list[str] = []
    errors: list[BaseException] = []

    def submit() -> None:
        with app.app_context():
            try:
                barrier.wait()
                event = db.session.get(Event, event_id)
                person = upsert_participant("王小明", "138 0013 8000", "美团配送", "外卖员", by=None)
                result = check_in(event, person, by=None, method="self")
                db.session.commit()
                answers.append("success" if result.created else "already")
            except BaseException as exc:  # noqa: BLE001  (reported below)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(answers) == ["already"] * (threads_n - 1) + ["success"]
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
    assert db.session.scalar(select(func.count(Participant.id))) == 1


def test_parallel_submits_through_public_page(app, create_event):
    """The same race through HTTP: every answer is a page, never a 500."""
    event = create_event()
    code = event.code
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    statuses: list[int] = []

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post(f"/c/{code}", data={"name": "李四", "phone": "13900139000", "workplace": "",
                                                "group": "快递员",
                                                "consent": "y"})
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=post) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s in (200, 302, 303) for s in statuses), statuses
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1
