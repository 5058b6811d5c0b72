"""Running the service: `popliteal db upgrade`, `popliteal demo load` and `popliteal serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from popliteal.cli._exits import app_settings, err, fail, knowledge_base


def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database (DATABASE_URL, default var/popliteal.db) to the newest schema."""
    from sqlalchemy.exc import OperationalError

    from popliteal import migrate

    settings = app_settings()
    try:
        migrate.upgrade(settings.database_url, revision)
    except OperationalError as exc:
        raise fail(f"cannot reach the database: {exc.orig}") from None
    err.print(f"database at revision {migrate.current(settings.database_url)}")


def demo_load() -> None:
    """Create the demo clinic, its clinicians, appointment types and a demo patient (idempotent)."""
    from sqlalchemy.exc import OperationalError

    from popliteal.db import make_engine, make_sessionmaker
    from popliteal.demo import load_demo

    kb = knowledge_base()
    settings = app_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            clinic = load_demo(session, kb)
            err.print(f"demo clinic ready: {clinic.name}")
    except OperationalError as exc:
        raise fail(
            f"cannot reach the database (did you run `popliteal db upgrade`?): {exc.orig}"
        ) from None
    finally:
        engine.dispose()


def serve(
    host: Annotated[str, typer.Option(envvar="POPLITEAL_HOST", help="Address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(envvar="POPLITEAL_PORT", help="Port.")] = 8000,
    workers: Annotated[
        int, typer.Option(envvar="POPLITEAL_WORKERS", min=1, help="Worker processes.")
    ] = 1,
    migrate_first: Annotated[
        bool,
        typer.Option("--migrate/--no-migrate", help="Run database migrations before serving."),
    ] = True,
) -> None:
    """Serve the web application and the JSON API."""
    import uvicorn

    settings = app_settings()
    kb = knowledge_base()
    from popliteal.outcomes.wording import WordingError
    from popliteal.server import clinic_wording
    from popliteal.web.logs import logging_config

    try:
        clinic_wording(settings, kb)
    except WordingError as exc:
        raise fail("\n".join(exc.problems)) from None
    if migrate_first:
        db_upgrade("head")
    uvicorn.run(
        "popliteal.server:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        # JSON lines with request ids (POPLITEAL_LOG_FORMAT); the app logs one access line
        # per request itself, with the route template and the request id.
        log_config=logging_config(settings.log_format),
        access_log=False,
    )
