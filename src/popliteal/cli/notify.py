"""`popliteal notify run [--once]`: the e-mail sender, and `popliteal notify status`.

Each round queues the reminders that fell due (visits within the clinic's lead time,
questionnaires due today), then delivers what is in the outbox. `--once` does one round (cron,
tests); without it the command is the long-lived worker process and stops on Ctrl-C or SIGTERM
after the message in hand.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer
from sqlalchemy.exc import OperationalError

from popliteal.cli._exits import app_settings, err, fail, knowledge_base


def _round(factory: Any, *, settings: Any, kb: Any, transport: Any) -> str:
    from popliteal.booking.notices import enqueue_due_reminders
    from popliteal.mail.sender import run_once
    from popliteal.outcomes.notices import enqueue_due_questionnaires

    with factory() as session:
        reminders = enqueue_due_reminders(session)
        forms = enqueue_due_questionnaires(session, kb=kb, base_url=settings.base_url)
        report = run_once(session, transport=transport, mail_from=settings.mail_from)
    return (
        f"queued {reminders} visit reminder(s), {forms} questionnaire reminder(s); "
        f"sent {report.sent}, will retry {report.retrying}, failed {report.failed}"
    )


def notify_run(
    once: Annotated[bool, typer.Option("--once", help="Do one round, then stop.")] = False,
    interval: Annotated[
        float, typer.Option(min=1, help="Seconds between rounds (the worker).")
    ] = 30.0,
) -> None:
    """Send the queued e-mail: visit confirmations and reminders, questionnaire reminders."""
    from popliteal.db import make_engine, make_sessionmaker
    from popliteal.mail.transport import transport_for

    settings = app_settings()
    kb = knowledge_base()
    try:
        transport = transport_for(settings.smtp_url, settings.var_dir)
    except ValueError as exc:
        raise fail(str(exc)) from None
    where = "the SMTP server" if settings.smtp_url else f"{settings.var_dir / 'outbox'} (.eml)"
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    stop = threading.Event()
    if not once and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while True:
            try:
                err.print(
                    f"{_round(factory, settings=settings, kb=kb, transport=transport)} (to {where})"
                )
            except OperationalError as exc:
                if once:
                    raise fail(f"cannot reach the database: {exc.orig}") from None
                err.print(f"cannot reach the database, trying again: {exc.orig}")
            if once or stop.wait(interval):
                break
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


def notify_status() -> None:
    """How many messages wait, were sent or failed; the failed ones with their last error."""
    from popliteal.db import make_engine, make_sessionmaker
    from popliteal.mail.sender import counts, failed_messages

    settings = app_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            found = counts(session)
            failed = failed_messages(session, clinic_id=None)
    except OperationalError as exc:
        raise fail(f"cannot reach the database: {exc.orig}") from None
    finally:
        engine.dispose()
    typer.echo(
        ", ".join(f"{s}: {found.get(s, 0)}" for s in ("pending", "sending", "sent", "failed"))
    )
    for m in failed:
        typer.echo(
            f"failed #{m.id} {m.kind} to {m.to_address} after {m.attempts} tries: {m.last_error}"
        )
