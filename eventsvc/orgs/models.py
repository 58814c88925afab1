"""The organization tree and staff users."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventsvc.core.permissions import ADMIN, ALL_ROLES, CHECKIN_ROLES, MANAGE_ROLES, ROLE_LABELS
from eventsvc.db import Base, TimestampMixin, one_of

DISTRICT = "district"
DEPARTMENT = "department"
STREET = "street"
FEDERATION = "federation"
WORKPLACE = "workplace"

KIND_LABELS = {
    DISTRICT: "区总工会",
    DEPARTMENT: "部室",
    STREET: "街道总工会",
    FEDERATION: "工联会",
    WORKPLACE: "单位工会",
}

# A 工联会 is a community, park, building or trade federation; "" for every other kind.
SUBTYPE_LABELS = {"community": "社区", "park": "园区", "building": "楼宇", "industry": "行业"}


class Organization(TimestampMixin, Base):
    """A node of the union tree; `path` ("/1/4/17/") makes subtree queries one indexed LIKE."""

    __tablename__ = "organization"
    __table_args__ = (
        UniqueConstraint("parent_id", "name"), one_of("kind", KIND_LABELS), one_of("subtype", ["", *SUBTYPE_LABELS]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="", index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    subtype: Mapped[str] = mapped_column(String(10), default="")
    contact_name: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")

    parent: Mapped[Organization | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organization]] = relationship(
        back_populates="parent", order_by="Organization.sort_order, Organization.id"
    )

    @property
    def kind_label(self) -> str:
        """The kind as the union writes it: "社区工联会" for a federation with a subtype."""
        if self.kind == FEDERATION and self.subtype in SUBTYPE_LABELS:
            return SUBTYPE_LABELS[self.subtype] + KIND_LABELS[FEDERATION]
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        """Short name for tables and charts."""
        return self.short_name or self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name}>"


class User(UserMixin, TimestampMixin, Base):
    """A staff account; it belongs to one organization and sees that subtree only."""

    __tablename__ = "user"
    __table_args__ = (one_of("role", ALL_ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    phone: Mapped[str] = mapped_column(String(20), default="")
    # Set by a reset or an import: the holder must choose their own password before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Stored in the session and the remember cookie; bumping it ends every session of this user.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def can_manage(self) -> bool:
        return self.role in MANAGE_ROLES

    @property
    def can_check_in(self) -> bool:
        return self.role in CHECKIN_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_district(self) -> bool:
        """District-level users (the root or a district department) see everything."""
        return self.organization.kind in (DISTRICT, DEPARTMENT)

    @property
    def scope_path(self) -> str:
        """Path prefix of every organization this user reaches ("" reaches all)."""
        return "" if self.is_district else self.organization.path

    def reaches(self, org: Organization | None) -> bool:
        """Tell whether the organization lies within this user's scope."""
        return org is not None and org.path.startswith(self.scope_path)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class LoginThrottle(Base):
    """Failed logins counted per typed username or per client IP (keys are HMACs), shared by every app server.

    Keyed by the name typed rather than the account, so unknown names lock exactly like real ones.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, index=True)
