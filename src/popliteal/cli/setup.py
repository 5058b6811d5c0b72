"""First-run set-up without the demo: `popliteal clinic create` and `popliteal user create`.

Each prints the new record's id alone on stdout (for scripts) and a sentence on stderr; bad
input exits 2 naming every problem, and nothing is stored then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from popliteal.cli._exits import app_settings, err, fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


def _in_database(work: Callable[[Session], T]) -> T:
    """Run `work(session)` on the configured database; its problems and an unreachable or
    unmigrated database exit 2 with the message."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from popliteal.db import make_engine, make_sessionmaker
    from popliteal.errors import AccountError, ProblemsError

    engine = make_engine(app_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return work(session)
    except ProblemsError as exc:
        raise fail("\n".join(exc.problems)) from None
    except AccountError as exc:
        raise fail(str(exc)) from None
    except (OperationalError, ProgrammingError) as exc:
        raise fail(
            f"cannot use the database (did you run `popliteal db upgrade`?): {exc.orig}"
        ) from None
    finally:
        engine.dispose()


def clinic_create(
    name: Annotated[str, typer.Option(help="The clinic's name, as every page shows it.")],
    timezone: Annotated[
        str, typer.Option(help="IANA time zone of the clinic's wall clock, e.g. America/Chicago.")
    ],
    phone: Annotated[str, typer.Option(help="The clinic's phone (pages link it to call).")],
    address: Annotated[str, typer.Option(help="The clinic's postal address.")] = "",
    emergency_number: Annotated[
        str | None,
        typer.Option(
            help="The number pages tell people to call in an emergency (911, 112, 999); "
            "default: the server's POPLITEAL_EMERGENCY_NUMBER."
        ),
    ] = None,
) -> None:
    """Create a clinic and print its id. Booking and follow-up settings start as the demo's;
    an admin changes them on /staff/admin."""
    from sqlalchemy import func, select

    from popliteal.accounts.models import Clinic
    from popliteal.accounts.setup import create_clinic

    def work(session: Session) -> tuple[int, str, int]:
        clinic = create_clinic(
            session,
            name=name,
            timezone=timezone,
            phone=phone,
            address=address,
            emergency_number=emergency_number,
        )
        first = session.scalar(select(func.min(Clinic.id)))
        return clinic.id, clinic.name, int(first or clinic.id)

    clinic_id, clinic_name, first = _in_database(work)
    err.print(
        f"clinic {clinic_name!r} created with id {clinic_id}", highlight=False, soft_wrap=True
    )
    if first != clinic_id:
        err.print(
            f"note: the public pages serve the first clinic (id {first}); one clinic per "
            "deployment for now",
            highlight=False,
            soft_wrap=True,
        )
    err.print(
        f"next: popliteal user create --clinic {clinic_id} --role admin --email … --name …",
        highlight=False,
        soft_wrap=True,
    )
    typer.echo(clinic_id)


def _read_password(password_stdin: bool) -> str:
    """From the first line of stdin (for scripts), else asked twice without echo."""
    if password_stdin:
        line = typer.get_text_stream("stdin").readline()
        return line.removesuffix("\n").removesuffix("\r")
    # On stderr, so `ID=$(popliteal user create ...)` captures only the id.
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return password


def user_create(
    clinic: Annotated[int, typer.Option(help="The clinic's id (printed by `clinic create`).")],
    role: Annotated[str, typer.Option(help="admin or clinician.")],
    email: Annotated[str, typer.Option(help="The address they log in with.")],
    name: Annotated[str, typer.Option(help="Their name as pages show it.")],
    profession: Annotated[
        str | None, typer.Option(help="physical_therapist, chiropractor or other.")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
    invite: Annotated[
        bool,
        typer.Option(
            "--invite",
            help="Ask no password: e-mail them a link to choose one (printed on stderr too).",
        ),
    ] = False,
) -> None:
    """Create a clinic administrator or clinician and print their id. The password is asked
    twice without echo (or read with --password-stdin); the app's password rules apply. With
    --invite they get an e-mail with a one-time link (72 hours) to choose it themselves."""
    from popliteal.accounts import rules
    from popliteal.accounts.setup import create_staff

    # Refuse what can be checked before asking for a password.
    problems = [p for p in (rules.email_problem(email),) if p]
    if role not in ("admin", "clinician"):
        problems.append("role: choose admin or clinician")
    if invite and password_stdin:
        problems.append("choose --invite or --password-stdin, not both")
    if problems:
        raise fail("\n".join(problems))
    password = None if invite else _read_password(password_stdin)
    settings = app_settings()

    def work(session: Session) -> tuple[int, str | None]:
        user, link = create_staff(
            session,
            clinic_id=clinic,
            role=role,
            email=email,
            display_name=name,
            password=password,
            profession=profession,
            base_url=settings.base_url,
        )
        return user.id, link

    user_id, link = _in_database(work)
    err.print(
        f"{role} {rules.normalise_email(email)} created with id {user_id}",
        highlight=False,
        soft_wrap=True,
    )
    if link is not None:
        err.print(
            "an invitation e-mail is in the outbox (`popliteal notify run --once` sends it); "
            f"its one-time link, valid 72 hours: {link}",
            highlight=False,
            soft_wrap=True,
        )
    typer.echo(user_id)
