"""What the hash chain costs: appends per second (one event per transaction, as a page view
writes it), from one writer and from four at once, and how long `audit verify` takes.

    PYTHONPATH=src python bench/audit_trail.py [DATABASE_URL] [EVENTS]

Without a URL it uses a fresh SQLite file in a temporary folder (a PostgreSQL database
must be empty: the script migrates it)."""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from popliteal import migrate
from popliteal.accounts import audit_log
from popliteal.accounts import service as accounts_service
from popliteal.db import make_engine, make_sessionmaker, transaction


def append(factory: object, count: int, tag: str) -> None:
    with factory() as session:  # type: ignore[operator]
        for n in range(count):
            with transaction(session):
                accounts_service.audit(
                    session,
                    actor=None,
                    action="read",
                    entity="patient",
                    entity_id=f"{tag}{n}",
                    patient_id=None,
                    address="192.0.2.1",
                    detail={"bench": n},
                )


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else ""
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    folder = tempfile.mkdtemp()
    url = url or f"sqlite:///{Path(folder) / 'bench.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)

    started = time.perf_counter()
    append(factory, events // 2, "one")
    one = (events // 2) / (time.perf_counter() - started)

    threads = [
        threading.Thread(target=append, args=(factory, events // 8, f"t{i}-")) for i in range(4)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    four = (events // 8 * 4) / (time.perf_counter() - started)

    started = time.perf_counter()
    with factory() as session:
        verdict = audit_log.verify(session)
    took = time.perf_counter() - started
    engine.dispose()
    print(f"database: {engine.dialect.name}")
    print(f"appends, one writer: {one:.0f} events/s")
    print(f"appends, four writers: {four:.0f} events/s")
    print(f"verify: {verdict.events} events in {took:.2f} s, intact: {verdict.broken is None}")


if __name__ == "__main__":
    main()
