"""The interview's order, and "not sure" to a safety question: asked again with a way to check.

"Don't know" is never "no": a second "not sure" leaves the sign not ruled out.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer
from popliteal.screening.interview import plan, to_recheck
from popliteal.screening.models import Screening
from popliteal.screening.safety import not_ruled_out
from tests.knowledge.editing import edited_copy, problems_of
from tests.screening.test_web_pages import CONSERVATIVE, fill, start, step_form

ABOUT_ME: dict[str, Answer | None] = {
    "age_years": 52,
    "sex": "female",
    "knee_side": "right",
    "runner": False,
}


def _post(client: Any, path: str, answers: dict[str, str], action: str = "answer") -> Any:
    form = step_form(client.get(path).text)
    data = {**form.hidden, "action": action, **answers}
    return client.post(form.action, data=data)


def _step_ids(client: Any, path: str) -> list[str]:
    return step_form(client.get(path).text).hidden["step"].split(",")


# ------------------------------------------------------------------ order


def test_the_interview_opens_with_about_you_then_the_emergency_signs(kb: Knowledge) -> None:
    steps = plan(kb, {}).steps
    assert steps[0].id == "about_you"
    assert set(steps[0].findings) == {"age_years", "sex", "knee_side", "runner"}
    assert steps[1].id == "danger_signs"
    assert steps[1].safety
    # the pain score and the clot risks a person can answer are asked with the safety steps
    early = {f for s in steps if s.safety for f in s.findings}
    assert {"pain_now", "recent_long_travel", "hormones_or_pregnancy"} <= early
    assert {"wells_active_cancer", "wells_paralysis_or_cast"} <= early


def test_clot_risk_factors_raise_the_clot_estimate(kb: Knowledge) -> None:
    from popliteal.screening.differential import rank

    base: dict[str, Answer | None] = {**ABOUT_ME, "calf_swelling": False, "pain_location": "calf"}

    def dvt(answers: dict[str, Answer | None]) -> float:
        return next(c.probability for c in rank(kb, answers) if c.id == "dvt")

    assert dvt({**base, "recent_long_travel": True}) > dvt({**base, "recent_long_travel": False})
    assert dvt({**base, "hormones_or_pregnancy": True}) > dvt(base)


def test_the_first_page_asks_which_knee(client: Any) -> None:
    path = start(client)
    page = html.unescape(client.get(path).text)
    assert "Which knee hurts?" in page
    assert "How old are you" in page
    assert _step_ids(client, path) == ["age_years", "sex", "knee_side", "runner"]


# ------------------------------------------------------------------ asked again


def test_to_recheck_only_signs_a_person_can_check_now(kb: Knowledge) -> None:
    answers: dict[str, Answer | None] = {
        **ABOUT_ME,
        "cold_pale_numb_foot": None,
        "wells_previous_dvt": None,
    }
    asked = {"cold_pale_numb_foot", "wells_previous_dvt"}
    assert to_recheck(kb, answers, asked) == ["cold_pale_numb_foot"]
    # a past clot cannot be checked now: not asked again, but still not ruled out
    assert "wells_previous_dvt" in not_ruled_out(kb, answers, "patient")
    # asked twice already: not a third time
    assert to_recheck(kb, answers, set()) == []
    # a one-shot screening (API, CLI --json) gets no second round
    assert all(not s.recheck for s in plan(kb, answers).steps)


def test_a_short_form_is_checked_again_before_a_checklist(kb: Knowledge) -> None:
    """A "not sure" on a one-screen form (the lump's pulse) comes back first, as it did when it
    was a question of its own; the checklist's "not sure" items follow, before anything new."""
    answers: dict[str, Answer | None] = {
        **ABOUT_ME,
        "lump_behind_knee": True,
        "lump_pulsates": None,
        "bilateral_leg_symptoms": None,
    }
    steps = plan(kb, answers, asked_once={"lump_pulsates", "bilateral_leg_symptoms"}).steps
    assert [(s.id, s.findings, s.recheck) for s in steps[:2]] == [
        ("lump_details", ("lump_pulsates",), True),
        ("other_warning_signs", ("bilateral_leg_symptoms",), True),
    ]
    # the rest of the lump's form is still asked, as a safety step
    assert any(s.id == "lump_details" and not s.recheck and s.safety for s in steps)


def test_not_sure_is_asked_again_at_once_with_how_to_check(client: Any, db: Any) -> None:
    path = start(client)
    sid = path.split("/")[2]
    _post(client, path, fill(step_form(client.get(path).text), CONSERVATIVE))
    danger = _step_ids(client, path)
    assert "cold_pale_numb_foot" in danger
    answers = {**dict.fromkeys(danger, "no"), "cold_pale_numb_foot": "unsure"}
    assert _post(client, path, answers).status_code == 303

    again = client.get(path)
    text = html.unescape(again.text)
    assert "data-recheck" in again.text
    assert "check this again" in text
    assert "How to check:" in text
    assert "Touch both feet with your hand." in text
    assert _step_ids(client, path) == ["cold_pale_numb_foot"]
    assert db.get(Screening, sid).answers["cold_pale_numb_foot"] is None  # stored as not sure
    db.rollback()

    assert _post(client, path, {"cold_pale_numb_foot": "no"}).status_code == 303
    db.expire_all()
    stored = db.get(Screening, sid)
    assert stored.answers["cold_pale_numb_foot"] is False
    assert "cold_pale_numb_foot" not in stored.result["safety_not_ruled_out"]
    db.rollback()
    assert "cold_pale_numb_foot" not in _step_ids(client, path)


def test_still_not_sure_stays_not_ruled_out_and_is_not_asked_a_third_time(
    client: Any, db: Any
) -> None:
    path = start(client)
    sid = path.split("/")[2]
    _post(client, path, fill(step_form(client.get(path).text), CONSERVATIVE))
    danger = _step_ids(client, path)
    _post(client, path, {**dict.fromkeys(danger, "no"), "fever_or_chills": "unsure"})
    assert _step_ids(client, path) == ["fever_or_chills"]
    _post(client, path, {"fever_or_chills": "unsure"})
    assert "fever_or_chills" not in _step_ids(client, path)
    stored = db.get(Screening, sid)
    assert stored.answers["fever_or_chills"] is None
    assert "fever_or_chills" in stored.result["safety_not_ruled_out"]
    db.rollback()


def test_back_from_the_second_asking_returns_to_not_sure(client: Any, db: Any) -> None:
    path = start(client)
    sid = path.split("/")[2]
    _post(client, path, fill(step_form(client.get(path).text), CONSERVATIVE))
    danger = _step_ids(client, path)
    _post(client, path, {**dict.fromkeys(danger, "no"), "knee_hot_red_swollen": "unsure"})
    _post(client, path, {"knee_hot_red_swollen": "no"})
    client.post(
        f"{path}/back", data={"csrf_token": step_form(client.get(path).text).hidden["csrf_token"]}
    )
    db.expire_all()
    assert db.get(Screening, sid).answers["knee_hot_red_swollen"] is None
    db.rollback()
    assert _step_ids(client, path) == ["knee_hot_red_swollen"]  # asked again, with the hint


def test_none_of_these_never_erases_a_yes_on_the_same_page(client: Any, db: Any) -> None:
    path = start(client)
    sid = path.split("/")[2]
    _post(client, path, fill(step_form(client.get(path).text), CONSERVATIVE))
    before = dict(db.get(Screening, sid).answers)
    db.rollback()
    refused = _post(client, path, {"fever_or_chills": "yes"}, action="none_of_these")
    assert refused.status_code == 400
    assert "we did not take “None of these”" in html.unescape(refused.text)
    db.expire_all()
    assert dict(db.get(Screening, sid).answers) == before
    db.rollback()


# ------------------------------------------------------------------ the knowledge base


def test_a_safety_question_without_an_unknown_policy_is_refused(tmp_path: Path) -> None:
    def drop(data: dict[str, Any]) -> None:
        for f in data["findings"]:
            if f["id"] == "calf_swelling":
                del f["unknown_policy"]

    problems = problems_of(edited_copy(tmp_path, "findings.yaml", drop))
    assert any("calf_swelling" in p and "unknown_policy" in p for p in problems)


def test_every_sign_asked_again_has_a_way_to_check(kb: Knowledge) -> None:
    asked_again = [
        f for f in kb.findings.values() if f.unknown_policy and f.unknown_policy.ask_again
    ]
    assert len(asked_again) >= 15
    assert all(f.unknown_policy and f.unknown_policy.how_to_check for f in asked_again)
