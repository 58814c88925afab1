"""The logged-in user comes from a per-process cache checked by one stamp read: whatever changes what the user
may do or see (role, unit, the unit's place in the tree, deactivation, logout elsewhere) applies at the next
request, and an unchanged user is not loaded through the ORM again."""
from __future__ import annotations

from eventsvc.core.permissions import CHECKER
from eventsvc.orgs.models import WORKPLACE
from eventsvc.orgs.operations import deactivate_user, end_sessions, move_organization, update_user
from eventsvc.orgs.sessions import forget_cached_users
from tests.statements import seen_statements


def statements(db):  # type: ignore[no-untyped-def]
    return seen_statements(db.engine)


def test_an_unchanged_user_is_read_by_its_stamp_only(db, tree, login, create_event):  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    client = login(tree["org_a"])
    forget_cached_users()
    assert client.get(f"/events/{event.id}").status_code == 200  # loads the user and keeps it
    with statements(db) as seen:
        assert client.get(f"/events/{event.id}").status_code == 200
    user_loads = [s for s in seen if "password_hash" in s]
    assert user_loads == [], user_loads
    assert any('FROM "user" u' in s for s in seen)  # the stamp


def test_a_new_role_applies_at_the_next_request(db, tree, login, create_event):  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    admin, organizer = tree["admin"], tree["org_a"]
    client = login(organizer)
    assert client.get(f"/events/{event.id}/edit").status_code == 200
    update_user(organizer, by=admin, display_name=organizer.display_name, phone=organizer.phone or "",
                role=CHECKER, organization=organizer.organization)
    db.session.commit()
    # The role change ends the account's sessions (session_version): the next request must log in again.
    assert client.get(f"/events/{event.id}/edit").status_code in (302, 401)


def test_deactivation_and_logout_elsewhere_apply_at_once(db, tree, login, create_event):  # type: ignore[no-untyped-def]
    event = create_event(org=tree["a"])
    client = login(tree["org_a"])
    assert client.get(f"/events/{event.id}").status_code == 200
    end_sessions(tree["org_a"], by=tree["org_a"])
    db.session.commit()
    assert client.get(f"/events/{event.id}").status_code == 302
    client = login(tree["viewer_a"])
    assert client.get(f"/events/{event.id}").status_code == 200
    deactivate_user(tree["viewer_a"], by=tree["admin"])
    db.session.commit()
    assert client.get(f"/events/{event.id}").status_code == 302


def test_a_moved_unit_moves_its_users_scope_at_once(db, tree, login, create_org, create_user, create_event):  # type: ignore[no-untyped-def]
    community = tree["a_child"]
    workplace = create_org(name="白坭坑某物流公司工会", kind=WORKPLACE, parent=community)
    event = create_event(org=workplace)
    other = create_event(org=tree["a"])
    user = create_user("organizer", community)
    client = login(user)
    assert client.get(f"/events/{event.id}").status_code == 200
    move_organization(community, tree["b"], by=tree["admin"])
    db.session.commit()
    # A stale copy of the user's unit would keep the old path, which the workplace's new path no longer starts with.
    assert client.get(f"/events/{event.id}").status_code == 200
    assert client.get(f"/events/{other.id}").status_code == 404
