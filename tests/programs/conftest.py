"""Fixtures for the program page tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def departments(tree, create_org):  # type: ignore[no-untyped-def]
    """Two district departments (牵头部室 choices)."""
    from eventsvc.extensions import db

    office = create_org("办公室", kind="department", parent=tree["root"])
    rights = create_org("权益保障部", kind="department", parent=tree["root"])
    db.session.commit()
    return office, rights
