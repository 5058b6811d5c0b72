"""The screening as a FHIR Questionnaire, and QuestionnaireResponses both ways: a stored
screening exported and read back gives the same answers ("not sure" included), and a
response posted to the API is screened exactly like the same answers posted as JSON."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from popliteal.demo import DEMO_ANSWERS
from popliteal.interop.fhir_base import SCREENING_QUESTIONNAIRE, Ids
from popliteal.interop.questionnaire import (
    answers_from_response,
    screening_questionnaire,
    screening_response,
)
from popliteal.interop.records import Episode, OrgRec, PatientRec, ScreeningRec
from popliteal.knowledge.loader import Knowledge
from tests.interop.fhir_checks import code_problems
from tests.screening.golden import inputs

FHIR_JSON = {"content-type": "application/fhir+json"}


def _episode() -> Episode:
    org = OrgRec(1, "demo", "Demo clinic", "", "")
    person = PatientRec(7, "Pat Example", "pat@example.test", "", "", None, None, None, None, "")
    return Episode(org=org, patient=person, staff={}, discharged=False)


def response_for(kb: Knowledge, answers: dict[str, Any], role: str = "patient") -> dict[str, Any]:
    """A stored screening of these answers, exported as a QuestionnaireResponse."""
    rec = ScreeningRec(
        "s1", datetime(2026, 12, 1, 15, tzinfo=UTC), role, answers, {}, kb.version, None
    )
    return screening_response(kb, Ids("demo"), _episode(), rec)


def test_questionnaire_is_valid_r4b_with_finding_ids_and_choices(kb: Knowledge) -> None:
    questionnaire = screening_questionnaire(kb)
    Questionnaire.model_validate_json(json.dumps(questionnaire))
    assert not code_problems(questionnaire)
    assert questionnaire["url"] == SCREENING_QUESTIONNAIRE
    assert questionnaire["version"] == kb.version
    items = {i["linkId"]: i for i in questionnaire["item"]}
    assert set(items) == {f.id for f in kb.findings.values() if "P" in f.who}
    for fid, item in items.items():
        finding = kb.findings[fid]
        assert item["text"] == finding.question
        if finding.type == "choice":
            assert [o["valueCoding"]["code"] for o in item["answerOption"]] == finding.values
            assert all(o["valueCoding"]["display"] for o in item["answerOption"])
    assert items["runner"]["type"] == "boolean"
    # Asked only after a sudden injury, as the interview does.
    when = items["swelling_within_2h_of_injury"]["enableWhen"]
    assert when == [
        {
            "question": "onset",
            "operator": "=",
            "answerCoding": {"system": "urn:popliteal:answer:onset", "code": "injury_sudden"},
        }
    ]
    for item in items.values():
        for condition in item.get("enableWhen", []):
            assert condition["question"] in items


def test_a_stored_screening_round_trips_through_a_questionnaire_response(kb: Knowledge) -> None:
    """Every 10th golden answer set (people, "not sure" answers, clinicians' exams)."""
    checked = 0
    for _, answers, role, _ in itertools.islice(inputs(kb), 0, None, 10):
        response = response_for(kb, dict(answers), role)
        assert answers_from_response(json.loads(json.dumps(response))) == answers
        checked += 1
    assert checked > 80


def test_not_sure_is_an_item_without_an_answer_never_no(kb: Knowledge) -> None:
    response = response_for(kb, {"calf_swelling": None, "runner": False})
    items = {i["linkId"]: i for i in response["item"]}
    assert "answer" not in items["calf_swelling"]
    assert items["runner"]["answer"] == [{"valueBoolean": False}]
    assert answers_from_response(response) == {"calf_swelling": None, "runner": False}


def test_the_api_screens_a_response_like_the_same_answers(client: Any, kb: Knowledge) -> None:
    questionnaire = client.get("/api/fhir/Questionnaire/screening")
    assert questionnaire.status_code == 200
    assert questionnaire.headers["content-type"].startswith("application/fhir+json")
    assert questionnaire.json()["version"] == kb.version
    response = response_for(kb, dict(DEMO_ANSWERS))
    posted = client.post(
        "/api/fhir/QuestionnaireResponse", content=json.dumps(response), headers=FHIR_JSON
    )
    assert posted.status_code == 201, posted.text
    plain = client.post("/api/screenings", json={"answers": DEMO_ANSWERS})
    assert plain.status_code == 201
    got, want = posted.json(), plain.json()
    assert got["urgency"] == want["urgency"]
    assert [(c["id"], c["probability"]) for c in got["conditions"]] == [
        (c["id"], c["probability"]) for c in want["conditions"]
    ]
    # Stored like any screening: readable by the browser that sent it.
    stored = client.get(posted.headers["location"])
    assert stored.status_code == 200
    assert stored.json()["urgency"] == want["urgency"]


def _post(client: Any, body: Any, headers: dict[str, str] | None = None) -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        "/api/fhir/QuestionnaireResponse", content=text, headers=headers or FHIR_JSON
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda r: r.update(questionnaire="urn:other:form"), "questionnaire: expected"),
        (lambda r: r.update(status="entered-in-error"), "status: 'entered-in-error'"),
        (lambda r: r.update(resourceType="Patient"), "expected a FHIR QuestionnaireResponse"),
        (lambda r: r.update(status=7), "status"),
        (
            lambda r: r["item"].append({"linkId": "shoe_size", "answer": [{"valueInteger": 9}]}),
            "shoe_size",
        ),
        (
            lambda r: r["item"].append({"linkId": "runner", "answer": [{"valueBoolean": True}]}),
            "item 'runner': answered twice",
        ),
        (
            lambda r: r["item"].append(
                {"linkId": "sex", "answer": [{"valueBoolean": True}, {"valueBoolean": False}]}
            ),
            "item 'sex': one answer expected, got 2",
        ),
        (
            lambda r: r["item"].append(
                {
                    "linkId": "onset",
                    "answer": [{"valueCoding": {"system": "urn:x", "code": "gradual"}}],
                }
            ),
            "item 'onset': answer coded in 'urn:x'",
        ),
        (
            lambda r: r["item"].append(
                {"linkId": "age_years", "answer": [{"valueDate": "2000-01-01"}]}
            ),
            "item 'age_years': answer type not taken",
        ),
    ],
)
def test_bad_responses_are_422_naming_the_problem(
    client: Any, kb: Knowledge, change: Any, problem: str
) -> None:
    response = response_for(kb, {"runner": True})
    change(response)
    answer = _post(client, response)
    assert answer.status_code == 422, answer.text
    assert any(problem in p for p in answer.json()["problems"]), answer.json()


def test_a_value_the_finding_does_not_take_gets_the_screening_message(
    client: Any, kb: Knowledge
) -> None:
    response = response_for(kb, {"pain_now": 4})
    response["item"][0]["answer"] = [{"valueInteger": 14}]
    answer = _post(client, response)
    assert answer.status_code == 422
    assert any("pain_now" in p for p in answer.json()["problems"])


def test_not_json_or_not_fhir_json_is_refused(client: Any) -> None:
    assert _post(client, "{not json").status_code == 422
    form = _post(client, "a=b", {"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    assert form.json()["problems"] == ["send the response as application/fhir+json"]
    assert _post(client, "[]").status_code == 422
    # Plain JSON is taken too.
    ok = client.post(
        "/api/fhir/QuestionnaireResponse",
        json={
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": SCREENING_QUESTIONNAIRE,
        },
    )
    assert ok.status_code == 201
