"""Running the service: `popliteal db upgrade`, `popliteal demo load` and `popliteal serve`."""

from __future__ import annotations

import os
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


def demo_load(
    scale: Annotated[
        int,
        typer.Option(
            min=0,
            max=100_000,
            help="Also add this many made-up patients with a year of history (benchmarks).",
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the made-up histories.")] = 20261207,
) -> None:
    """Create the demo clinic, its clinicians, appointment types and demo patients with weeks
    of care history (idempotent: loading again changes nothing)."""
    import time

    from sqlalchemy.exc import OperationalError

    from popliteal.db import make_engine, make_sessionmaker
    from popliteal.demo import load_demo
    from popliteal.demo.scale import load_scale

    kb = knowledge_base()
    settings = app_settings()
    engine = make_engine(settings.database_url)
    started = time.perf_counter()
    try:
        with make_sessionmaker(engine)() as session:
            clinic = load_demo(session, kb)
            err.print(f"demo clinic ready: {clinic.name}")
            if scale:

                def progress(done: int, total: int) -> None:
                    err.print(
                        f"  {done:,} of {total:,} patients ({time.perf_counter() - started:.0f} s)"
                    )

                added = load_scale(session, kb, clinic, scale, seed=seed, progress=progress)
                took = time.perf_counter() - started
                err.print(f"{added:,} made-up patients added ({scale:,} in all) in {took:.0f} s")
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
    from popliteal.outcomes.wording import WordingError, clinic_wording
    from popliteal.web.logs import logging_config

    try:
        clinic_wording(settings.wording_dir, kb.outcomes)
    except WordingError as exc:
        raise fail("\n".join(exc.problems)) from None
    if migrate_first:
        db_upgrade("head")
    # Each worker compiles its pages at start-up, not on a person's first visit.
    os.environ.setdefault("POPLITEAL_WARM_START", "true")
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
