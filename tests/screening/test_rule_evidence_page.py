"""A whole-rule figure (a criteria set) is shown to the person in plain words, never as an id."""

from __future__ import annotations

import html
from typing import Any

from popliteal.knowledge.loader import Knowledge

OLDER_STIFF_CREAKY = {
    "age_years": 64,
    "knee_side": "left",
    "onset": "gradual",
    "symptom_duration_weeks": 40,
    "morning_stiffness_lt_30min": True,
    "crepitus": True,
    "pain_location": "posteromedial",
}


def test_the_result_page_names_a_criteria_set_in_plain_words(client: Any, kb: Knowledge) -> None:
    created = client.post("/api/screenings", json={"answers": OLDER_STIFF_CREAKY})
    assert created.status_code == 201, created.text
    body = created.json()
    oa = next(c for c in body["conditions"] if c["id"] == "knee_osteoarthritis")
    assert {"finding": "acr_knee_oa_clinical_met", "kind": "rule"}.items() <= next(
        e for e in oa["evidence"] if e["kind"] == "rule"
    ).items()
    page = html.unescape(client.get(f"/screening/{body['id']}/result").text)
    assert kb.predicates["acr_knee_oa_clinical_met"].label in page
    assert "acr_knee_oa" not in page
