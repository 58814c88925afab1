"""End to end in headless Chromium: a district administrator imports an organization sheet and creates a street
administrator, who logs in, replaces the temporary password and creates a checker for one of its 工联会;
the audit page shows the whole chain (and the street administrator sees only its own part of it)."""
from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from eventsvc.audit.models import AuditEntry
from eventsvc.orgs.models import Organization, User
from tests.e2e.conftest import LAPTOP
from tests.factories import TEST_PASSWORD

COMMUNITY = "平湖街道山厦社区工联会"
PARK = "平湖街道华南城园区工联会"
NEW_PASSWORD = "Shanxia-Road-2026"


def _org_sheet(tmp_path, street: str):  # type: ignore[no-untyped-def]
    wb = Workbook()
    ws = wb.active
    ws.title = "组织架构"
    ws.append(["组织名称", "上级组织", "类型", "简称", "联系人", "联系电话"])
    ws.append([COMMUNITY, street, "社区工联会", "山厦社区", "李红", "13800138000"])
    ws.append([PARK, street, "园区工联会", "华南城", "", ""])
    path = tmp_path / "组织架构.xlsx"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path


def _login(page, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button:has-text('登录')")
    page.wait_for_load_state()


def _create_user(page, base: str, username: str, name: str, org_id: int, role: str) -> str:  # type: ignore[no-untyped-def]
    """Fill /admin/users/new and return the temporary password the answer shows once."""
    page.goto(f"{base}/admin/users/new")
    page.fill("input[name=username]", username)
    page.fill("input[name=display_name]", name)
    page.select_option("select[name=organization]", str(org_id))
    page.select_option("select[name=role]", role)
    page.click("button:has-text('保存')")
    page.wait_for_selector("#temp-password")
    return page.locator("#temp-password").inner_text().strip()


def test_district_admin_to_street_admin_to_checker_is_audited(
    db, tree, live_server, browser, tmp_path, artifacts_dir
):  # type: ignore[no-untyped-def]
    base, street = live_server, tree["a"]

    # 1. The district administrator imports two 工联会 under 平湖 (preview, then confirm).
    district = browser.new_context(**LAPTOP).new_page()
    _login(district, base, "admin", TEST_PASSWORD)
    district.goto(f"{base}/admin/organizations/import")
    district.set_input_files("input[name=file]", str(_org_sheet(tmp_path, street.name)))
    district.click("button:has-text('上传并预览')")
    district.wait_for_selector("text=将新增 2 个")
    district.click("button:has-text('确认导入 2 个组织')")
    district.wait_for_selector("text=已导入 2 个组织")
    db.session.expire_all()
    community = db.session.scalar(select(Organization).where(Organization.name == COMMUNITY))
    assert community is not None and community.parent_id == street.id

    # 2. ... and creates the street administrator with a temporary password.
    temporary = _create_user(district, base, "pinghu_admin", "平湖管理员", street.id, "admin")
    district.screenshot(path=str(artifacts_dir / "e2e-admin-01-temp-password.png"))

    # 3. The street administrator logs in and must replace the temporary password first.
    street_page = browser.new_context(**LAPTOP).new_page()
    _login(street_page, base, "pinghu_admin", temporary)
    assert street_page.url.endswith("/account/password")
    street_page.goto(f"{base}/admin/users")  # nothing else opens until the password is changed
    assert street_page.url.endswith("/account/password")
    street_page.fill("input[name=old_password]", temporary)
    street_page.fill("input[name=new_password]", NEW_PASSWORD)
    street_page.fill("input[name=confirm_password]", NEW_PASSWORD)
    street_page.click("button:has-text('保存')")
    street_page.wait_for_selector("text=密码已修改")

    # 4. ... then creates a checker for the imported community federation.
    _create_user(street_page, base, "shanxia_checker", "山厦核销员", community.id, "checker")
    db.session.expire_all()
    checker = db.session.scalar(select(User).where(User.username == "shanxia_checker"))
    assert checker is not None and checker.organization_id == community.id and checker.must_change_password

    # 5. The district's audit page shows the chain, newest first.
    district.goto(f"{base}/admin/audit")
    district.screenshot(path=str(artifacts_dir / "e2e-admin-02-audit.png"), full_page=True)
    rows = [(r.locator("td").nth(1).inner_text().strip(), r.locator("td").nth(2).inner_text().strip())
            for r in district.locator("table.audit-table tbody tr").all()]
    chain = [("admin", "import.confirm"), ("admin", "user.create"), ("pinghu_admin", "auth.login"),
             ("pinghu_admin", "user.change_password"), ("pinghu_admin", "user.create")]
    oldest_first = list(reversed(rows))
    positions = [oldest_first.index(step) for step in chain]
    assert positions == sorted(positions), oldest_first
    assert ("admin", "org.create") in rows
    summaries = district.locator("table.audit-table").inner_text()
    assert "shanxia_checker" in summaries and "pinghu_admin" in summaries and "13800138000" not in summaries

    # The street administrator's audit page covers its own subtree: the checker, not the district's import.
    street_page.goto(f"{base}/admin/audit")
    street_text = street_page.locator("main").inner_text()
    assert "shanxia_checker" in street_text and "import.confirm" not in street_text
    street_page.screenshot(path=str(artifacts_dir / "e2e-admin-03-street-audit.png"), full_page=True)

    stored = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_name == "pinghu_admin")).all()
    assert {"auth.login", "user.change_password", "user.create"} <= set(stored)
