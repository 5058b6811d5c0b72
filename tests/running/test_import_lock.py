"""Imports off the write lock (issue 17): while one person's upload is being parsed, everyone
else reads and writes as usual, on SQLite too; files too big to be one activity are refused."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from popliteal.demo import PATIENT
from popliteal.running import _fit, _gpx, _parsing, _tcx, importers
from tests.accounts.factories import PASSWORD, add_patient
from tests.conftest import api_csrf, csrf_from, login
from tests.running import factories as f
from tests.running.fixtures import sample_fit, sample_gpx, sample_tcx

WAIT_S = 60  # a ceiling for a busy machine, never a timing assertion


def yesterday() -> datetime:
    return datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)


def test_others_read_and_write_while_an_import_is_being_parsed(
    app: Any, client: Any, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has one write lock: an import that parsed inside its transaction made every
    other request wait (then fail with "database is locked") until the parse ended."""
    clinic_id = f.demo_patient(db).clinic_id
    add_patient(db, clinic_id=clinic_id, name="Robin Other", email="robin@demo.popliteal.test")
    db.commit()
    parsing = threading.Event()
    release = threading.Event()
    parse = importers.parse_activities

    def held(*args: Any, **kwargs: Any) -> list[importers.ParsedActivity]:
        parsing.set()  # the upload is in, and its parse has begun
        if not release.wait(WAIT_S):
            raise AssertionError("the import was never released")
        return parse(*args, **kwargs)

    monkeypatch.setattr(importers, "parse_activities", held)
    login(client, PATIENT.email, PATIENT.password)
    api_csrf(client)
    answers: dict[str, Any] = {}

    def upload() -> None:
        answers["import"] = client.post(
            "/api/me/activities/import",
            files=[("files", ("run.gpx", sample_gpx(5.0, start=yesterday()), "text/xml"))],
        )

    importing = threading.Thread(target=upload)
    importing.start()
    try:
        assert parsing.wait(WAIT_S)
        other = TestClient(app, follow_redirects=False)
        login(other, "robin@demo.popliteal.test", PASSWORD)
        today = other.get("/my/today")
        assert today.status_code == 200
        token = csrf_from(other, "/my/today")
        pain = other.post("/my/pain", data={"csrf_token": token, "pain": "3"})
        assert pain.status_code == 303, pain.text
        assert "import" not in answers  # the import was still held mid-parse all along
    finally:
        release.set()
        importing.join(WAIT_S)
    assert answers["import"].status_code == 200, answers["import"].text
    assert [a["file_name"] for a in answers["import"].json()["imported"]] == ["run.gpx"]


@pytest.mark.parametrize(
    ("module", "name", "data"),
    [
        (_gpx, "long.gpx", lambda: sample_gpx(1.0, start=yesterday())),
        (_tcx, "long.tcx", lambda: sample_tcx(1.0, start=yesterday())),
        (_fit, "long.fit", lambda: sample_fit(1.0, start=yesterday())),
    ],
)
def test_a_file_with_more_points_than_a_day_of_recording_is_refused(
    client: Any, monkeypatch: pytest.MonkeyPatch, module: Any, name: str, data: Any
) -> None:
    """The cap is 200,000 points (a day at one a second is 86,400); lowered here to 50 so the
    test file stays small. The GPX count runs before gpxpy builds an object per point."""
    monkeypatch.setattr(module, "MAX_POINTS", 50)
    login(client, PATIENT.email, PATIENT.password)
    api_csrf(client)
    refused = client.post("/api/me/activities/import", files=[("files", (name, data(), "x"))])
    assert refused.status_code == 422
    (reason,) = refused.json()["rejected"]
    assert reason["file"] == name
    assert "more than a watch records in a day" in reason["reason"]


def test_files_are_parsed_in_a_worker_process(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """In production the parse runs in a worker process, so its long C calls (expat reads a
    whole file in one) never hold the server's interpreter lock."""
    monkeypatch.setattr(_parsing, "use_process", True)
    login(client, PATIENT.email, PATIENT.password)
    api_csrf(client)
    try:
        answer = client.post(
            "/api/me/activities/import",
            files=[
                ("files", ("run.fit", sample_fit(5.0, start=yesterday()), "x")),
                ("files", ("bad.gpx", b"<gpx><trk>", "x")),
            ],
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [a["file_name"] for a in body["imported"]] == ["run.fit"]
        assert body["rejected"][0]["reason"].startswith("is truncated or corrupt")
        assert _parsing._pool is not None  # the worker did the reading
    finally:
        _parsing.shutdown()
