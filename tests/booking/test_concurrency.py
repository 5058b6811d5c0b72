"""Twenty people try to book the same slot at once against a real server: exactly one wins.

The server is a separate `popliteal serve --workers 2` process (two worker processes, each
with its own thread pool), so the requests really race, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from threading import Barrier
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import User
from popliteal.booking.models import Appointment
from tests.booking import factories as f
from tests.conftest import free_port

REQUESTS = 20


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "POPLITEAL_SECRET_KEY": "concurrency-test-secret",
        "POPLITEAL_VAR_DIR": str(tmp_path),
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "popliteal",
            "serve",
            "--no-migrate",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "server.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def call(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


@pytest.mark.postgres
def test_twenty_concurrent_bookings_of_one_slot_one_wins(server: str, db: Session) -> None:
    pt_id = f.pt(db).id
    db.rollback()  # end the test's read: on SQLite an open transaction holds the write lock
    day = datetime.now(f.TZ).date() + timedelta(days=2)
    status, body = call(
        "GET",
        f"{server}/api/slots?type=free_screening&mode=in_clinic&clinician={pt_id}"
        f"&from={day.isoformat()}&to={(day + timedelta(days=7)).isoformat()}",
    )
    assert status == 200, body
    slot = body["slots"][0]
    barrier = Barrier(REQUESTS)

    def attempt(i: int) -> tuple[int, Any]:
        payload = {
            "type": "free_screening",
            "mode": "in_clinic",
            "start": slot["start"],
            "clinician_id": pt_id,
            "email": f"racer{i}@example.com",
            "full_name": f"Racer {i}",
        }
        barrier.wait(timeout=30)
        return call("POST", f"{server}/api/appointments", payload)

    with ThreadPoolExecutor(REQUESTS) as pool:
        results = list(pool.map(attempt, range(REQUESTS)))

    statuses = Counter(code for code, _ in results)
    assert statuses == {202: 1, 409: REQUESTS - 1}, results
    for code, answer in results:
        if code == 409:
            assert answer["detail"] == "That time was just taken. Please pick another time."
    starts = datetime.fromisoformat(slot["start_utc"])
    booked = db.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.clinician_id == pt_id,
            Appointment.status == "held",  # the winner's, until they follow the e-mailed link
            Appointment.starts_at < starts + timedelta(minutes=20),
            Appointment.ends_at > starts,
        )
    )
    assert booked == 1
    # The 19 who lost left no account behind: nothing half-written.
    racers = db.scalar(select(func.count()).select_from(User).where(User.email.like("racer%")))
    assert racers == 1
