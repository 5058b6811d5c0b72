"""`popliteal backup` and `popliteal restore` (the database in DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from popliteal.cli._exits import app_settings, err, fail


def backup_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The backup file to write.", dir_okay=False)
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Copy the database to FILE while the service keeps running (SQLite: online backup;
    PostgreSQL: pg_dump's custom format)."""
    from sqlalchemy.exc import OperationalError

    from popliteal import backup

    settings = app_settings()
    try:
        report = backup.backup(settings.database_url, output, force=force)
    except backup.BackupError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise fail(f"cannot reach the database: {exc.orig}") from None
    typer.echo(str(report.path))
    err.print(
        f"backup written ({report.method}): {report.path}, {report.size_bytes} bytes, "
        f"schema revision {report.revision}",
        highlight=False,
    )


def restore_command(
    source: Annotated[Path, typer.Argument(help="A file written by `popliteal backup`.")],
) -> None:
    """Restore FILE into the database in DATABASE_URL, which must be new and empty; the
    restored database is checked and migrated to this version's schema."""
    from sqlalchemy.exc import OperationalError

    from popliteal import backup

    settings = app_settings()
    try:
        report = backup.restore(settings.database_url, source)
    except backup.BackupError as exc:
        raise fail(str(exc)) from None
    except OperationalError as exc:
        raise fail(f"cannot reach the database: {exc.orig}") from None
    upgraded = (
        f", migrated to {report.revision_now}"
        if report.revision_now != report.revision_in_backup
        else ""
    )
    err.print(
        f"restored {source}: integrity {report.integrity}, schema revision "
        f"{report.revision_in_backup}{upgraded}",
        highlight=False,
    )
