"""Shared fixtures: the packaged knowledge base and a real `popliteal` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from hypothesis import settings

from popliteal import clock
from popliteal.demo import CLINIC_TZ as DEMO_TZ
from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.screening.engine import screen, to_json

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_configure(config: pytest.Config) -> None:
    """Byte-code as `make pytest` has it, also where PYTHONDONTWRITEBYTECODE is set (this
    environment sets it): the package is compiled once, before the workers start, so the
    workers and the real servers and commands the tests start (some 50 processes) load it
    compiled instead of compiling it again each (about 1.5 s of CPU a process); pytest keeps its
    rewritten test modules for the next run. Where the package's folder is read-only nothing is
    written and nothing fails."""
    import compileall

    import popliteal

    sys.dont_write_bytecode = False
    if not hasattr(config, "workerinput"):  # the xdist controller, or a run without workers
        compileall.compile_dir(Path(popliteal.__file__).parent, quiet=2)


# Property tests: no per-example deadline (a busy machine is slow, not broken) and the same
# examples on every run, so the suite passes at any hour; HYPOTHESIS_PROFILE=explore draws
# new examples (run it when changing the engine: it found the unsure-duration gap).
settings.register_profile("popliteal", deadline=None, derandomize=True)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "popliteal"))


# ---------------------------------------------------------------------------------------------
# One clock. Tests that touch the app run with the clock pinned (ticking) at noon on the demo
# clinic's wall clock, today: far from both midnights, so the page and the test that reads it
# agree on "today" at any hour the suite is run, in any TZ. Tests about the edges of a day move
# the clock themselves (`pinned_clock.move_to(...)`, tests/test_clock_boundaries.py).


def clinic_noon(day: date | None = None, tz: str = DEMO_TZ) -> datetime:
    """Noon on the clinic's wall clock on this day (today there by default), as UTC."""
    local_day = day or clock.local_today(tz)
    return datetime.combine(local_day, wall_time(12, 0), tzinfo=clock.zone(tz)).astimezone(UTC)


@pytest.fixture
def pinned_clock() -> Iterator[time_machine.Traveller]:
    """The whole process's clock (the server thread too) at clinic noon today, ticking."""
    with time_machine.travel(clinic_noon(), tick=True) as traveller:
        yield traveller


# Argon2id as in production, at its lowest cost: at the production cost (m=64 MiB, t=3) one
# hash or check takes about 150 ms, and the suite creates and logs in thousands of accounts.
# Hashes embed their parameters, so every hash made in the suite (demo accounts included) is
# cheap to check. tests/accounts/test_password_cost.py checks the production parameters.
TEST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from popliteal.accounts import service

    hasher = PasswordHash((Argon2Hasher(**TEST_ARGON2),))
    patch = pytest.MonkeyPatch()
    patch.setattr(service, "_hasher", hasher)
    patch.setattr(service, "_DUMMY_HASH", hasher.hash("not-a-real-password"))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return default_knowledge()


RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run `popliteal ARGS` in this process through Typer's runner, in an empty folder:
    the exit code, standard output and standard error come back apart, as from a process.

    A process start costs about 0.6 s and the suite runs the command line some 120 times;
    `run_cli_process` starts the real `python -m popliteal` for the tests that prove the
    entry point itself (one per command)."""
    from typer.testing import CliRunner

    from popliteal.cli import app as cli_app

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = runner.invoke(
            cli_app, list(args), input=stdin, prog_name="popliteal", catch_exceptions=False
        )
        return subprocess.CompletedProcess(
            ["popliteal", *args], result.exit_code, result.stdout, result.stderr
        )

    return run


@pytest.fixture
def run_cli_process(tmp_path: Path) -> RunCli:
    """Run `python -m popliteal ARGS` as a separate process, exactly as a user would."""

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "popliteal", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )

    return run


@pytest.fixture
def answers_file(tmp_path: Path) -> Callable[[Any], Path]:
    def write(payload: Any) -> Path:
        path = tmp_path / "answers.json"
        path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload)
        return path

    return write


def result_json(kb: Knowledge, answers: dict[str, Any], role: str = "patient") -> dict[str, Any]:
    """The contract JSON for validated answers, computed in-process."""
    return to_json(kb, screen(kb, answers, role=role))


# ---------------------------------------------------------------------------------------------
# Databases: every database test runs on SQLite; a test marked `postgres` runs on PostgreSQL too
# when the server answers.
# Each test gets a freshly migrated database holding the demo clinic, restored from a snapshot
# taken once per run (migrating and hashing demo passwords per test would be slow).

import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from sqlalchemy import Engine, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

BASE_PG_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Under pytest-xdist (`make test` runs two workers) each worker gets its own database, named
# after the configured one, so workers never truncate each other's tables.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _worker_url(base: str) -> str:
    from sqlalchemy.engine import make_url

    if not WORKER:
        return base
    url = make_url(base)
    return url.set(database=f"{url.database}_{WORKER}").render_as_string(hide_password=False)


PG_URL = _worker_url(BASE_PG_URL)


def _pg_answers() -> bool:
    """Whether the server answers; if it does, make sure this worker's database exists."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    try:
        conn = psycopg.connect(_libpq(BASE_PG_URL), connect_timeout=2, autocommit=True)
    except Exception:
        return False
    with conn:  # a server that answers but cannot give a worker its database fails loudly
        name = make_url(PG_URL).database
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


BACKENDS = ["sqlite", *(["postgresql"] if _pg_answers() else [])]


def _load_demo_into(url: str, kb: Knowledge) -> None:
    from popliteal import migrate
    from popliteal.db import make_engine, make_sessionmaker
    from popliteal.demo import load_demo

    migrate.upgrade(url)
    engine = make_engine(url)
    # On the tests' day, an hour before their noon: the demo's visit "tomorrow" is their
    # tomorrow, and everything a test creates is newer than the demo's records.
    loaded_at = clinic_noon() - timedelta(hours=1)
    with time_machine.travel(loaded_at, tick=True), make_sessionmaker(engine)() as session:
        load_demo(session, kb, history=False)  # the tests arrange their own histories
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(
    tmp_path_factory: pytest.TempPathFactory, kb: Knowledge, cheap_password_hashing: None
) -> Path:
    path = tmp_path_factory.mktemp("template") / "popliteal.db"
    url = f"sqlite:///{path}"
    _load_demo_into(url, kb)
    import sqlite3

    with sqlite3.connect(path) as conn:  # fold the WAL into the file so one copy is whole
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@dataclass
class PgSnapshot:
    engine: Engine
    rows: dict[str, list[dict[str, Any]]]
    next_ids: dict[str, int]  # each serial table's next id after the snapshot's rows


@pytest.fixture(scope="session")
def pg_snapshot(kb: Knowledge, cheap_password_hashing: None) -> Iterator[PgSnapshot]:
    from popliteal.db import Base, make_engine

    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    _load_demo_into(PG_URL, kb)
    import popliteal.models  # noqa: F401

    rows: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = [dict(r._mapping) for r in conn.execute(select(table))]
    next_ids = {
        t.name: max((r["id"] for r in rows[t.name]), default=0) + 1 for t in _serial_tables()
    }
    yield PgSnapshot(engine, rows, next_ids)
    engine.dispose()


def _serial_tables() -> list[Any]:
    """The tables whose integer `id` a sequence hands out."""
    from popliteal.db import Base

    return [
        t
        for t in Base.metadata.sorted_tables
        if "id" in t.c and t.c.id.autoincrement is not False and t.c.id.type.python_type is int
    ]


def _set_sequences(conn: Any, next_ids: dict[str, int]) -> None:
    """Point each table's `id` sequence at the id it hands out next, in one statement."""
    calls = ", ".join(
        f"setval(pg_get_serial_sequence('{name}', 'id'), {next_id}, false)"
        for name, next_id in next_ids.items()
    )
    conn.execute(text(f"SELECT {calls}"))


def truncate_all(conn: Any) -> None:
    """Empty every table of a PostgreSQL test database and restart its ids at 1, in the
    caller's transaction.

    DELETE, not TRUNCATE: the tables hold a few rows, and a TRUNCATE of all of them gives each
    table (and its indexes) new files that the commit must sync, 0.2-1 s per test against a few
    milliseconds. The audit table refuses deletes (migration 0011): its guard triggers (and the
    foreign-key triggers, so the order does not matter) are set aside for this transaction only,
    as on a replica applying changes (the tests' user is a superuser)."""
    from popliteal.db import Base

    conn.execute(text("SET LOCAL session_replication_role = replica"))
    names = [t.name for t in reversed(Base.metadata.sorted_tables)]
    conn.execute(text("; ".join(f"DELETE FROM {name}" for name in names)))
    _set_sequences(conn, {t.name: 1 for t in _serial_tables()})


def _restore_pg(snapshot: PgSnapshot) -> None:
    from popliteal.db import Base

    with snapshot.engine.begin() as conn:
        truncate_all(conn)
        for table in Base.metadata.sorted_tables:
            if snapshot.rows[table.name]:
                conn.execute(insert(table), snapshot.rows[table.name])
        _set_sequences(conn, snapshot.next_ids)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Database tests run on SQLite; those marked `postgres` run on PostgreSQL too.

    The mark is for what the dialect decides: concurrency, constraints and triggers,
    migrations, locks, JSON queries, and one smoke test per area (README, "The test suite").
    """
    if "database_url" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker("postgres") is not None
        metafunc.parametrize("database_url", BACKENDS if marked else ["sqlite"], indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with the demo clinic in it, fresh for this test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "popliteal.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    _restore_pg(request.getfixturevalue("pg_snapshot"))
    return PG_URL


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Any:
    from popliteal.config import Settings

    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        var_dir=tmp_path,
        secure_cookies=False,
        login_max_failures_account=5,
        login_max_failures_address=20,
        login_window_minutes=15,
        session_hours=12,
    )


@pytest.fixture
def app(settings: Any, kb: Knowledge, pinned_clock: time_machine.Traveller) -> Iterator[Any]:
    from popliteal.server import create_app

    application = create_app(settings, kb=kb)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from starlette.testclient import TestClient

    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def db(app: Any) -> Iterator[Session]:
    """A session on the app's database, for arranging and checking what is stored."""
    session: Session = app.state.sessionmaker()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: Any, path: str = "/login") -> str:
    """The CSRF token a page hands this browser (the client keeps the seed cookie)."""
    page = client.get(path)
    found = CSRF_RE.search(page.text)
    assert found, f"no csrf_token on {path}"
    return found.group(1)


def api_csrf(client: Any) -> None:
    """Send this browser's CSRF token on every request from now on, as a program posting
    files does (GET /api/auth/csrf, then the X-CSRF-Token header)."""
    client.headers["x-csrf-token"] = client.get("/api/auth/csrf").json()["csrf_token"]


def login(client: Any, email: str, password: str) -> None:
    """Log this test client in through the real login form."""
    token = csrf_from(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


# ---------------------------------------------------------------------------------------------
# A real server in a thread, for browser tests and concurrent requests.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    app: Any


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # generous: a busy machine is slow, not broken
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    server.should_exit = True
    thread.join(timeout=10)
