"""First-run set-up without the demo (issue 16, item 1): on a freshly migrated, EMPTY database
every page and API answers normally or 503 "not set up yet", never a crash; then
`popliteal clinic create` and `popliteal user create` make a clinic whose admin can log in."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import AuditEvent, Clinic, User
from popliteal.demo import CLINIC_SLUG
from popliteal.errors import NotSetUp
from popliteal.web.csrf import CSRF_COOKIE, token_for
from tests.conftest import PG_URL, RunCli, csrf_from, truncate_all

NOT_SET_UP = "This service is not set up yet"
PASSWORD = "a-long-enough-password"


@pytest.fixture(scope="module")
def empty_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from popliteal import migrate

    path = tmp_path_factory.mktemp("empty") / "popliteal.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Overrides the suite's demo database: migrated as `popliteal db upgrade` leaves it, empty."""
    if request.param == "sqlite":
        path = tmp_path / "popliteal.db"
        shutil.copyfile(request.getfixturevalue("empty_sqlite_template"), path)
        return f"sqlite:///{path}"
    from popliteal import migrate
    from popliteal.db import make_engine

    migrate.upgrade(PG_URL)
    import popliteal.models  # noqa: F401

    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        truncate_all(conn)
    engine.dispose()
    return PG_URL


@pytest.fixture
def cli(run_cli: RunCli, database_url: str, monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """`popliteal ...` in-process on this test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    return run_cli


def create_clinic(cli: RunCli, *extra: str) -> int:
    done = cli(
        "clinic",
        "create",
        "--name",
        "Lakeside Physio",
        "--timezone",
        "Europe/Dublin",
        "--phone",
        "+353 1 555 0199",
        "--address",
        "1 Quay Street, Dublin",
        *extra,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def create_admin(cli: RunCli, clinic_id: int, email: str = "ann@lakeside.example") -> int:
    done = cli(
        "user",
        "create",
        "--clinic",
        str(clinic_id),
        "--role",
        "admin",
        "--email",
        email,
        "--name",
        "Ann Byrne, PT",
        "--profession",
        "physical_therapist",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


# ---------------------------------------------------------------------------------------------
# Before any clinic exists.


def test_not_set_up_is_a_domain_error_with_the_message() -> None:
    assert NotSetUp.message == NOT_SET_UP
    assert not issubclass(NotSetUp, ValueError)  # not "check what you entered"


@pytest.mark.postgres
def test_main_pages_and_apis_say_not_set_up(client: Any) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    for path in ("/", "/login", "/screening", "/conditions"):
        assert client.get(path).status_code == 200, path

    api = client.post("/api/screenings", json={"answers": {"age_years": 30}})
    assert (api.status_code, api.json()) == (503, {"detail": NOT_SET_UP})
    for path in ("/api/appointment-types", "/api/slots"):
        answer = client.get(path)
        assert (answer.status_code, answer.json()) == (503, {"detail": NOT_SET_UP}), path

    token = csrf_from(client, "/screening")
    start = client.post("/screening", data={"csrf_token": token})
    assert start.status_code == 503
    assert NOT_SET_UP in start.text
    for path in ("/book", "/my/appointments", "/staff/schedule"):
        page = client.get(path)
        assert page.status_code == 503, path
        assert NOT_SET_UP in page.text
        assert "something went wrong" not in page.text.lower()

    login = client.post("/api/auth/login", json={"email": "a@b.ie", "password": PASSWORD})
    assert login.status_code == 401


def _fill(path: str) -> str:
    """The path with every parameter given a plausible value (no such record exists)."""
    import re

    return re.sub(r"\{[^}]+\}", "1", path)


def test_no_route_crashes_before_set_up(app: Any, client: Any) -> None:
    """Every route the app has, anonymously, with a valid CSRF token: a normal answer or 503,
    never another 5xx (a route added later is walked too)."""
    client.get("/login")  # the CSRF seed cookie
    seed = client.cookies.get(CSRF_COOKIE)
    headers = {"X-CSRF-Token": token_for(app.state.settings.secret_key, seed)}
    crashes, not_set_up = [], 0
    for context in iter_route_contexts(app.routes):
        if not context.path or not context.methods:
            continue  # mounts
        for method in sorted(context.methods - {"HEAD", "OPTIONS"}):
            url = _fill(context.path)
            body = {"json": {}} if url.startswith("/api/") else {"data": {}}
            if method == "GET":
                answer = client.get(url, headers=headers)
            else:
                answer = client.request(method, url, headers=headers, **body)
            if answer.status_code >= 500 and answer.status_code != 503:
                crashes.append((method, context.path, answer.status_code))
            not_set_up += answer.status_code == 503
    assert crashes == []
    assert not_set_up >= 5  # the walk reached the routes that need the clinic


# ---------------------------------------------------------------------------------------------
# Setting it up.


@pytest.mark.postgres
def test_clinic_then_admin_then_the_admin_logs_in(cli: RunCli, client: Any, db: Session) -> None:
    assert client.get("/book").status_code == 503  # the server already runs, not set up
    clinic_id = create_clinic(cli)
    user_id = create_admin(cli, clinic_id)

    clinic = db.get(Clinic, clinic_id)
    assert clinic is not None
    assert (clinic.name, clinic.timezone, clinic.phone, clinic.address) == (
        "Lakeside Physio",
        "Europe/Dublin",
        "+353 1 555 0199",
        "1 Quay Street, Dublin",
    )
    # The demo's settings (the model's defaults); never the demo's slug.
    assert (clinic.cancel_notice_hours, clinic.min_booking_notice_hours) == (24, 2)
    assert (clinic.booking_horizon_days, clinic.followup_interval_days) == (60, 14)
    assert clinic.slug == "lakeside-physio" != CLINIC_SLUG
    user = db.get(User, user_id)
    assert user is not None
    assert (user.clinic_id, user.role, user.email, user.profession) == (
        clinic_id,
        "admin",
        "ann@lakeside.example",
        "physical_therapist",
    )
    assert user.password_hash != PASSWORD
    audited = db.scalars(select(AuditEvent.entity).order_by(AuditEvent.id)).all()
    assert audited == ["clinic", "user"]
    db.rollback()  # on SQLite a transaction holds the write lock: end it before the requests

    answer = client.post(
        "/api/auth/login", json={"email": "Ann@Lakeside.example", "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == "admin"
    admin_page = client.get("/staff/admin")
    assert admin_page.status_code == 200
    assert "Lakeside Physio" in admin_page.text  # the header no longer says "popliteal"
    assert client.post("/api/screenings", json={"answers": {"age_years": 30}}).status_code == 201
    assert client.get("/book").status_code == 200  # no appointment types yet: nothing to book
    assert client.get("/api/appointment-types").json() == []


def test_the_clinics_emergency_number_is_the_one_people_are_told_to_call(
    cli: RunCli, client: Any, db: Session
) -> None:
    # An Irish clinic on a server whose setting is the default 911: pages say 112.
    clinic_id = create_clinic(cli, "--emergency-number", "112")
    clinic = db.get(Clinic, clinic_id)
    assert clinic is not None
    assert clinic.emergency_number == "112"
    db.rollback()

    page = client.get("/conditions/dvt")

    assert page.status_code == 200
    assert 'href="tel:112"' in page.text
    assert "Call 112" in page.text
    # as a number of its own: the page's random tokens (hex) may hold the digits 911
    assert not re.search(r"\b911\b", page.text)


def test_without_one_the_servers_emergency_number_applies(
    cli: RunCli, client: Any, db: Session
) -> None:
    clinic_id = create_clinic(cli)
    clinic = db.get(Clinic, clinic_id)
    assert clinic is not None
    assert clinic.emergency_number is None
    db.rollback()

    assert 'href="tel:911"' in client.get("/conditions/dvt").text


def test_password_stdin_for_scripts(cli: RunCli) -> None:
    clinic_id = create_clinic(cli)
    done = cli(
        "user",
        "create",
        "--clinic",
        str(clinic_id),
        "--role",
        "clinician",
        "--email",
        "sam@lakeside.example",
        "--name",
        "Sam Chen, DC",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0


@pytest.mark.postgres
def test_user_create_invite_emails_a_one_time_link_and_asks_no_password(
    cli: RunCli, db: Session
) -> None:
    from popliteal.mail.models import OutboxMessage

    clinic_id = create_clinic(cli)
    args = ("user", "create", "--clinic", str(clinic_id), "--role", "clinician")
    done = cli(*args, "--email", "sam@lakeside.example", "--name", "Sam Chen, DC", "--invite")
    assert done.returncode == 0, done.stderr
    user_id = int(done.stdout)
    assert "one-time link, valid 72 hours: http" in done.stderr
    assert "/welcome?token=" in done.stderr
    db.expire_all()
    [mail] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).all()
    assert mail.to_address == "sam@lakeside.example"
    assert "Lakeside Physio has set up an account for you" in mail.text_body
    user = db.get(User, user_id)
    assert user is not None
    assert user.email_verified_at is None
    both = cli(
        *args, "--email", "x@lakeside.example", "--name", "X", "--invite", "--password-stdin"
    )
    assert both.returncode == 2
    assert "choose --invite or --password-stdin, not both" in both.stderr


def test_the_prompt_asks_twice(cli: RunCli) -> None:
    clinic_id = create_clinic(cli)
    args = ("user", "create", "--clinic", str(clinic_id), "--role", "admin")
    args += ("--email", "ann@lakeside.example", "--name", "Ann")
    done = cli(*args, stdin=f"{PASSWORD}\nsomething-else-entirely\n")
    assert done.returncode != 0
    assert "do not match" in done.stdout + done.stderr
    assert PASSWORD not in done.stdout + done.stderr  # hidden input


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--name", "  "), "name: enter the clinic's name"),
        (("--timezone", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (("--timezone", "CST"), "unknown time zone 'CST'"),
        (("--phone", "call us"), "is not a phone number"),
        (("--phone", "911"), "is not a phone number"),
        (("--emergency-number", "nine-one-one"), "emergency number must be 2 to 6 digits"),
        (("--emergency-number", "1"), "emergency number must be 2 to 6 digits"),
    ],
)
def test_bad_clinic_input_exits_2(cli: RunCli, options: tuple[str, ...], message: str) -> None:
    given = {"--name": "Lakeside Physio", "--timezone": "Europe/Dublin", "--phone": "01 555 0199"}
    given.update(dict(zip(options[::2], options[1::2], strict=True)))
    done = cli("clinic", "create", *[x for pair in given.items() for x in pair])
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr


def test_a_second_clinic_with_the_same_name_is_refused(cli: RunCli, db: Session) -> None:
    create_clinic(cli)
    done = cli(
        "clinic", "create", "--name", " lakeside PHYSIO", "--timezone", "UTC", "--phone", "5550199"
    )
    assert done.returncode == 2
    assert "a clinic named 'lakeside PHYSIO' already exists" in done.stderr
    assert db.scalars(select(Clinic.name)).all() == ["Lakeside Physio"]


def test_a_clinic_named_demo_never_gets_the_demo_slug(cli: RunCli, db: Session) -> None:
    done = cli("clinic", "create", "--name", "Demo", "--timezone", "UTC", "--phone", "5550199")
    assert done.returncode == 0, done.stderr
    assert db.scalars(select(Clinic.slug)).all() == ["demo-2"]


@pytest.mark.parametrize(
    ("change", "password", "message"),
    [
        ({"--email": "not-an-email"}, PASSWORD, "enter a valid email address"),
        ({}, "short", "the password needs at least 12 characters"),
        ({"--clinic": "999"}, PASSWORD, "there is no clinic with id 999"),
        ({"--role": "patient"}, PASSWORD, "role: choose admin or clinician"),
        ({"--name": " "}, PASSWORD, "name: enter the person's name"),
        ({"--profession": "surgeon"}, PASSWORD, "profession: choose"),
    ],
)
def test_bad_user_input_exits_2(
    cli: RunCli, db: Session, change: dict[str, str], password: str, message: str
) -> None:
    clinic_id = create_clinic(cli)
    given = {"--clinic": str(clinic_id), "--role": "admin", "--email": "ann@lakeside.example"}
    given |= {"--name": "Ann"} | change
    args = [x for pair in given.items() for x in pair]
    done = cli("user", "create", *args, "--password-stdin", stdin=f"{password}\n")
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert db.scalars(select(User.id)).all() == []


@pytest.mark.postgres
def test_an_address_already_used_exits_2(cli: RunCli, db: Session) -> None:
    clinic_id = create_clinic(cli)
    create_admin(cli, clinic_id)
    done = cli(
        "user",
        "create",
        "--clinic",
        str(clinic_id),
        "--role",
        "clinician",
        "--email",
        " ANN@lakeside.example",
        "--name",
        "Ann again",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert done.returncode == 2
    assert "an account with this email already exists" in done.stderr
    assert len(db.scalars(select(User.id)).all()) == 1


def test_an_unmigrated_database_is_a_clear_error(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    done = run_cli("clinic", "create", "--name", "X", "--timezone", "UTC", "--phone", "5550199")
    assert done.returncode == 2
    assert "popliteal db upgrade" in done.stderr
    assert "Traceback" not in done.stderr
