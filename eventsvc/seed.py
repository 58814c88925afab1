"""Demo data from the federation's 2026 work plan (工作要点), written here so no seed file is needed.

Everything is written through the domain operations. The actor `by=None` means "the system" (this
seed), as it does for a worker's own phone; staff-entered check-ins (人工补录) name the demo admin,
because the check-in rules require a staff actor for them.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from eventsvc.checkin.models import MANUAL, SELF_SCAN, CheckIn, Participant
from eventsvc.checkin.operations import check_in, upsert_participant
from eventsvc.core.timeutil import from_local, utcnow
from eventsvc.events.models import PUBLISHED, Event
from eventsvc.events.operations import cancel_event, create_event, publish_event
from eventsvc.extensions import db
from eventsvc.orgs.models import (
    DEPARTMENT,
    DISTRICT,
    FEDERATION,
    STREET,
    Organization,
    User,
)
from eventsvc.orgs.operations import create_organization, create_user
from eventsvc.programs.models import ATTENDANCES, CUSTOM, SESSIONS, Program
from eventsvc.programs.operations import TargetSpec, create_program

DEMO_PASSWORD = "demo-lg-2026"  # meets the password policy (eventsvc/core/passwords.py)
DISTRICT_NAME = "深圳市龙岗区总工会"
DEPARTMENTS = ["办公室", "宣教服务部", "权益保障部", "组织建设部"]
# Street federations with one real community of each, for a third level in the tree.
STREETS = [
    ("平湖", "白坭坑社区"), ("坂田", "岗头社区"), ("布吉", "德兴社区"), ("南湾", "沙湾社区"),
    ("横岗", "六约社区"), ("园山", "安良社区"), ("龙城", "回龙埔社区"), ("龙岗", "龙岗墟社区"),
    ("宝龙", "龙东社区"), ("坪地", "坪西社区"), ("吉华", "甘坑社区"),
]
DEMO_LOGINS = [
    ("admin", "区总工会 · 管理员（查看全部）"),
    ("xuanjiao", "宣教服务部 · 活动组织者"),
    ("quanyi", "权益保障部 · 活动组织者"),
    ("pinghu", "平湖街道总工会 · 活动组织者"),
    ("bantian", "坂田街道总工会 · 活动组织者"),
    ("pinghu_qd", "平湖街道总工会 · 签到核销员"),
    ("viewer", "区总工会 · 只读查看"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海波鹏辉玲斌宇浩凯健俊帆晨阳欣怡佳琪子轩梓涵"
WORKPLACES = ["美团配送龙岗站", "饿了么平湖站", "顺丰速运坂田营业部", "京东物流布吉站", "中通快递横岗网点",
              "滴滴出行", "货拉拉", "龙岗区环卫所", "中建三局项目部", "比亚迪股份有限公司", "华为技术有限公司",
              "家政服务中心", "圆通速递龙城网点", "申通快递宝龙网点"]
GROUPS = ["外卖员", "快递员", "网约车司机", "货车司机", "家政服务员", "环卫工人", "建筑工人", "企业职工"]
VENUES = ["暖蜂驿站", "职工之家", "党群服务中心", "爱心驿站", "社区文化广场", "工人文化宫"]


def _org(name: str, kind: str, parent: Organization | None, short: str, order: int) -> Organization:
    existing = db.session.scalar(select(Organization).where(
        Organization.name == name, Organization.parent_id == (parent.id if parent else None)))
    return existing or create_organization(name, kind, parent, by=None, short_name=short, sort_order=order)


def _user(username: str, role: str, org: Organization, display: str) -> User:
    existing = db.session.scalar(select(User).where(User.username == username))
    return existing or create_user(username, DEMO_PASSWORD, role, org, by=None, display_name=display)


def seed_organizations() -> dict[str, Organization]:
    """Create the district, its departments, the 11 streets and one community under each."""
    root = _org(DISTRICT_NAME, DISTRICT, None, "区总工会", 0)
    orgs: dict[str, Organization] = {"district": root}
    for i, name in enumerate(DEPARTMENTS):
        orgs[name] = _org(name, DEPARTMENT, root, name, 10 + i)
    for i, (street, community) in enumerate(STREETS):
        s = _org(f"{street}街道总工会", STREET, root, street, 100 + i)
        orgs[street] = s
        orgs[community] = _org(f"{street}街道{community}工联会", FEDERATION, s, community, 0)
    orgs["物流"] = _org("龙岗区物流行业工会联合会", FEDERATION, root, "物流行业工联会", 200)
    return orgs


def seed_users(orgs: dict[str, Organization]) -> None:
    _user("admin", "admin", orgs["district"], "区总管理员")
    _user("xuanjiao", "organizer", orgs["宣教服务部"], "宣教服务部")
    _user("quanyi", "organizer", orgs["权益保障部"], "权益保障部")
    _user("pinghu", "organizer", orgs["平湖"], "平湖街道总工会")
    _user("bantian", "organizer", orgs["坂田"], "坂田街道总工会")
    _user("pinghu_qd", "checker", orgs["平湖"], "平湖签到员")
    _user("viewer", "viewer", orgs["district"], "区总查看")


def _program_specs(orgs: dict[str, Organization]) -> list[dict]:
    streets = [orgs[s] for s, _ in STREETS]
    return [
        dict(plan_item="12", name="新就业形态劳动者服务月", category="新就业形态", leads=["宣教服务部", "组织建设部"],
             description="统筹开展技能竞赛、职业培训、法律援助、节日慰问等各类服务活动不少于150场，精准服务新就业形态劳动者2万人次以上。",
             period=(date(2026, 4, 1), date(2026, 12, 31)),
             targets=[TargetSpec(SESSIONS, 150), TargetSpec(ATTENDANCES, 20000)]
             + [TargetSpec(SESSIONS, 10, organization=s) for s in streets],
             kinds=["培训", "法律服务", "慰问", "竞赛"], title="新业态劳动者{kind}服务活动"),
        dict(plan_item="2", name="“劳模工匠”主题宣讲", category="劳模工匠", leads=["权益保障部"],
             description="全年组织全国及省市级劳模工匠开展主题宣讲至少50场，覆盖职工至少8万人次。",
             period=(date(2026, 1, 1), date(2026, 12, 31)),
             targets=[TargetSpec(SESSIONS, 50), TargetSpec(ATTENDANCES, 80000)],
             kinds=["宣讲"], title="劳模工匠进{place}主题宣讲"),
        dict(plan_item="11", name="职工“三大节”活动", category="文体活动", leads=["宣教服务部"],
             description="系统实施“三大节”系列活动47项（市级1项、区级6项、街道级40项）。",
             period=(date(2026, 1, 1), date(2026, 12, 31)),
             targets=[TargetSpec(SESSIONS, 47), TargetSpec(SESSIONS, 1, level="市级"),
                      TargetSpec(SESSIONS, 6, level="区级"), TargetSpec(SESSIONS, 40, level="街道级")],
             kinds=["文体", "竞赛"], title="职工{kind}节活动"),
        dict(plan_item="13", name="“夏送清凉”慰问活动", category="关爱服务", leads=["宣教服务部", "权益保障部"],
             description="高温季节面向环卫工人、建筑工人、快递员、外卖员等户外劳动者开展慰问（目标参照2023年实绩：629场次、9.6万人次）。",
             period=(date(2026, 6, 1), date(2026, 9, 30)),
             targets=[TargetSpec(SESSIONS, 600), TargetSpec(ATTENDANCES, 90000),
                      TargetSpec(CUSTOM, 20000, label="清凉礼包", unit="份")],
             kinds=["慰问"], title="夏送清凉进{place}", quantity=("清凉礼包", "份", 20, 200)),
        dict(plan_item="21", name="普法宣传活动", category="法律服务", leads=["权益保障部"],
             description="全年至少开展普法宣传500场，提升工会法律服务覆盖面。",
             period=(date(2026, 1, 1), date(2026, 12, 31)),
             targets=[TargetSpec(SESSIONS, 500)],
             kinds=["法律服务"], title="“工会+法律”普法进{place}"),
        dict(plan_item="9", name="“劳模工匠助企行”技术服务", category="劳模工匠", leads=["权益保障部", "宣教服务部"],
             description="组织劳模和工匠人才进企业开展技术帮扶等活动，解决现场技术问题不少于100个，帮助职工提升技能不少于1000人次。",
             period=(date(2026, 1, 1), date(2026, 12, 31)),
             targets=[TargetSpec(ATTENDANCES, 1000), TargetSpec(CUSTOM, 100, label="解决技术问题", unit="个")],
             kinds=["培训"], title="劳模工匠助企行·{place}", quantity=("解决技术问题", "个", 2, 12)),
    ]


def seed_programs(orgs: dict[str, Organization]) -> list[Program]:
    programs = []
    participants = [orgs[s] for s, _ in STREETS] + [orgs["物流"]]
    for spec in _program_specs(orgs):
        existing = db.session.scalar(select(Program).where(Program.year == 2026, Program.name == spec["name"]))
        if existing:
            programs.append(existing)
            continue
        programs.append(create_program(
            by=None, organization=orgs["district"], year=2026, name=spec["name"], category=spec["category"],
            description=spec["description"], plan_item=spec["plan_item"],
            starts_on=spec["period"][0], ends_on=spec["period"][1],
            lead_departments=[orgs[d] for d in spec["leads"]], participating_orgs=participants,
            targets=spec["targets"],
        ))
    return programs


def _people(rng: random.Random, count: int) -> list[Participant]:
    people = []
    for i in range(count):
        phone = f"13{rng.randint(5, 9)}{i:04d}{rng.randint(1000, 9999)}"
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2)))
        people.append(upsert_participant(name, phone, rng.choice(WORKPLACES), rng.choice(GROUPS), by=None))
    db.session.flush()
    return people


def _check_in_crowd(event: Event, people: list[Participant], rng: random.Random, staff: User) -> None:
    """Check a sample of people in at a past event: most by their phones, some typed in by staff."""
    for person in people:
        method = rng.choice([SELF_SCAN, SELF_SCAN, MANUAL])
        at = event.starts_at - timedelta(minutes=rng.randint(-90, 30))
        check_in(event, person, by=staff if method == MANUAL else None, method=method, at=at, enforce_window=False)


def _quantities(spec: dict, rng: random.Random) -> list[tuple[str, str, int]]:
    if "quantity" not in spec:
        return []
    label, unit, low, high = spec["quantity"]
    return [(label, unit, rng.randint(low, high))]


def seed_events(orgs: dict[str, Organization], programs: list[Program]) -> int:
    """Add past events with check-ins, one open now, some upcoming, one draft and one cancelled."""
    if db.session.scalar(select(func.count(Event.id))):
        return 0
    rng = random.Random(2026)
    people = _people(rng, 400)
    staff = _user("admin", "admin", orgs["district"], "区总管理员")
    specs = _program_specs(orgs)
    organizers = [orgs[s] for s, _ in STREETS] + [orgs[c] for _, c in STREETS[:4]]
    local_today = (utcnow() + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0)
    created = 0
    for program, spec in zip(programs, specs, strict=True):
        start_day = max(datetime.combine(spec["period"][0], datetime.min.time()), local_today - timedelta(days=200))
        for n in range(rng.randint(6, 10)):
            org = rng.choice(organizers)
            day = start_day + timedelta(days=rng.randint(0, max(1, (local_today - start_day).days - 1)))
            starts = from_local(day.replace(hour=rng.choice([9, 10, 14, 15, 19])))
            kind = rng.choice(spec["kinds"])
            place = rng.choice(VENUES)
            level = "区级" if org.kind == STREET and n == 0 and "三大节" in spec["name"] else (
                "社区级" if org.kind == FEDERATION else "街道级")
            event = create_event(
                program, org, by=None, title=f"{org.label}" + spec["title"].format(kind=kind, place=place),
                level=level, kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=2),
                venue_name=f"{org.label}{place}", venue_address=f"深圳市龙岗区{org.label}街道",
                target_groups=rng.sample(GROUPS, 2), quantities=_quantities(spec, rng),
            )
            publish_event(event, by=None)
            _check_in_crowd(event, rng.sample(people, rng.randint(15, 80)), rng, staff)
            created += 1
    return created + _seed_showcase_events(orgs, programs[0], local_today)


def _seed_showcase_events(orgs: dict[str, Organization], month: Program, local_today: datetime) -> int:
    """Add one event open for check-in right now, two upcoming, one draft and one cancelled."""
    now = utcnow()
    live = create_event(month, orgs["平湖"], by=None, title="平湖街道新业态劳动者暖心服务日（演示：正在签到）",
                        level="街道级", kind="慰问", starts_at=now - timedelta(minutes=30),
                        ends_at=now + timedelta(hours=6), venue_name="平湖暖蜂驿站",
                        venue_address="深圳市龙岗区平湖街道平新北路", capacity=200, target_groups=["外卖员", "快递员"])
    publish_event(live, by=None)
    for days, title in ((3, "坂田街道外卖骑手安全技能培训"), (10, "布吉街道新业态劳动者法律援助专场")):
        org = orgs["坂田"] if "坂田" in title else orgs["布吉"]
        starts = from_local(local_today + timedelta(days=days, hours=14))
        upcoming = create_event(month, org, by=None, title=title, level="街道级",
                                kind="培训" if "培训" in title else "法律服务", starts_at=starts,
                                ends_at=starts + timedelta(hours=2), venue_name=f"{org.label}职工之家",
                                venue_address=f"深圳市龙岗区{org.label}街道")
        publish_event(upcoming, by=None)
    starts = from_local(local_today + timedelta(days=20, hours=9))
    create_event(month, orgs["横岗"], by=None, title="横岗街道快递员职业技能竞赛（筹备中）", level="街道级",
                 kind="竞赛", starts_at=starts, ends_at=starts + timedelta(hours=4), venue_name="横岗街道工人文化宫")
    starts = from_local(local_today - timedelta(days=5, hours=-15))
    cancelled = create_event(month, orgs["龙城"], by=None, title="龙城街道户外劳动者义诊（因台风取消）",
                             level="街道级", kind="慰问", starts_at=starts, ends_at=starts + timedelta(hours=2),
                             venue_name="龙城街道爱心驿站")
    publish_event(cancelled, by=None)
    cancel_event(cancelled, by=None, reason="台风预警")
    db.session.flush()
    return 5


def seed_demo_data() -> str:
    """Create (or complete) the demo data; running it again adds nothing."""
    orgs = seed_organizations()
    seed_users(orgs)
    programs = seed_programs(orgs)
    events = seed_events(orgs, programs)
    checkins = db.session.scalar(select(func.count(CheckIn.id))) or 0
    published = db.session.scalar(select(func.count(Event.id)).where(Event.status == PUBLISHED)) or 0
    return (f"{len(orgs)} 个组织，{len(programs)} 个项目，新增 {events} 场活动（已发布 {published} 场），"
            f"签到 {checkins} 人次")
