"""Flask commands: create-admin, seed-demo."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from eventsvc.core.exceptions import OperationError
from eventsvc.extensions import db


def register_cli(app: Flask) -> None:
    """Attach the project's commands to `flask`."""
    from eventsvc.audit.cli import audit_cli
    from eventsvc.imports.cli import imports_cli

    app.cli.add_command(imports_cli)

    from eventsvc.orgs.users_cli import users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)

    from eventsvc.orgs.cli import orgs_cli

    app.cli.add_command(orgs_cli)

    from eventsvc.imports.plan_cli import plan as plan_cli

    app.cli.add_command(plan_cli)

    from eventsvc.notices.cli import notices_cli

    app.cli.add_command(notices_cli)

    from eventsvc.privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)

    from eventsvc.progress.counters import register as register_counts

    register_counts(app)  # flask counts verify|rebuild

    @app.cli.command("create-admin")
    @click.option("--username", prompt="用户名")
    @click.option("--password", prompt="密码", hide_input=True, confirmation_prompt=True)
    @click.option("--org-name", default="深圳市龙岗区总工会", show_default=True, help="district root name")
    def create_admin(username: str, password: str, org_name: str) -> None:
        """Create a district administrator (and the district root if the tree is empty)."""
        from eventsvc.orgs.models import DISTRICT
        from eventsvc.orgs.operations import create_organization, create_user
        from eventsvc.orgs.queries import district_root

        root = district_root() or create_organization(org_name, DISTRICT, None, by=None, short_name="区总工会")
        try:
            user = create_user(username, password, "admin", root, by=None, display_name="管理员")
        except OperationError as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"已创建管理员 {user.username}（{root.name}）")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="do nothing when the database already has organizations")
    def seed_demo(if_empty: bool) -> None:
        """Load the 2026 demo: organizations, users, programs with the plan's targets, events, check-ins."""
        from eventsvc.orgs.models import Organization
        from eventsvc.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_demo_data

        if if_empty and db.session.scalar(select(Organization.id).limit(1)) is not None:
            click.echo("数据库已有数据，跳过演示数据。")
        else:
            summary = seed_demo_data()
            db.session.commit()
            click.echo(f"演示数据已就绪：{summary}")
        click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, who in DEMO_LOGINS:
            click.echo(f"  {username:<10} {who}")
