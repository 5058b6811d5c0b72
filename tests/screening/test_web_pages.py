"""The screening in the browser without JavaScript (plain form posts) and with htmx."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from popliteal.accounts.models import AuditEvent
from popliteal.demo import CHIRO, PATIENT
from popliteal.knowledge.loader import default_knowledge
from popliteal.screening.engine import question_text
from popliteal.screening.models import Screening
from tests.conftest import csrf_from, login

KB = default_knowledge()

# How a runner with a sore knee and no danger signs answers (anything else: "no", or the first
# choice, or the lowest number allowed).
CONSERVATIVE = {
    "age_years": "34",
    "sex": "female",
    "runner": "yes",
    "onset": "gradual",
    "symptom_duration_weeks": "3",
    "weekly_running_miles": "22",
    "pain_location": "posterolateral",
    "bmi": "23",
    "pain_now": "3",
    "pain_worst_week": "4",
}


@dataclass
class StepForm:
    """The answer form of one step, as a browser sees it."""

    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    checkboxes: list[str] = field(default_factory=list)
    radios: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, dict[str, str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: StepForm | None = None
        self._in_answer_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_answer_form = a.get("action", "").endswith("/answer")
            if self._in_answer_form:
                self.form = StepForm(action=a["action"])
        elif tag == "input" and self._in_answer_form and self.form is not None:
            kind, name = a.get("type"), a.get("name", "")
            if kind == "hidden":
                self.form.hidden[name] = a.get("value", "")
            elif kind == "checkbox":
                self.form.checkboxes.append(name)
            elif kind == "radio":
                self.form.radios.setdefault(name, []).append(a.get("value", ""))
            elif kind == "number":
                self.form.numbers[name] = a

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_answer_form = False


def step_form(html: str) -> StepForm:
    parser = _FormParser()
    parser.feed(html)
    assert parser.form is not None, "no answer form on the page"
    return parser.form


def fill(form: StepForm, wanted: dict[str, str]) -> dict[str, str]:
    """Answer a step like a person: ticks and choices from `wanted`, else "no" / the lowest."""
    data = dict(form.hidden)
    data["action"] = "answer"
    for name in form.checkboxes:
        if wanted.get(name) == "yes":
            data[name] = "yes"
    for name, values in form.radios.items():
        choice = wanted.get(name, "no" if "no" in values else values[0])
        assert choice in values, (name, choice, values)
        data[name] = choice
    for name, attrs in form.numbers.items():
        data[name] = wanted.get(name, attrs.get("min") or "0")
    return data


def start(client: Any) -> str:
    """Start a screening from the intro page; return the step page's path."""
    intro = client.get("/screening")
    assert intro.status_code == 200
    assert "decision support, not a diagnosis" in intro.text.lower()
    response = client.post("/screening", data={"csrf_token": csrf_from(client, "/screening")})
    assert response.status_code == 303
    path: str = response.headers["location"]
    assert re.fullmatch(r"/screening/[0-9a-f]{32}", path)
    return path


def run_interview(client: Any, wanted: dict[str, str], *, max_steps: int = 60) -> str:
    """Answer every step shown until the result; return the result page's path."""
    path = start(client)
    for _ in range(max_steps):
        page = client.get(path)
        assert page.status_code == 200
        response = client.post(step_form(page.text).action, data=fill(step_form(page.text), wanted))
        assert response.status_code == 303, response.text
        if response.headers["location"].endswith("/result"):
            return str(response.headers["location"])
        assert response.headers["location"] == path
    raise AssertionError("the interview did not finish")


def _sid(path: str) -> str:
    return path.split("/")[2]


@pytest.mark.postgres
def test_a_conservative_screening_from_start_to_result(client: Any, db: Any) -> None:
    result_path = run_interview(client, CONSERVATIVE)
    page = client.get(result_path)
    assert page.status_code == 200
    text = page.text
    assert 'class="banner conservative"' in text
    assert "Likely causes" in text
    assert " in 10</strong> people with answers like yours" in text
    assert "Points towards" in text
    assert "Do you run most weeks?" in text  # evidence in the person's words
    assert "What to do now" in text
    assert "ice pack" in text  # self-care advice from the knowledge base
    sid = _sid(result_path)
    assert f'href="/book?screening={sid}&amp;type=free_screening"' in text
    assert "decision support, not a diagnosis" in text
    stored = db.get(Screening, sid)
    assert stored.status == "complete"
    assert stored.urgency == "conservative"
    assert stored.result["urgency"] == "conservative"
    assert stored.result["next_questions"] == []
    assert stored.knowledge_version  # stored with the result, not shown to the person
    assert stored.knowledge_version not in text
    assert stored.patient_id is None
    assert stored.token_hash is not None


def test_the_step_page_shows_progress_safety_first_and_dont_know(client: Any) -> None:
    path = start(client)
    page = client.get(path)
    assert "<progress" in page.text
    assert "Step 1 of about" in page.text
    assert "Don't know" in page.text
    assert "Back</button>" not in page.text  # nothing to go back to yet
    # "About you" is a form, not a safety question; the first checklist is.
    assert "First, some safety questions" not in page.text
    for _ in range(5):
        if "data-checklist-item" in page.text:
            break
        form = step_form(page.text)
        client.post(form.action, data={**form.hidden, "action": "dont_know"})
        page = client.get(path)
    assert "data-checklist-item" in page.text
    assert "First, some safety questions" in page.text
    assert "Not sure" in page.text
    assert "None of these</button>" in page.text


def _first_checklist(client: Any) -> tuple[str, StepForm]:
    path = start(client)
    for _ in range(6):
        page = client.get(path)
        form = step_form(page.text)
        if "data-checklist-item" in page.text:
            return path, form
        client.post(form.action, data=fill(form, CONSERVATIVE))
    raise AssertionError("no safety checklist in the first steps")


def test_an_empty_checklist_is_asked_again_and_never_taken_as_no(client: Any, db: Any) -> None:
    """Review finding: Next with nothing ticked recorded "no" to every red flag."""
    path, form = _first_checklist(client)
    sid = _sid(path)
    before = dict(db.get(Screening, sid).answers)
    db.rollback()
    empty = client.post(form.action, data={**form.hidden, "action": "answer"})
    assert empty.status_code == 400
    assert "Please answer each question: Yes, No or Not sure" in html.unescape(empty.text)
    items = [f for f in form.hidden["step"].split(",")]
    one = {**form.hidden, "action": "answer", items[0]: "no"}  # one answered, the rest blank
    assert client.post(form.action, data=one).status_code == 400
    assert dict(db.get(Screening, sid).answers) == before  # nothing stored
    db.rollback()


def test_each_checklist_item_is_yes_no_or_not_sure_and_none_of_these_is_explicit(
    client: Any, db: Any
) -> None:
    path, form = _first_checklist(client)
    sid = _sid(path)
    items = form.hidden["step"].split(",")
    data = {**form.hidden, "action": "answer", **dict.fromkeys(items, "no"), items[-1]: "unsure"}
    assert client.post(form.action, data=data).status_code == 303
    answers = db.get(Screening, sid).answers
    assert answers[items[-1]] is None  # "not sure" is unknown, not "no"
    assert all(answers[f] is False for f in items[:-1])
    db.rollback()

    with TestClient(client.app, follow_redirects=False) as other:  # a second person
        path2, form2 = _first_checklist(other)
        none = {**form2.hidden, "action": "none_of_these"}
        assert other.post(form2.action, data=none).status_code == 303
    answers = db.get(Screening, _sid(path2)).answers
    assert all(answers[f] is False for f in form2.hidden["step"].split(","))
    db.rollback()


@pytest.mark.postgres
def test_dont_know_stores_null_and_back_removes_the_answers(client: Any, db: Any) -> None:
    path = start(client)
    sid = _sid(path)
    first = step_form(client.get(path).text)
    data = {**first.hidden, "action": "dont_know"}
    assert client.post(first.action, data=data).status_code == 303
    asked = first.hidden["step"].split(",")
    stored = db.get(Screening, sid)
    assert stored.answers == dict.fromkeys(asked)
    assert stored.history == [asked]
    db.rollback()

    second_page = client.get(path)
    assert "Step 2 of about" in second_page.text
    assert "Back</button>" in second_page.text
    second = step_form(second_page.text)
    assert second.hidden["step"] != first.hidden["step"]
    assert client.post(second.action, data=fill(second, CONSERVATIVE)).status_code == 303
    db.expire_all()
    assert set(db.get(Screening, sid).answers) > set(asked)
    db.rollback()

    back = client.post(f"{path}/back", data={"csrf_token": csrf_from(client, path)})
    assert back.status_code == 303
    db.expire_all()
    stored = db.get(Screening, sid)
    assert stored.answers == dict.fromkeys(asked)
    assert stored.history == [asked]
    db.rollback()
    again = client.get(path)
    assert step_form(again.text).hidden["step"] == second.hidden["step"]


def test_a_double_submit_does_not_answer_twice(client: Any, db: Any) -> None:
    path = start(client)
    form = step_form(client.get(path).text)
    data = fill(form, CONSERVATIVE)
    assert client.post(form.action, data=data).status_code == 303
    repeat = client.post(form.action, data=data)
    assert repeat.status_code == 303
    assert repeat.headers["location"] == f"{path}?stale=1"
    assert len(db.get(Screening, _sid(path)).history) == 1
    db.rollback()
    shown = client.get(repeat.headers["location"])
    assert "already answered that page" in shown.text
    assert shown.headers["cache-control"] == "no-store"


def test_a_bad_answer_reshows_the_step_with_a_message(client: Any) -> None:
    path = start(client)
    form = step_form(client.get(path).text)
    assert "age_years" in form.numbers
    data = {**fill(form, CONSERVATIVE), "age_years": "200"}
    response = client.post(form.action, data=data)
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert "Enter a number from 0 to 120" in response.text
    not_a_number = client.post(form.action, data={**data, "age_years": "old"})
    assert not_a_number.status_code == 400
    assert "Enter a number from 0 to 120" in not_a_number.text
    stale = client.post(form.action, data={**data, "step": "no_such_finding"})
    assert stale.status_code == 400
    assert "out of date" in stale.text


def test_a_single_question_needs_an_answer_or_dont_know(client: Any) -> None:
    path = start(client)
    # Pain at the front or side of the knee brings "which part of the knee?", asked alone. A knee
    # that catches keeps the joint causes open, so the interview does not stop before that question
    # (without it, the published locked-knee figure for a meniscal tear ends this runner's interview
    # one step early).
    wanted = {**CONSERVATIVE, "pain_location": "knee_front_or_side", "catching_or_locking": "yes"}
    for _ in range(30):
        form = step_form(client.get(path).text)
        if "," not in form.hidden["step"]:
            break
        client.post(form.action, data=fill(form, wanted))
    else:
        raise AssertionError("no single-question step came up")
    empty = client.post(form.action, data={**form.hidden, "action": "answer"})
    assert empty.status_code == 400
    assert "Don't know" in empty.text
    assert "Choose an answer" in empty.text


def test_htmx_gets_the_step_fragment_and_a_redirect_at_the_end(client: Any) -> None:
    path = start(client)
    hx = {"HX-Request": "true"}
    fragment = client.get(path, headers=hx)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="step"')
    for _ in range(60):
        form = step_form(fragment.text)
        fragment = client.post(form.action, data=fill(form, CONSERVATIVE), headers=hx)
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        if "hx-redirect" in fragment.headers:
            assert fragment.headers["hx-redirect"] == f"{path}/result"
            break
        assert 'id="step"' in fragment.text
    else:
        raise AssertionError("the interview did not finish")
    assert client.get(f"{path}/result").status_code == 200


def test_htmx_back_returns_the_previous_step_fragment(client: Any) -> None:
    path = start(client)
    hx = {"HX-Request": "true"}
    first = step_form(client.get(path).text)
    client.post(first.action, data=fill(first, CONSERVATIVE))
    back = client.post(f"{path}/back", data={"csrf_token": csrf_from(client, path)}, headers=hx)
    assert back.status_code == 200
    assert "<html" not in back.text
    assert step_form(back.text).hidden["step"] == first.hidden["step"]


def test_an_emergency_answer_ends_in_the_emergency_banner_without_booking(
    client: Any, db: Any
) -> None:
    result_path = run_interview(client, {**CONSERVATIVE, "breathless_or_chest_pain": "yes"})
    page = client.get(result_path)
    assert page.status_code == 200
    assert '<section class="banner emergency" role="alert">' in page.text
    assert "Call your emergency number now" in page.text
    assert "pulmonary embolism" in page.text  # why: the fired rule's title
    assert "/book" not in page.text
    assert "Book a" not in page.text
    assert db.get(Screening, _sid(result_path)).urgency == "emergency"


def test_the_printable_summary_lists_the_answers(client: Any) -> None:
    result_path = run_interview(client, CONSERVATIVE)
    sid = _sid(result_path)
    assert f'href="/screening/{sid}/summary"' in client.get(result_path).text
    summary = client.get(f"/screening/{sid}/summary")
    assert summary.status_code == 200
    assert "How old are you, in years?" in summary.text
    assert "<td>34 years</td>" in summary.text
    assert "<td>I am female</td>" in summary.text
    assert "<td>No</td>" in summary.text
    assert "Physical therapy or chiropractic care is a good fit" in summary.text
    assert "decision support, not a diagnosis" in summary.text
    assert "America/Chicago" not in summary.text  # shown as a local time, not a zone name
    assert re.search(r"\d{2} \w{3} \d{4}, \d{2}:\d{2}", summary.text)


def test_another_browser_cannot_see_it_but_the_clinic_can(client: Any, app: Any) -> None:
    path = start(client)
    with TestClient(app, follow_redirects=False) as other:
        for suffix in ("", "/result", "/summary"):
            page = other.get(path + suffix)
            assert page.status_code == 404
            assert "could not find this screening" in page.text
        token = csrf_from(other, "/screening")
        assert other.post(f"{path}/back", data={"csrf_token": token}).status_code == 404
        login(other, CHIRO.email, CHIRO.password)
        assert other.get(path).status_code == 200


def test_a_logged_in_patients_screening_is_linked_and_audited(client: Any, db: Any) -> None:
    login(client, PATIENT.email, PATIENT.password)
    path = start(client)
    stored = db.get(Screening, _sid(path))
    assert stored.patient_id is not None
    assert stored.token_hash is None
    db.rollback()
    form = step_form(client.get(path).text)
    client.post(form.action, data=fill(form, CONSERVATIVE))
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == _sid(path)).order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "read", "update"]


def test_a_form_post_without_csrf_is_refused(client: Any) -> None:
    client.get("/screening")
    assert client.post("/screening").status_code == 403


def test_a_result_from_a_few_answers_is_never_the_all_clear(client: Any) -> None:
    """The API takes any subset of answers; a result made from a few says which warning signs
    were never asked, and does not tell the person their answers show no urgent signs."""
    sid = client.post("/api/screenings", json={"answers": {"age_years": 40}}).json()["id"]
    page = client.get(f"/screening/{sid}/result")
    assert page.status_code == 200
    assert 'class="banner conservative"' not in page.text
    assert "no signs that need urgent care" not in page.text
    assert "Some warning signs are not ruled out yet" in page.text
    assert "We did not ask you 51 safety questions" in " ".join(page.text.split())
    assert "newly short of breath" in page.text
    summary = client.get(f"/screening/{sid}/summary")
    assert "Warning signs not ruled out (never asked)" in summary.text
    assert "Some warning signs are not ruled out yet" in summary.text  # the result's badge
    assert "good fit" not in summary.text
    assert "newly short of breath" in summary.text


def test_an_urgent_result_says_see_a_doctor_and_offers_no_free_screening(client: Any) -> None:
    created = client.post("/api/screenings", json={"answers": {"locked_cannot_straighten": True}})
    page = client.get(f"/screening/{created.json()['id']}/result")
    assert page.status_code == 200
    assert 'class="banner urgent"' in page.text
    assert "See a doctor within the next few days" in page.text
    assert "Locked knee" in page.text  # why
    assert "type=free_screening" not in page.text
    assert "Book a free screening" not in page.text


def test_a_surgical_consult_result_offers_an_initial_evaluation(client: Any) -> None:
    answers = {"conservative_care_weeks_without_improvement": 14}
    sid = client.post("/api/screenings", json={"answers": answers}).json()["id"]
    page = client.get(f"/screening/{sid}/result")
    assert 'class="banner surgical_consult"' in page.text
    assert f'href="/book?screening={sid}&amp;type=initial_evaluation"' in page.text
    assert "type=free_screening" not in page.text


def test_dont_know_to_every_safety_question_is_not_called_no_warning_signs(
    client: Any, db: Any
) -> None:
    """Review finding: "don't know" everywhere gave "no signs that need urgent care"."""
    path = start(client)
    for _ in range(60):
        page = client.get(path)
        if page.status_code == 303:
            break
        form = step_form(page.text)
        client.post(form.action, data={**form.hidden, "action": "dont_know"})
    result = client.get(f"{path}/result")
    assert result.status_code == 200
    text = html.unescape(result.text)
    assert "show no signs that need urgent care" not in text
    assert 'class="banner conservative"' not in result.text  # never green
    assert "Physical therapy or chiropractic care is a good fit" not in text
    assert "Some warning signs are not ruled out yet" in text
    # exactly the warning signs left at "don't know" that could still fire a rule
    sid = path.rstrip("/").split("/")[-1]
    listed = client.get(f"/api/screenings/{sid}").json()["safety_not_ruled_out"]
    assert listed
    answers = dict(db.get(Screening, sid).answers)
    db.rollback()  # SQLite: release the write lock before the next request
    assert all(f in answers and answers[f] is None for f in listed)  # asked, left unknown
    for fid in listed:
        assert question_text(KB, fid, "patient") in text
    assert "What the clinic will check first" in text
    summary = html.unescape(client.get(f"{path}/summary").text)
    assert "Warning signs not ruled out" in summary
    assert "good fit" not in summary
    for fid in listed:
        assert question_text(KB, fid, "patient") in summary


def test_no_printable_result_before_the_questions_are_done(client: Any) -> None:
    """Review finding: the summary showed "a good fit" before any safety question."""
    path = start(client)
    summary = client.get(f"{path}/summary")
    assert summary.status_code == 303
    assert summary.headers["location"] == path


def test_a_cause_a_warning_sign_lists_first_shows_its_own_chance(client: Any) -> None:
    """Worsening bone pain for weeks fires the X-ray rule, which names a tumour: it is listed
    first, but the page must not tell the person that 3 in 10 people like them have one. The
    chance shown is the answers' own; the page says why it is first."""
    answers = {
        "age_years": 73,
        "pain_trend": "worsening",
        "symptom_duration_weeks": 30,
        "pain_location": "knee_front_or_side",
    }
    created = client.post("/api/screenings", json={"answers": answers}).json()
    first = created["conditions"][0]
    assert first["id"] == "tumor"
    assert first["evidence"][0]["kind"] == "red_flag"
    assert first["probability_from_answers"] < 0.01 < first["probability"]
    shares = [c["probability_from_answers"] for c in created["conditions"]]
    assert math.isclose(sum(shares), 1.0, abs_tol=1e-9)
    page = client.get(f"/screening/{created['id']}/result").text
    causes = page.split("Likely causes")[1].split("<h3>")
    tumour = causes[1]
    assert "Fewer than 1 in 10" in tumour
    assert "Why it is near the top:" in tumour
    assert "checks for it first" in tumour
    arthritis = causes[2]
    assert "About 5 in 10" in arthritis  # its share of the answers, not shrunk by the placing
    assert "Why it is near the top:" not in arthritis
