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
        """Load the demo warehouses, SKUs, stock, users and orders (once). Refused in production: the
        demo logins share one published password."""
        from .demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo

        if app.config["WMS_ENV"] == "production":
            raise click.ClickException("demo data is refused with WMS_ENV=production: its logins share the "
                                       "published password demo1234; create your admin with create-admin")

        counts = load_demo(orders=orders)
        if counts:
            click.echo("demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        else:
            click.echo("demo data already present")
        click.echo(f"demo logins (password {DEMO_PASSWORD}): {', '.join(DEMO_LOGINS)}")

    @app.cli.command("pull-tracking")
    def pull_tracking_command() -> None:
        """Pull shipped parcels' tracking from their carriers and flag stale ones (for cron)."""
        from .shipping.tracking import pull_tracking

        result = pull_tracking()
        click.echo(f"tracking pulled: {result.shipments} parcels, {result.events} new events, "
                   f"{result.failed} failed, {result.exceptions} exceptions opened")

    @app.cli.command("pull-orders")
    @click.option("--channel", "channel_code", help="pull this channel now (its interval is not waited for)")
    @click.option("--all-due", is_flag=True, help="pull every active channel whose feed interval has passed")
    @click.option("--max-pages", default=50, show_default=True, help="pages per channel in one run")
    def pull_orders(channel_code: str | None, all_due: bool, max_pages: int) -> None:
        """Pull orders from channel feeds (for cron); exits 1 when a pull failed."""
        from sqlalchemy import select

        from erp_core.channels.models import Channel
        from erp_core.channels.pull import pull_channel, pull_due_channels
        from erp_core.extensions import db

        if bool(channel_code) == all_due:
            raise click.UsageError("give either --channel CODE or --all-due")
        if channel_code:
            channel_id = db.session.scalar(select(Channel.id).filter_by(code=channel_code))
            if channel_id is None:
                raise click.ClickException(f"no channel {channel_code}")
            try:
                results = [pull_channel(channel_id, max_pages=max_pages)]
            except DomainError as error:
                raise click.ClickException(error.message) from error
        else:
            results = pull_due_channels(max_pages=max_pages)
            if not results:
                click.echo("no channel is due")
        for result in results:
            click.echo(f"{result.channel_code}: {result.pages} page(s), {len(result.created)} created, "
                       f"{len(result.updated)} updated, {len(result.duplicates)} already imported, "
                       f"{len(result.errors)} error(s), cursor {result.cursor!r}"
                       + (", more pages waiting" if result.has_more else ""))
            for error in result.errors:
                click.echo(f"  {error.file} line {error.line} {error.column}: {error.code} {error.reason} "
                           f"{error.value}".rstrip())
            if result.failure:
                click.echo(f"  failed: {result.failure}", err=True)
        if any(result.failure for result in results):
            raise SystemExit(1)

    @app.cli.command("purge-idempotency-keys")
    def purge_idempotency_keys() -> None:
        """Delete Idempotency-Keys older than IDEMPOTENCY_TTL_HOURS (the scheduler does it hourly)."""
        from erp_core.api.idempotency import purge_expired_keys

        click.echo(f"{purge_expired_keys()} expired idempotency keys deleted")

    @app.cli.command("send-webhooks")
    @click.option("--limit", default=500, show_default=True, help="at most this many deliveries this run")
    def send_webhooks(limit: int) -> None:
        """Send the webhook deliveries that are due (the scheduler does it every round; this is for cron)."""
        from erp_core.webhooks.delivery import run_webhook_deliveries

        counts = run_webhook_deliveries(limit)
        click.echo(f"webhooks: {counts['delivered']} delivered, {counts['retrying']} to retry, "
                   f"{counts['failed']} failed")
    _register_ops_commands(app)


def _register_ops_commands(app: Flask) -> None:
    """backup create|list|restore|verify, integrity-check [--apply ID], archive (erp_core.ops)."""

    @app.cli.group("backup")
    def backup() -> None:
        """Backups (数据备份) of the configured database into WMS_BACKUP_DIR."""

    @backup.command("create")
    def backup_create() -> None:
        """Back up now (SQLite online backup / pg_dump) and keep the newest WMS_BACKUP_KEEP."""
        from erp_core.ops.backups import create_backup

        made = _ops_call(create_backup)
        click.echo(f"backup {made.name} created ({made.size} bytes, revision {made.revision})")

    @backup.command("list")
    def backup_list() -> None:
        """The backups: name, size, time, schema revision."""
        from erp_core.ops.backups import list_backups

        for b in list_backups():
            click.echo(f"{b.name}  {b.size:>12} bytes  {b.created_at:%Y-%m-%d %H:%M:%S} UTC  revision {b.revision}")

    @backup.command("verify")
    @click.argument("name")
    def backup_verify(name: str) -> None:
        """Restore into a scratch database and compare rows and stock totals with the manifest."""
        from erp_core.ops.backups import verify_backup

        result = _ops_call(verify_backup, name)
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
        if not result.ok:
            raise click.ClickException(f"backup {name} does not match its manifest")
        click.echo(f"backup {name} verified: {result.tables} tables, {result.rows} rows match")

    @backup.command("restore")
    @click.argument("name")
    @click.option("--yes", is_flag=True, help="replace the configured database: nothing else asks")
    def backup_restore(name: str, yes: bool) -> None:
        """Replace the configured database with a backup. SQLite: stop the app first."""
        from erp_core.ops.backups import restore_backup

        if not yes:
            raise click.UsageError("restoring replaces the configured database: add --yes "
                                   "(SQLite: stop the application first)")
        restored = _ops_call(restore_backup, name)
        click.echo(f"backup {restored.name} restored (revision {restored.revision}); "
                   "run `flask --app wsgi init-db` if this code's schema is newer")

    @app.cli.command("integrity-check")
    @click.option("--apply", "proposal", help="apply this repair proposal (after the check has listed it)")
    def integrity_check(proposal: str | None) -> None:
        """Check the ledger's invariants, list the findings and their repair proposals; exits 1 when
        anything is wrong."""
        from erp_core.ops.integrity import run_integrity_check
        from erp_core.ops.repair import apply_proposal

        if proposal:
            click.echo(_ops_call(apply_proposal, proposal))
            return
        findings = run_integrity_check()
        with app.test_request_context("/"):  # the findings' sentences are translatable (English here)
            for finding in findings:
                click.echo(f"[{finding.kind}] {finding.summary}")
                for p in finding.proposals:
                    click.echo(f"    repair: {p.text}\n      flask --app wsgi integrity-check --apply {p.id}")
        click.echo(f"{len(findings)} finding(s)")
        if findings:
            raise SystemExit(1)

    @app.cli.command("archive")
    @click.option("--older-than-days", type=click.IntRange(min=1), default=None,
                  help="age of what is archived (default WMS_ARCHIVE_DAYS, 730)")
    def archive(older_than_days: int | None) -> None:
        """Archive finished orders and old stock moves to instance/archive (gzip'd JSON lines), purge
        expired idempotency keys and old import jobs."""
        from erp_core.ops.backups import setting
        from erp_core.ops.cleanup import run_cleanup

        days = older_than_days or int(setting("WMS_ARCHIVE_DAYS", "730"))
        r = _ops_call(run_cleanup, days)
        click.echo(f"archived before {r.cutoff:%Y-%m-%d} into {r.directory}: {r.orders} orders ({r.order_rows} rows), "
                   f"{r.orders_kept} kept (after-sales case), {r.moves} stock moves -> {r.openings} opening moves; "
                   f"purged {r.idempotency_keys} idempotency keys, {r.import_jobs} import jobs")
        if r.skus_kept:
            click.echo(f"stock moves kept for SKU ids {r.skus_kept}: their ledger does not add up (integrity-check)")


def _ops_call(function, *args):
    try:
        return function(*args)
    except DomainError as error:
        raise click.ClickException(error.message) from error
