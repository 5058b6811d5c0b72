"""`popliteal audit verify`: walk the audit trail's hash chain and name the first broken link."""

from __future__ import annotations

from typing import Annotated

import typer

from popliteal.cli._exits import app_settings, fail


def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check that no audit event was edited, removed or reordered (DATABASE_URL).

    Exit 0 when the chain is intact, 1 with the first broken event's id when it is not,
    2 when the database cannot be read. Write down the printed head hash: an intact chain
    ending at it later proves nothing was cut from the end either."""
    import json

    from sqlalchemy.exc import OperationalError, ProgrammingError

    from popliteal.accounts import audit_log
    from popliteal.db import make_engine, make_sessionmaker

    settings = app_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            verdict = audit_log.verify(session)
    except (OperationalError, ProgrammingError) as exc:
        raise fail(
            f"cannot read the audit trail (did you run `popliteal db upgrade`?): {exc.orig}"
        ) from None
    finally:
        engine.dispose()
    broken = verdict.broken
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "intact": broken is None,
                    "events": verdict.events,
                    "head": verdict.head if broken is None else None,
                    "first_broken_event": broken.event_id if broken else None,
                    "reason": broken.reason if broken else None,
                }
            )
        )
    elif broken is None:
        typer.echo(f"audit trail intact: {verdict.events} events, head {verdict.head}")
    else:
        typer.echo(f"audit trail broken at event {broken.event_id}: {broken.reason}")
    if broken is not None:
        raise typer.Exit(code=1)
