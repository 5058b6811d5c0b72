"""Back up a SQLite database of realistic size while a writer commits, then restore it.

    PYTHONPATH=src .venv/bin/python bench/backup_writes.py [--screenings 100000]

Prints the database size, how long the online backup took, how many writes the writer
committed while it ran and the slowest of them (the server's writes must not stall), how long
the restore took, and that every write acknowledged before the backup began came back.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import insert, select, text

import popliteal.models  # noqa: F401 - every table mapped
from popliteal import backup, migrate
from popliteal.accounts.models import Clinic
from popliteal.db import make_engine, make_sessionmaker
from popliteal.screening.models import Screening

ANSWERS = {f"finding_{i}": i % 3 == 0 for i in range(40)}


def fill(url: str, count: int) -> None:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        clinic = Clinic(name="Bench", slug="bench", timezone="UTC")
        session.add(clinic)
        session.commit()
        clinic_id = clinic.id
    for start in range(0, count, 5000):
        rows = [
            {
                "id": secrets.token_hex(16),
                "clinic_id": clinic_id,
                "knowledge_version": "bench",
                "answers": ANSWERS,
                "result": {"conditions": [{"id": f"c{i}", "p": 0.1} for i in range(12)]},
            }
            for _ in range(min(5000, count - start))
        ]
        with engine.begin() as conn:
            conn.execute(insert(Screening), rows)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenings", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder), args.screenings)


def run(folder: Path, screenings: int) -> None:
    url = f"sqlite:///{folder / 'popliteal.db'}"
    migrate.upgrade(url)
    fill(url, screenings)
    size_mb = (folder / "popliteal.db").stat().st_size / 1e6

    engine = make_engine(url)
    with engine.connect() as conn:
        clinic_id = conn.execute(text("SELECT min(id) FROM clinics")).scalar_one()
    acked: list[tuple[str, float, float]] = []  # id, committed at, seconds it took
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            row_id = secrets.token_hex(16)
            with engine.begin() as conn:
                conn.execute(
                    insert(Screening).values(
                        id=row_id, clinic_id=clinic_id, knowledge_version="bench"
                    )
                )
            done = time.perf_counter()
            acked.append((row_id, done, done - began))

    writer = threading.Thread(target=write)
    writer.start()
    while len(acked) < 50:
        time.sleep(0.01)
    before = {row_id for row_id, _, _ in list(acked)}
    started = time.perf_counter()
    report = backup.backup(url, folder / "copy.backup")
    finished = time.perf_counter()
    stop.set()
    writer.join()
    during = [took for _, at, took in acked if started <= at <= finished]

    restored_url = f"sqlite:///{folder / 'restored.db'}"
    restore_started = time.perf_counter()
    result = backup.restore(restored_url, folder / "copy.backup")
    restore_seconds = time.perf_counter() - restore_started
    check = make_engine(restored_url)
    with check.connect() as conn:
        present = set(conn.scalars(select(Screening.id)))
    check.dispose()
    engine.dispose()
    print(f"database: {screenings} screenings, {size_mb:.0f} MB")
    print(f"online backup: {finished - started:.2f} s, {report.size_bytes / 1e6:.0f} MB written")
    if during:
        print(
            f"writes committed during the backup: {len(during)}, median "
            f"{statistics.median(during) * 1000:.1f} ms, 99th percentile "
            f"{sorted(during)[int(len(during) * 0.99)] * 1000:.1f} ms, slowest "
            f"{max(during) * 1000:.1f} ms"
        )
    print(f"restore: {restore_seconds:.2f} s, integrity {result.integrity}")
    print(f"acknowledged before the backup and restored: {len(before & present)}/{len(before)}")


if __name__ == "__main__":
    main()
