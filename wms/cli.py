"""`flask --app wsgi ...` commands: create the database, create an admin, load the demo data."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade

from erp_core.auth.services import create_user
from erp_core.errors import DomainError


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the database schema (Alembic migrations)."""
        upgrade()
        click.echo("database schema is up to date")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.password_option(help="at least 8 characters")
    def create_admin(username: str, password: str) -> None:
        """Create an admin account."""
        try:
            create_user(username, password, "admin", full_name=username)
        except DomainError as error:
            raise click.ClickException(error.message) from error
        click.echo(f"admin {username} created")

    @app.cli.command("demo-data")
    @click.option("--orders", default=300, show_default=True)
    def demo_data(orders: int) -> None:
        """Load the demo warehouses, SKUs, stock, users and orders (once)."""
        from .demo import DEMO_PASSWORD, DEMO_USERS, load_demo

        counts = load_demo(orders=orders)
        if counts:
            click.echo("demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        else:
            click.echo("demo data already present")
        click.echo(f"demo logins (password {DEMO_PASSWORD}): {', '.join(u[0] for u in DEMO_USERS)}")
