"""Patient pages speak plainly: no statistics jargon, section marks, internal ids, file names or
knowledge hashes (the clinician's pages keep the numbers)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from popliteal.demo import CHIRO, PATIENT
from tests.conftest import login
from tests.running.factories import demo_records

JARGON = re.compile(
    r"EWMA|Acute:chronic|§|\bnull\b|[Kk]nowledge version|\.ya?ml\b|\.txt\b|seed file|\blr\b"
)


def _visible(page: str) -> str:
    """The page's words as a person reads them (tags, scripts and attributes removed)."""
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize(
    "path", ["/my/today", "/my/progress", "/my/plan", "/my/running", "/my/appointments"]
)
def test_a_patient_page_has_no_jargon_ids_or_file_names(client: Any, db: Any, path: str) -> None:
    demo_records(db)
    db.rollback()
    login(client, PATIENT.email, PATIENT.password)
    page = client.get(path)
    assert page.status_code == 200, path
    words = _visible(page.text)
    assert not JARGON.findall(words), (path, JARGON.findall(words))
    assert not re.search(r"\b[0-9a-f]{32}\b", words), path  # no screening ids


def test_the_screening_result_and_summary_show_no_ids_or_hashes(client: Any) -> None:
    sid = client.post("/api/screenings", json={"answers": {"age_years": 40}}).json()["id"]
    for path in (f"/screening/{sid}/result", f"/screening/{sid}/summary"):
        words = _visible(client.get(path).text)
        assert sid not in words, path
        assert not JARGON.findall(words), (path, JARGON.findall(words))


def test_the_education_pages_show_no_jargon_or_ids(client: Any, kb: Any) -> None:
    for path in ["/conditions"] + [f"/conditions/{cid}" for cid in sorted(kb.conditions)]:
        page = client.get(path)
        assert page.status_code == 200, path
        words = _visible(page.text)
        assert not JARGON.findall(words), (path, JARGON.findall(words))
        # Condition ids are snake_case; the reader sees names, never an id.
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", words), (path, words[:200])


def test_the_clinicians_running_page_keeps_the_ratios(client: Any, db: Any) -> None:
    patient_id = demo_records(db).patient_id
    db.rollback()
    login(client, CHIRO.email, CHIRO.password)
    page = client.get(f"/staff/patients/{patient_id}/running")
    assert page.status_code == 200
    assert "Acute:chronic ratio" in page.text
    assert "EWMA" in page.text
