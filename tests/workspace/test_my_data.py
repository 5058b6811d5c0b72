""" "My data": a signed-in person downloads everything about them, and nothing of anyone else."""

from __future__ import annotations

import io
import json
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.accounts.models import AuditEvent
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.screening.models import Screening
from tests.accounts.factories import PASSWORD
from tests.conftest import login
from tests.workspace.rights_factories import person_with_history

FILES = {
    "README.txt",
    "profile.json",
    "screenings.json",
    "exam_findings.json",
    "appointments.json",
    "plans.json",
    "home_sessions.json",
    "pain_logs.json",
    "runs.json",
    "questionnaires.json",
    "knee_measurements.json",
    "alerts.json",
    "visit_notes.json",
    "discharges.json",
    "fhir_bundle.json",
}


def unzip(body: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.testzip() is None
        return {name.removeprefix("my-data/"): zf.read(name) for name in zf.namelist()}


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "part.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def leftover_exports() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob("popliteal-my-data-*.zip"))


@pytest.mark.postgres
def test_a_person_downloads_everything_about_them_and_nothing_of_anyone_else(
    client: Any, db: Session, kb: Knowledge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This test's own temporary folder: other workers' exports come and go in the shared one.
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    episode = person_with_history(db, kb)
    others = set(db.scalars(select(Screening.id).where(Screening.patient_id != episode.patient_id)))
    assert others  # the demo patient's screening, which must not leak
    db.rollback()
    before = leftover_exports()
    login(client, episode.email, PASSWORD)

    response = client.get("/my/account/data.zip")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="my-data-' in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    files = unzip(response.content)
    assert set(files) >= FILES
    data = {name: json.loads(body) for name, body in files.items() if name.endswith(".json")}
    profile = data["profile.json"][0]
    assert profile["full_name"] == "Pat Knee"
    assert profile["email"] == episode.email
    assert profile["date_of_birth"] == "1980-05-17"
    first = data["screenings.json"][0]
    assert first["answers"]
    assert all(a["question"] and a["answer"] for a in first["answers"])
    assert "token_hash" not in first
    assert first["result"]["conditions"]
    assert data["exam_findings.json"][0]["recorded_by_name"] == CHIRO.name
    assert len(data["visit_notes.json"]) == 2
    assert data["visit_notes.json"][0]["clinician_name"] == CHIRO.name
    assert all(p["versions"] for p in data["plans.json"])
    for name in (
        "appointments.json",
        "home_sessions.json",
        "pain_logs.json",
        "runs.json",
        "questionnaires.json",
        "knee_measurements.json",
        "alerts.json",
        "discharges.json",
    ):
        assert data[name], name
        assert all(
            row.get("patient_id", episode.patient_id) == episode.patient_id for row in data[name]
        ), name
    everything = b"".join(files.values()).decode("utf-8", "replace")
    assert not any(sid in everything for sid in others)
    assert PATIENT.name not in everything
    # The same record as a FHIR R4 Bundle, for another clinic's system: it names this person.
    bundle = data["fhir_bundle.json"]
    assert bundle["resourceType"] == "Bundle"
    people = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert [p["name"][0]["text"] for p in people] == ["Pat Knee"]
    summary = pdf_text(files["discharge-summary-1.pdf"], tmp_path)
    assert "Pat Knee" in summary
    readme = files["README.txt"].decode()
    assert "visit_notes.json" in readme
    assert "delete your account" in readme
    # One export event, and the temporary zip is gone once sent.
    exports = db.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "export", AuditEvent.patient_id == episode.patient_id
        )
    )
    assert exports == 1
    assert leftover_exports() == before


def test_the_plan_handout_is_in_the_zip_while_a_plan_is_active(
    client: Any, db: Session, kb: Knowledge, tmp_path: Path
) -> None:
    from tests.running.factories import demo_records
    from tests.sessions.factories import save_demo_plan

    save_demo_plan(db, kb, demo_records(db).patient_id)
    db.rollback()
    login(client, PATIENT.email, PATIENT.password)

    files = unzip(client.get("/my/account/data.zip").content)

    assert "Jordan Demo" in pdf_text(files["home-programme.pdf"], tmp_path)
    assert json.loads(files["plans.json"])[0]["status"] == "active"
    assert "discharge-summary-1.pdf" not in files


def test_the_api_gives_the_same_zip_to_the_person_only(
    client: Any, db: Session, kb: Knowledge
) -> None:
    assert client.get("/api/me/export").status_code == 401
    login(client, CHIRO.email, CHIRO.password)
    assert client.get("/api/me/export").status_code == 403
    client.cookies.clear()
    login(client, PATIENT.email, PATIENT.password)

    response = client.get("/api/me/export")

    assert response.status_code == 200
    files = unzip(response.content)
    assert json.loads(files["profile.json"])[0]["email"] == PATIENT.email
    assert set(files) >= FILES
