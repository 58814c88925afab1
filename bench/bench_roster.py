"""Benchmark: build a 5,000-person roster and a ~500-event program ledger; print seconds and bytes.

Run: .venv/bin/python bench/bench_roster.py [--rows 5000] [--events 500]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventsvc.progress.queries import Totals  # noqa: E402
from eventsvc.reports.fonts import pdf_font  # noqa: E402
from eventsvc.reports.pdf_ledger import build_ledger_pdf  # noqa: E402
from eventsvc.reports.pdf_roster import build_roster_pdf  # noqa: E402
from eventsvc.reports.records import (  # noqa: E402
    EventHeader,
    LedgerData,
    LedgerEvent,
    OrgBar,
    RosterRow,
    TargetLine,
)
from eventsvc.reports.xlsx_export import build_event_checkins_xlsx  # noqa: E402

STREETS = ["平湖", "坂田", "布吉", "南湾", "横岗", "园山", "龙城", "龙岗", "宝龙", "坪地", "吉华"]
GROUPS = ["外卖员", "快递员", "网约车司机", "货车司机", "家政服务员", "环卫工人", "建筑工人", "企业职工"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def _roster_rows(n: int, start: datetime) -> list[RosterRow]:
    rng = random.Random(1)
    return [
        RosterRow(
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
            phone=f"13{rng.randint(0, 999999999):09d}",
            workplace=f"{rng.choice(STREETS)}街道{rng.choice(['美团', '顺丰', '京东', '环卫所', '建设集团'])}站点",
            group=rng.choice(GROUPS),
            checked_in_at=start + timedelta(seconds=rng.randint(0, 7200)),
            method_label=rng.choice(["扫码自助", "工作人员扫码", "人工补录"]),
        )
        for _ in range(n)
    ]


def _ledger(n_events: int, start: datetime) -> LedgerData:
    rng = random.Random(2)
    events = [
        LedgerEvent(start + timedelta(days=rng.randint(0, 180)), f"夏送清凉进站点第{i}场",
                    f"{rng.choice(STREETS)}街道总工会", f"{rng.choice(STREETS)}暖蜂驿站", "街道级",
                    rng.randint(20, 300))
        for i in range(n_events)
    ]
    total = sum(e.attendances for e in events)
    return LedgerData(
        program="夏送清凉", year=2026, owner="深圳市龙岗区总工会", scope_label="全区",
        achieved=Totals(n_events, total, int(total * 0.7), quantities={"清凉礼包": 20000}),
        targets=[TargetLine("全区", "场次", "场", 600, n_events), TargetLine("全区", "人次", "人次", 96000, total),
                 TargetLine("全区", "清凉礼包", "份", 30000, 20000)],
        bars=[OrgBar(s, rng.uniform(20, 120)) for s in STREETS], bar_title="各街道完成率（场次）", bar_is_percent=True,
        events=sorted(events, key=lambda e: e.starts_at),
        cancelled=[LedgerEvent(start, "台风取消场", "平湖街道总工会", "平湖", "街道级", 0, cancel_reason="台风")],
    )


def _with_database(n_rows: int, n_events: int) -> None:
    """Seed an in-memory database, then time the views' work: grouped queries plus builders."""
    from eventsvc import create_app
    from eventsvc.checkin.models import SELF_SCAN, CheckIn, Participant
    from eventsvc.core.tokens import random_code
    from eventsvc.events.models import PUBLISHED, Event
    from eventsvc.extensions import db
    from eventsvc.orgs.models import DISTRICT, STREET, User
    from eventsvc.orgs.operations import create_organization
    from eventsvc.programs.models import ATTENDANCES, SESSIONS, Program, Target
    from eventsvc.reports import queries

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        db.create_all()
        root = create_organization("深圳市龙岗区总工会", DISTRICT, None, by=None, short_name="区总工会")
        streets = [create_organization(f"{s}街道总工会", STREET, root, by=None, short_name=f"{s}街道") for s in STREETS]
        program = Program(year=2026, name="夏送清凉", organization=root, plan_item="12")
        program.targets = [Target(metric=SESSIONS, value=600), Target(metric=ATTENDANCES, value=96000)]
        program.targets += [Target(metric=SESSIONS, value=50, organization_id=s.id) for s in streets]
        db.session.add(program)
        admin = User(username="bench", password_hash="x", role="admin", organization=root)
        db.session.add(admin)
        db.session.flush()
        start = datetime(2026, 7, 1, 1, 0)
        rng = random.Random(3)
        events = [Event(code=random_code(12), program_id=program.id, organization_id=rng.choice(streets).id,
                        title=f"夏送清凉第{i}场", starts_at=start + timedelta(days=i % 120),
                        ends_at=start + timedelta(days=i % 120, hours=2), venue_name="暖蜂驿站", status=PUBLISHED)
                  for i in range(n_events)]
        db.session.add_all(events)
        rows = _roster_rows(n_rows, start)
        people = [Participant(phone=f"15{i:09d}", name=r.name, workplace=r.workplace, group=r.group)
                  for i, r in enumerate(rows)]
        db.session.add_all(people)
        db.session.flush()
        big = events[0]
        db.session.add_all(CheckIn(event_id=big.id, participant_id=p.id, method=SELF_SCAN,
                                   checked_in_at=start + timedelta(seconds=i)) for i, p in enumerate(people))
        db.session.add_all(CheckIn(event_id=e.id, participant_id=people[j].id, method=SELF_SCAN, checked_in_at=start)
                           for e in events[1:] for j in range(rng.randint(5, 40)))
        db.session.commit()

        with app.test_request_context():
            t = time.perf_counter()
            pdf = build_roster_pdf(queries.event_header(big), queries.roster_rows(big.id))
            print(f"[db] roster of {n_rows} check-ins, query + PDF: {time.perf_counter() - t:.2f} s, "
                  f"{len(pdf) / 1e6:.2f} MB")
            t = time.perf_counter()
            ledger = queries.ledger_data(program, admin)
            pdf = build_ledger_pdf(ledger)
            print(f"[db] ledger of {n_events} events ({ledger.achieved.attendances} 人次), query + PDF: "
                  f"{time.perf_counter() - t:.2f} s, {len(pdf) / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--no-db", action="store_true", help="time the builders only")
    args = parser.parse_args()
    start = datetime(2026, 7, 1, 1, 0)
    t = time.perf_counter()
    font = pdf_font()
    print(f"font: {font.name} embedded={font.embedded} (registered in {time.perf_counter() - t:.2f} s)")
    header = EventHeader("新就业形态劳动者服务月", "平湖暖蜂驿站新就业形态劳动者集中服务日", start,
                         start + timedelta(hours=3), "平湖街道暖蜂驿站", "平湖街道总工会")
    rows = _roster_rows(args.rows, start)
    t = time.perf_counter()
    pdf = build_roster_pdf(header, rows)
    print(f"roster PDF, {args.rows} rows: {time.perf_counter() - t:.2f} s, {len(pdf) / 1e6:.2f} MB")
    t = time.perf_counter()
    xlsx = build_event_checkins_xlsx(header, rows)
    print(f"check-ins xlsx, {args.rows} rows: {time.perf_counter() - t:.2f} s, {len(xlsx) / 1e6:.2f} MB")
    ledger = _ledger(args.events, start)
    t = time.perf_counter()
    pdf = build_ledger_pdf(ledger)
    print(f"ledger PDF, {args.events} events: {time.perf_counter() - t:.2f} s, {len(pdf) / 1e6:.2f} MB")
    if not args.no_db:
        _with_database(args.rows, args.events)


if __name__ == "__main__":
    main()
