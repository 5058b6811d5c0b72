"""What "My data" and account deletion cost: for each demo person (a 4-10 week episode of
care), the export's time and zip size and the deletion's time; then the export of one person
given 20,000 extra runs, with Python's peak traced memory (Python objects only: WeasyPrint's
C libraries are not counted), to show the zip is written row by row (memory does not grow
with the history).

    PYTHONPATH=src python bench/my_data.py

Uses a fresh SQLite file in a temporary folder."""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

from popliteal import clock, migrate
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient, User
from popliteal.db import make_engine, make_sessionmaker
from popliteal.demo import CLINIC_TZ, load_demo
from popliteal.demo.clinic import HISTORY_PEOPLE
from popliteal.knowledge.loader import default_knowledge
from popliteal.running.models import Activity
from popliteal.workspace import erasure, my_data

EXTRA_RUNS = 20_000


def main() -> None:
    kb = default_knowledge()
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        load_demo(session, kb, history=True)
        actors = []
        for account, *_ in HISTORY_PEOPLE:
            user = session.scalar(select(User).where(User.email == account.email))
            assert user is not None
            actors.append((account.name, accounts_service.actor_for(session, user)))
        session.rollback()
        print("person            export s   zip KB   delete s")
        for name, actor in actors[1:]:
            started = time.perf_counter()
            export = my_data.export_my_data(session, kb=kb, actor=actor, emergency_number="911")
            took = time.perf_counter() - started
            size = export.path.stat().st_size / 1024
            export.path.unlink()
            account = next(a for a, *_ in HISTORY_PEOPLE if a.name == name)
            started = time.perf_counter()
            erasure.delete_account(
                session,
                actor=actor,
                password=account.password,
                now=clock.utcnow(),
                retention_years=7,
            )
            gone = time.perf_counter() - started
            print(f"{name:16} {took:9.2f} {size:8.0f} {gone:10.2f}")

        name, actor = actors[0]
        patient = session.get(Patient, actor.patient_id)
        assert patient is not None
        day = clock.local_today(CLINIC_TZ)
        for small in (False, True):
            if small:
                rows = [
                    {
                        "clinic_id": patient.clinic_id,
                        "patient_id": patient.id,
                        "local_date": day - timedelta(days=n % 3000),
                        "distance_km": 5.0,
                        "created_by": actor.user_id,
                    }
                    for n in range(EXTRA_RUNS)
                ]
                session.execute(insert(Activity), rows)
                session.commit()
                del rows
            started = time.perf_counter()
            export = my_data.export_my_data(session, kb=kb, actor=actor, emergency_number="911")
            took = time.perf_counter() - started
            export.path.unlink()
            tracemalloc.start()  # a second export, traced (tracing slows it several times)
            export = my_data.export_my_data(session, kb=kb, actor=actor, emergency_number="911")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            label = f"{name} + {EXTRA_RUNS} runs" if small else name
            print(
                f"{label}: export {took:.2f} s, zip {export.path.stat().st_size / 1024:.0f} KB, "
                f"runs.json {export.counts['runs.json']} rows, peak traced memory "
                f"{peak / 1024 / 1024:.1f} MB"
            )
            export.path.unlink()
    engine.dispose()


if __name__ == "__main__":
    main()
