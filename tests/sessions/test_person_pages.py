"""The person's pages: Today, the guided session through plain forms, progress and my plan."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from popliteal.alerts.models import OutcomeAlert
from popliteal.booking.models import Appointment
from popliteal.demo import PATIENT
from popliteal.knowledge.loader import Knowledge
from popliteal.plans.models import CarePlanVersion
from popliteal.plans.schemas import PrescriptionIn
from popliteal.sessions.models import PainLog, SessionLog
from popliteal.sessions.pages import ease_off, pain_chart
from popliteal.web.forms import parse_pain
from tests.conftest import csrf_from, login
from tests.running.factories import demo_records, neighbour_patient
from tests.sessions.factories import DEFAULT_EXERCISES, save_demo_plan

PAIN_PROBLEM = "0 (no pain) to 10"


def _logged_in(client: Any) -> str:
    login(client, PATIENT.email, PATIENT.password)
    return csrf_from(client, "/my/today")


def _pain_rows(db: Session) -> list[tuple[str, int]]:
    db.expire_all()
    rows = [(k, p) for k, p in db.execute(select(PainLog.kind, PainLog.pain)).all()]
    db.rollback()
    return rows


def _session_count(db: Session) -> int:
    db.expire_all()
    count = db.scalar(select(func.count()).select_from(SessionLog)) or 0
    db.rollback()
    return count


def _start(client: Any, csrf: str, pain: str = "3", mode: str = "home") -> Any:
    return client.post("/my/session", data={"csrf_token": csrf, "pain_before": pain, "mode": mode})


def test_anonymous_visitor_is_sent_to_log_in(client: Any) -> None:
    for path in ("/my/today", "/my/plan", "/my/progress"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_without_a_plan_today_says_so_and_links_to_booking(client: Any, db: Session) -> None:
    csrf = _logged_in(client)
    page = client.get("/my/today")
    assert page.status_code == 200
    assert "has not set a plan for you yet" in page.text
    # The demo person has a free screening booked: Today shows it, not "Book a visit".
    visit = page.text.split("data-next-visit")[1].split("</section>")[0]
    assert "free screening with" in visit
    assert 'href="/book"' not in page.text
    appointment = db.get(Appointment, demo_records(db).appointment_id)
    assert appointment is not None
    appointment.status = "cancelled"
    db.commit()
    page = client.get("/my/today")
    assert "data-next-visit" not in page.text
    assert 'href="/book"' in page.text
    assert "Start guided session" not in page.text
    my_plan = client.get("/my/plan")
    assert my_plan.status_code == 200
    assert "has not set a plan for you yet" in my_plan.text
    # a hand-made post cannot start a session without a plan
    refused = _start(client, csrf)
    assert refused.status_code == 409
    assert "no plan to follow yet" in refused.text
    assert _session_count(db) == 0


def test_today_lists_the_due_exercises_with_pictures_and_doses(
    client: Any, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    _logged_in(client)
    page = client.get("/my/today")
    assert page.status_code == 200
    html = page.text
    for exercise_id in ("hamstring_isometric", "glute_bridge", "prone_hip_extension"):
        assert f'src="/exercises/{exercise_id}.svg"' in html
        assert kb.exercises[exercise_id].name in html
    assert "2 sets, hold 45 s, every day" in html
    assert "2 sets of 10, twice a day" in html
    assert "Start guided session" in html
    for label in ("At home on my own", "On a video visit with my clinician"):
        assert label in html
    assert "My clinician is here for a home visit" in html
    # the patient's nav has the new links
    assert '<a href="/my/today">Today</a>' in html
    assert '<a href="/my/plan">My plan</a>' in html
    # and the pictures are served
    assert client.get("/exercises/glute_bridge.svg").status_code == 200


def test_a_rest_day_says_so_and_a_session_can_still_be_done(
    client: Any, db: Session, kb: Knowledge
) -> None:
    three_a_week = tuple(rx.model_copy(update={"per_week": 3}) for rx in DEFAULT_EXERCISES)
    plan = save_demo_plan(db, kb, demo_records(db).patient_id, exercises=three_a_week)
    # The plan began yesterday: 3 days a week are days 1, 4 and 6 of each week, so today rests.
    version = db.scalar(select(CarePlanVersion).where(CarePlanVersion.plan_id == plan.plan_id))
    assert version is not None
    version.starts_on = plan.starts_on - timedelta(days=1)
    db.commit()
    csrf = _logged_in(client)
    page = client.get("/my/today")
    assert "Today is a rest day. Nothing is due." in page.text
    assert 'src="/exercises/' not in page.text
    started = client.get(_start(client, csrf).headers["location"])
    assert "Exercise 1 of 3" in started.text


def test_morning_pain_is_logged_and_replaced_the_same_morning(
    client: Any, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    csrf = _logged_in(client)
    first = client.post("/my/pain", data={"csrf_token": csrf, "pain": "4"})
    assert first.status_code == 303
    assert first.headers["location"] == "/my/today?saved=pain"
    page = client.get(first.headers["location"])
    assert "pain score for this morning is saved" in page.text
    assert "4 out of 10" in page.text
    assert re.search(r'id="pain-4"[^>]*checked', page.text)
    again = client.post("/my/pain", data={"csrf_token": csrf, "pain": "6"})
    assert again.status_code == 303
    assert _pain_rows(db) == [("morning", 6)]
    assert "6 out of 10" in client.get("/my/today").text


@pytest.mark.parametrize("bad", ["11", "-1", "abc", "", "4.5", "99999999999999999999"])
def test_a_bad_pain_value_gets_a_clear_message_and_nothing_is_stored(
    client: Any, db: Session, kb: Knowledge, bad: str
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    csrf = _logged_in(client)
    morning = client.post("/my/pain", data={"csrf_token": csrf, "pain": bad})
    assert morning.status_code == 422
    assert PAIN_PROBLEM in morning.text
    assert _pain_rows(db) == []
    start = _start(client, csrf, pain=bad)
    assert start.status_code == 422
    assert PAIN_PROBLEM in start.text
    assert _session_count(db) == 0
    # and a bad pain after a session leaves it unfinished
    session_id = _session_id(_start(client, csrf))
    finish = client.post(
        f"/my/session/{session_id}/finish", data={"csrf_token": csrf, "pain_after": bad}
    )
    assert finish.status_code == 422
    assert PAIN_PROBLEM in finish.text
    db.expire_all()
    log = db.get(SessionLog, session_id)
    assert log is not None
    assert (log.status, log.pain_after) == ("in_progress", None)
    db.rollback()


def test_an_unknown_place_is_refused(client: Any, db: Session, kb: Knowledge) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    csrf = _logged_in(client)
    response = _start(client, csrf, mode="the_moon")
    assert response.status_code == 422
    assert "Choose where you are doing this session" in response.text
    assert _session_count(db) == 0


def _session_id(response: Any) -> int:
    """The id in a redirect to /my/session/{id}?step=1."""
    found = re.fullmatch(r"/my/session/(\d+)\?step=1", response.headers["location"])
    assert found, response.headers.get("location")
    return int(found.group(1))


def _step(
    client: Any, csrf: str, session_id: int, exercise: str, sets: list[int], **extra: str
) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf, "exercise": exercise, "set": [str(s) for s in sets]}
    data.update(extra)
    return client.post(f"/my/session/{session_id}/step", data=data)


@pytest.mark.postgres
def test_a_full_guided_session_through_the_forms_is_stored(
    client: Any, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    csrf = _logged_in(client)
    started = _start(client, csrf, pain="3", mode="virtual")
    assert started.status_code == 303
    location = started.headers["location"]
    assert re.fullmatch(r"/my/session/\d+\?step=1", location)
    session_id = int(location.split("/")[-1].split("?")[0])

    first = client.get(location)
    assert first.status_code == 200
    assert "Exercise 1 of 3" in first.text
    # the start and end positions, each drawn from joint angles
    for position in ("start", "end"):
        assert f'src="/exercises/hamstring_isometric/{position}.svg"' in first.text
    for step in kb.exercises["hamstring_isometric"].steps:
        assert step.replace("'", "&#39;").replace('"', "&#34;") in first.text
    assert len(re.findall(r'name="set" value="\d+"', first.text)) == 2
    assert 'data-kind="hold"' in first.text
    assert 'data-seconds="45"' in first.text
    assert 'src="/static/guided.js"' in first.text
    assert "This hurt" in first.text

    # the twice-a-day exercise has twice its sets
    second = client.get(f"/my/session/{session_id}?step=2")
    assert "Exercise 2 of 3" in second.text
    assert [f"Set {i}" for i in range(1, 5)] == re.findall(r">(Set \d)</label>", second.text)
    assert "twice a day" in second.text
    third = client.get(f"/my/session/{session_id}?step=3")
    assert "From your clinician: Go slow." in third.text
    assert "Next: finish" in third.text

    # through the exercises, going back once to change an answer
    r = _step(client, csrf, session_id, "hamstring_isometric", [1, 2], action="next")
    assert r.headers["location"] == f"/my/session/{session_id}?step=2"
    r = _step(client, csrf, session_id, "glute_bridge", [1, 2, 3], action="back")
    assert r.headers["location"] == f"/my/session/{session_id}?step=1"
    again = client.get(r.headers["location"])
    assert len(re.findall(r'name="set" value="\d+" checked', again.text)) == 2
    r = _step(client, csrf, session_id, "hamstring_isometric", [1, 2], action="next")
    r = _step(client, csrf, session_id, "glute_bridge", [1, 2, 3, 4, 9], hurt="yes", action="next")
    assert r.headers["location"] == f"/my/session/{session_id}?step=3"
    r = _step(client, csrf, session_id, "prone_hip_extension", [1, 3], action="next")
    assert r.headers["location"] == f"/my/session/{session_id}?step=4"

    finish_page = client.get(r.headers["location"])
    assert "Finish your session" in finish_page.text
    assert "How bad is your knee pain now?" in finish_page.text
    assert 'name="safety" value="knee_locked"' in finish_page.text  # the safety checklist
    done = client.post(
        f"/my/session/{session_id}/finish",
        data={"csrf_token": csrf, "pain_after": "2", "note": "Felt fine."},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/my/session/{session_id}"

    db.expire_all()
    log = db.get(SessionLog, session_id)
    assert log is not None
    assert (log.status, log.mode, log.pain_before, log.pain_after, log.note) == (
        "done",
        "virtual",
        3,
        2,
        "Felt fine.",
    )
    assert [(e["id"], e["sets_done"], e["sets_prescribed"], e["hurt"]) for e in log.entries] == [
        ("hamstring_isometric", 2, 2, False),
        ("glute_bridge", 4, 4, True),
        ("prone_hip_extension", 2, 3, False),
    ]
    db.rollback()

    summary = client.get(done.headers["location"])
    assert summary.status_code == 200
    assert "Session done" in summary.text
    assert "8 of 9 sets done" in summary.text
    assert "You said these hurt: Hip lift (bridge)" in summary.text
    assert "Ease off" not in summary.text
    assert 'href="/screening"' in summary.text
    assert "calf swells" in summary.text

    # a finished session takes no more changes
    late = _step(client, csrf, session_id, "glute_bridge", [1], action="next")
    assert late.status_code == 409
    assert "this session is finished" in late.text.lower()

    today = client.get("/my/today")
    assert "Done today" in today.text
    assert "8 of 9 sets" in today.text
    assert "Start guided session" in today.text

    progress = client.get("/my/progress")
    assert progress.status_code == 200
    assert "<svg" in progress.text
    assert "Video visit" in progress.text
    assert "3 → 2" in progress.text
    assert "8 of 9" in progress.text
    assert "Hip lift (bridge)" in progress.text
    assert "100%" in progress.text  # today was due and done


def test_a_session_under_way_shows_continue_and_a_second_start_is_refused(
    client: Any, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    csrf = _logged_in(client)
    session_id = _session_id(_start(client, csrf))
    _step(client, csrf, session_id, "hamstring_isometric", [1], action="next")
    page = client.get("/my/today")
    assert "Continue" in page.text
    assert f'href="/my/session/{session_id}?step=2"' in page.text
    assert "Start guided session" not in page.text
    second = _start(client, csrf)
    assert second.status_code == 409
    assert "already under way" in second.text
    assert _session_count(db) == 1


def test_pain_rising_after_a_session_brings_the_ease_off_message(
    client: Any, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    csrf = _logged_in(client)
    session_id = _session_id(_start(client, csrf, pain="2"))
    client.post(f"/my/session/{session_id}/finish", data={"csrf_token": csrf, "pain_after": "4"})
    summary = client.get(f"/my/session/{session_id}")
    assert "Ease off a little" in summary.text
    assert "tell your clinician" in summary.text.lower()


def _alerts(db: Session, patient_id: int) -> list[tuple[str, str, str]]:
    db.expire_all()
    rows = db.execute(
        select(OutcomeAlert.rule_id, OutcomeAlert.source, OutcomeAlert.reason).where(
            OutcomeAlert.patient_id == patient_id
        )
    ).all()
    db.rollback()
    return [(r, src, reason) for r, src, reason in rows]


def test_a_warning_sign_ticked_at_the_finish_shows_what_to_do_now_with_the_clinics_wording(
    app: Any, client: Any, db: Session, kb: Knowledge
) -> None:
    # The app's knowledge (a clinic's POPLITEAL_KNOWLEDGE_DIR), not the packaged one, is used.
    checklist = kb.followup.safety_checklist
    items = [
        i.model_copy(update={"text": "My knee got stuck (clinic wording)."})
        if i.id == "knee_locked"
        else i
        for i in checklist.items
    ]
    followup = kb.followup.model_copy(
        update={"safety_checklist": checklist.model_copy(update={"items": items})}
    )
    app.state.kb = dataclasses.replace(kb, followup=followup)
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id)
    csrf = _logged_in(client)
    session_id = _session_id(_start(client, csrf, pain="2"))
    form = client.get(f"/my/session/{session_id}?step=9")
    assert "My knee got stuck (clinic wording)." in form.text
    done = client.post(
        f"/my/session/{session_id}/finish",
        data={"csrf_token": csrf, "pain_after": "5", "safety": "knee_locked"},
    )
    assert done.status_code == 200
    main = done.text.split('<main id="main"')[1]
    assert main.index('role="alert"') < main.index("See a doctor within the next few days")
    assert "will not straighten" in main  # the rule's message for the person
    # nothing that suggests waiting: no "ease off", no "tell your clinician next time"
    assert "Ease off" not in main
    assert "tell your clinician" not in main.lower()
    assert "not saved" not in main
    ((rule, source, reason),) = _alerts(db, patient_id)
    assert (rule, source) == ("rf_locked_knee", "session")
    assert "My knee got stuck (clinic wording). " in reason
    db.expire_all()
    log = db.get(SessionLog, session_id)
    assert log is not None
    assert (log.status, log.pain_after) == ("done", 5)
    db.rollback()


def test_a_warning_sign_with_a_missing_pain_score_still_alerts_and_the_session_stays_open(
    client: Any, db: Session, kb: Knowledge
) -> None:
    patient_id = demo_records(db).patient_id
    save_demo_plan(db, kb, patient_id)
    csrf = _logged_in(client)
    session_id = _session_id(_start(client, csrf))
    sent = client.post(
        f"/my/session/{session_id}/finish",
        data={"csrf_token": csrf, "pain_after": "", "safety": "new_calf_swelling"},
    )
    assert sent.status_code == 200
    assert "Get emergency care now" in sent.text
    assert 'href="tel:911"' in sent.text
    assert "Your session was not saved as finished." in sent.text
    assert [(r, src) for r, src, _ in _alerts(db, patient_id)] == [
        ("rf_unexplained_leg_swelling", "session")
    ]
    db.expire_all()
    log = db.get(SessionLog, session_id)
    assert log is not None
    assert log.status == "in_progress"
    db.rollback()
    # nothing ticked and no pain: the form again with the pain message, no alert page
    again = client.post(f"/my/session/{session_id}/finish", data={"csrf_token": csrf})
    assert again.status_code == 422
    assert PAIN_PROBLEM in again.text


def test_ease_off_follows_the_pain_monitoring_numbers(kb: Knowledge) -> None:
    limit, rise = kb.progression.pain_during_at_most, kb.progression.session_pain_rise
    assert (limit, rise) == (5, 2)  # drafting.yaml: silbernagel_2007 and the NPRS change
    assert ease_off(kb, 5, 5) is False
    assert ease_off(kb, 5, limit + 1) is True
    assert ease_off(kb, 2, 2 + rise) is True
    assert ease_off(kb, 2, 2 + rise - 1) is False
    assert ease_off(kb, None, 3) is False
    assert ease_off(kb, 3, None) is False


def test_someone_elses_session_is_not_found(client: Any, db: Session, kb: Knowledge) -> None:
    neighbour = neighbour_patient(db, kb)
    save_demo_plan(db, kb, neighbour.patient_id)
    save_demo_plan(db, kb, demo_records(db).patient_id)
    # the neighbour starts a session of their own
    login(client, neighbour.patient_email, "factory-password-2026")
    csrf = csrf_from(client, "/my/today")
    theirs = _session_id(_start(client, csrf))
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()

    csrf = _logged_in(client)
    assert client.get(f"/my/session/{theirs}").status_code == 404
    assert client.get(f"/my/session/{theirs}?step=2").status_code == 404
    step = _step(client, csrf, theirs, "glute_bridge", [1, 2], action="next")
    assert step.status_code == 404
    finish = client.post(
        f"/my/session/{theirs}/finish", data={"csrf_token": csrf, "pain_after": "1"}
    )
    assert finish.status_code == 404
    assert client.get("/my/session/999999").status_code == 404
    db.expire_all()
    log = db.get(SessionLog, theirs)
    assert log is not None
    assert log.status == "in_progress"
    assert all(e["sets_done"] == 0 for e in log.entries)
    db.rollback()


def test_my_plan_shows_the_phase_goals_exercises_limits_help_and_handout(
    client: Any, db: Session, kb: Knowledge
) -> None:
    save_demo_plan(db, kb, demo_records(db).patient_id)
    _logged_in(client)
    page = client.get("/my/plan")
    assert page.status_code == 200
    html = page.text
    assert kb.conditions["hamstring_strain"].patient_name in html  # the person's words
    assert "musculotendinous" not in html
    assert "protect phase" in html
    protect = kb.protocols["hamstring_strain"].phases[0]
    for goal in protect.goals:
        assert goal.replace("'", "&#39;") in html
    for exercise_id in ("hamstring_isometric", "glute_bridge", "prone_hip_extension"):
        ex = kb.exercises[exercise_id]
        assert f'src="/exercises/{exercise_id}/start.svg"' in html
        assert f'src="/exercises/{exercise_id}/end.svg"' in html
        assert ex.purpose.replace("'", "&#39;").replace('"', "&#34;") in html
    assert "2 sets of 10, twice a day" in html
    assert "Limit these for now" in html
    assert "No running fast, sprinting or kicking yet." in html
    assert "When to get help" in html
    for referral in kb.protocols["hamstring_strain"].refer_when:
        assert referral.text.replace("'", "&#39;") in html
    # a sign to act on at once leads with the one urgency heading, never a time of its own
    levels = {r.urgency for r in kb.protocols["hamstring_strain"].refer_when}
    assert {"emergency", "urgent"} <= levels
    for level in ("emergency", "urgent"):
        assert f"<strong>{kb.advice.urgency_messages[level].heading}:</strong>" in html
    assert "next day or two" not in html
    assert 'href="/my/plan/handout.pdf"' in html
    assert "Download the handout (PDF)" in html
    assert "Short sessions are fine." in html


def test_the_pain_chart_draws_weeks_left_to_right_and_breaks_at_gaps() -> None:
    weeks = [
        (date(2026, 3, 2), 6.0),
        (date(2026, 3, 9), 4.5),
        (date(2026, 3, 16), None),
        (date(2026, 3, 23), 3.0),
        (date(2026, 3, 30), 2.0),
    ]
    chart = pain_chart(weeks)
    assert [p.label for p in chart.points] == ["6", "4.5", "3", "2"]
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs)
    assert chart.points[0].y < chart.points[-1].y  # more pain is drawn higher
    assert len(chart.lines) == 2  # the empty week breaks the line
    assert [label for _, label in chart.x_labels] == [
        "2 Mar",
        "9 Mar",
        "16 Mar",
        "23 Mar",
        "30 Mar",
    ]
    ten = dict((v, y) for y, v in chart.y_ticks)
    assert ten[10] == chart.top
    assert ten[0] == chart.bottom


@pytest.mark.parametrize(
    ("raw", "want"), [("0", 0), ("10", 10), (" 7 ", 7), ("11", None), ("x", None), ("٣", None)]
)
def test_pain_is_read_as_a_whole_number_from_0_to_10(raw: str, want: int | None) -> None:
    assert parse_pain(raw) == want


def test_the_result_page_shows_a_booked_visit_instead_of_another_booking_offer(
    client: Any, db: Session
) -> None:
    """A person with a visit booked who looks at their screening again is not offered "Book a
    free screening": the page shows the visit, with the link to see or change it."""
    demo = demo_records(db)
    _logged_in(client)
    page = client.get(f"/screening/{demo.screening_id}/result")
    assert page.status_code == 200
    assert "You already have a visit booked" in page.text
    assert f'href="/my/appointments/{demo.appointment_id}"' in page.text
    assert "type=free_screening" not in page.text  # no booking button
    appointment = db.get(Appointment, demo.appointment_id)
    assert appointment is not None
    appointment.status = "cancelled"
    db.commit()
    page = client.get(f"/screening/{demo.screening_id}/result")
    assert "You already have a visit booked" not in page.text
    assert "type=free_screening" in page.text


def test_a_drawing_that_hides_a_turn_says_it_in_its_alt_text(
    client: Any, db: Session, kb: Knowledge
) -> None:
    """The seated shin-turn's end drawing shows the foot turning in only by an arrow; a screen
    reader hears the image's alt text, so the turn is in words there too (My plan and the guided
    session). A drawing with nothing hidden keeps the plain alt text."""
    plan = (
        PrescriptionIn(exercise_id="popliteus_isometric", sets=1, hold_s=10, rest_s=30, per_week=7),
        PrescriptionIn(exercise_id="glute_bridge", sets=1, reps=10, rest_s=30, per_week=7),
    )
    save_demo_plan(db, kb, demo_records(db).patient_id, exercises=plan)
    csrf = _logged_in(client)
    name = kb.exercises["popliteus_isometric"].name
    bridge = kb.exercises["glute_bridge"].name
    my_plan = client.get("/my/plan").text
    assert f'alt="Drawing of how to end this exercise: {name}, the foot turned in"' in my_plan
    assert f'alt="Drawing of how to start this exercise: {name}"' in my_plan
    assert f'alt="Drawing of how to end this exercise: {bridge}"' in my_plan
    started = _start(client, csrf)
    step = client.get(started.headers["location"]).text
    assert f'alt="Drawing of how to end this exercise: {name}, the foot turned in"' in step
