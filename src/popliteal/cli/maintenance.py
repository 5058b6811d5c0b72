"""`popliteal maintenance run`: the daily upkeep (deploy/popliteal-maintenance.timer runs it)."""

from __future__ import annotations

import typer

from popliteal.cli._exits import app_settings, err, fail


def maintenance_run() -> None:
    """Delete what is past its retention period, free the slots of visits held too long
    without confirmation, and print what was done (safe to re-run)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from popliteal import clock
    from popliteal.booking.holds import release_expired
    from popliteal.db import make_engine, make_sessionmaker, transaction
    from popliteal.workspace.erasure import expire_kept_records
    from popliteal.workspace.retention import (
        delete_expired_anonymous_screenings,
        delete_stale_login_rows,
    )

    settings = app_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            now = clock.utcnow()
            report = delete_expired_anonymous_screenings(
                session, now=now, keep_days=settings.anonymous_screening_days
            )
            logins = delete_stale_login_rows(
                session, now=now, window_minutes=settings.login_window_minutes
            )
            with transaction(session):
                holds_released = release_expired(session, now=now)
            # Kept until a clinic date; a day early or late in UTC does not matter here.
            kept_notes = expire_kept_records(session, today=now.date())
    except (OperationalError, ProgrammingError) as exc:
        raise fail(
            f"cannot use the database (did you run `popliteal db upgrade`?): {exc.orig}"
        ) from None
    finally:
        engine.dispose()
    typer.echo(  # the report is the command's output: the timer's journal keeps it
        f"anonymous screenings deleted: {report.anonymous_screenings_deleted} "
        f"(untouched since before {report.cutoff:%Y-%m-%d %H:%M} UTC, "
        f"POPLITEAL_ANONYMOUS_SCREENING_DAYS={settings.anonymous_screening_days})"
    )
    typer.echo(f"failed logins deleted: {logins.login_attempts_deleted}")
    typer.echo(f"expired login sessions deleted: {logins.expired_sessions_deleted}")
    typer.echo(f"unconfirmed visit holds released: {holds_released}")
    typer.echo(
        f"deleted accounts' visit notes past their keep-until day deleted: {kept_notes} "
        f"(POPLITEAL_RECORD_RETENTION_YEARS={settings.record_retention_years})"
    )
    err.print("maintenance done", highlight=False)
