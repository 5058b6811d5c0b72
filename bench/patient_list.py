"""The clinician pages at scale for `make bench` (issue 17): the first page of
`GET /staff/patients`, a later page, a search, one patient's record and the day's schedule,
at N patients with a year of history each (`popliteal demo load --scale N`).

Server time is measured in process (Starlette's TestClient: no network, no worker pool), the
median of REPEAT requests after one warm-up; the number of SQL statements of one request is
counted with a SQLAlchemy cursor event. On PostgreSQL running on this machine, the database's
own CPU time for the request is read too (the time on CPU of the backends serving the app's
connections, from /proc/PID/schedstat): with the app's CPU time it is the server's work, which
a busy shared machine does not stretch as it stretches the wall clock. Run on SQLite (a
temporary file unless --sqlite), and on PostgreSQL when given a URL; a database already holding
the patients is reused:

    python bench/patient_list.py --patients 10000 [--sqlite URL] [--postgres URL]
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from popliteal import migrate
from popliteal.config import Settings
from popliteal.db import make_engine, make_sessionmaker
from popliteal.demo import ADMIN, load_demo
from popliteal.demo.scale import load_scale
from popliteal.knowledge.loader import default_knowledge

REPEAT = 7
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` inside the block."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def load(url: str, patients: int) -> float:
    """Migrate and load the demo clinic with `patients` made-up people; seconds taken."""
    kb = default_knowledge()
    migrate.upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with make_sessionmaker(engine)() as session:
        clinic = load_demo(session, kb)
        load_scale(session, kb, clinic, patients)
    engine.dispose()
    return time.perf_counter() - started


class BackendClock:
    """The CPU time of the PostgreSQL backends behind `engine`'s connections, when the server
    runs on this machine (None otherwise, and on SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self.pids: set[int] = set()
        if engine.dialect.name == "postgresql":
            event.listen(engine, "checkout", self._checkout)

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if "backend_pid" not in record.info:
            # on the driver's cursor: not one of the counted statements
            with dbapi_connection.cursor() as cursor:
                cursor.execute("select pg_backend_pid()")
                record.info["backend_pid"] = cursor.fetchone()[0]
        self.pids.add(record.info["backend_pid"])

    def seconds(self) -> float | None:
        total = 0
        for pid in self.pids:
            try:
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                return None  # a server elsewhere, or a backend gone
        return total / 1e9 if self.pids else None


Row = tuple[str, float, float, float | None, int, int]


def measure(url: str, var_dir: Path) -> list[Row]:
    """(page, median ms, median CPU ms, median database CPU ms or None, statements, bytes) for
    each page, as the demo clinician. CPU time (of this process: the app and the test client)
    is printed besides the wall clock because a shared machine stretches the wall clock."""
    from starlette.testclient import TestClient

    from popliteal.accounts.models import Patient
    from popliteal.alerts.models import OutcomeAlert
    from popliteal.server import create_app

    settings = Settings(
        database_url=url,
        secret_key="bench",  # noqa: S106 - a throwaway in-process app
        var_dir=var_dir,
        secure_cookies=False,
        login_max_failures_account=50,
        login_max_failures_address=50,
        login_window_minutes=15,
        session_hours=12,
        warm_start=True,  # as `popliteal serve` starts a worker (server.warm_up)
    )
    app = create_app(settings, kb=default_knowledge())
    engine: Engine = app.state.engine
    backends = BackendClock(engine)
    with app.state.sessionmaker() as session:
        # a person with an open alert and a year of runs: the heaviest kind of record
        busy = session.scalar(
            select(OutcomeAlert.patient_id).where(OutcomeAlert.resolved_at.is_(None)).limit(1)
        ) or session.scalar(select(func.max(Patient.id)))
    pages = {
        "patient list, page 1": "/staff/patients",
        "patient list, page 100": "/staff/patients?page=100",
        "patient list, search 'riley'": "/staff/patients?q=riley",
        "patient record": f"/staff/patients/{busy}",
        "schedule (today)": "/staff/schedule",
    }
    out = []
    with TestClient(app, follow_redirects=False) as client:
        token = CSRF_RE.search(client.get("/login").text)
        assert token
        done = client.post(
            "/login",
            data={"email": ADMIN.email, "password": ADMIN.password, "csrf_token": token.group(1)},
        )
        assert done.status_code == 303, done.text
        first = client.get(pages["patient list, page 1"]).text
        cells = re.search(r'hx-get="(/staff/patients/running-load[^"]+)"', first)
        assert cells
        pages["running-load cells of page 1"] = html.unescape(cells.group(1))
        for name, path in pages.items():
            client.get(path)  # warm: templates compiled, caches filled
            with counting(engine) as statements:
                response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            times, cpu, db_cpu = [], [], []
            for _ in range(REPEAT):
                start, start_cpu = time.perf_counter(), time.process_time()
                start_db = backends.seconds()
                client.get(path)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                end_db = backends.seconds()
                if start_db is not None and end_db is not None:
                    db_cpu.append(end_db - start_db)
            wall_ms, cpu_ms = statistics.median(times) * 1e3, statistics.median(cpu) * 1e3
            db_ms = statistics.median(db_cpu) * 1e3 if len(db_cpu) == REPEAT else None
            out.append((name, wall_ms, cpu_ms, db_ms, len(statements), len(response.content)))
    engine.dispose()
    return out


def report(backend: str, url: str, patients: int, var_dir: Path, *, reuse: bool = False) -> None:
    """Load (unless `reuse` finds enough patients) and print the table for one database."""
    engine = make_engine(url)
    with engine.connect() as conn:
        loaded = (
            conn.execute(text("select count(*) from patients")).scalar_one()
            if reuse and engine.dialect.has_table(conn, "patients")
            else 0
        )
    engine.dispose()
    if loaded < patients:
        seconds = load(url, patients)
        print(f"{backend}: loaded {patients:,} patients with a year of history in {seconds:.0f} s")
    print(f"\n{backend}, {patients:,} patients: server time in process, median of {REPEAT}")
    print(f"{'page':<32}{'ms':>9}{'CPU ms':>9}{'DB CPU ms':>11}{'SQL statements':>16}{'KB':>8}")
    for name, ms, cpu_ms, db_ms, statements, size in measure(url, var_dir):
        db = "-" if db_ms is None else f"{db_ms:.1f}"
        print(f"{name:<32}{ms:>9.1f}{cpu_ms:>9.1f}{db:>11}{statements:>16}{size / 1024:>8.0f}")


def bench_patient_list(
    patients: int, *, sqlite: str | None = None, postgres: str | None = None
) -> None:
    """On the given databases (loaded first if they hold fewer patients; give each a
    database of its own), else on SQLite in a temporary file."""
    with tempfile.TemporaryDirectory() as tmp:
        if sqlite or not postgres:
            url = sqlite or f"sqlite:///{Path(tmp) / 'bench.db'}"
            report("SQLite", url, patients, Path(tmp), reuse=True)
        if postgres:
            report("PostgreSQL", postgres, patients, Path(tmp), reuse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--sqlite", help="a SQLite URL to use (loaded if it holds fewer)")
    parser.add_argument("--postgres", help="a PostgreSQL URL to use (loaded if it holds fewer)")
    args = parser.parse_args()
    bench_patient_list(args.patients, sqlite=args.sqlite, postgres=args.postgres)


if __name__ == "__main__":
    main()
