"""The follow-up service on a real database (SQLite and PostgreSQL), at fixed times: check-ins
with their safety checklist, escalation from a check-in and from a session, review flags,
range of motion, alerts and discharge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import AuditEvent, Clinic
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import InvalidSettings
from popliteal.alerts import service as alerts_service
from popliteal.alerts.models import OutcomeAlert
from popliteal.alerts.service import CheckInRefused
from popliteal.booking.models import Appointment, AppointmentType
from popliteal.demo import ADMIN, CHIRO, PATIENT
from popliteal.errors import NotAllowed, ProblemsError
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import (
    discharges,
    questionnaires,
    questionnaires_due,
    range_of_motion,
    reviews,
)
from popliteal.outcomes.discharges import DischargeRefused
from popliteal.outcomes.models import Discharge, QuestionnaireResponse, RangeOfMotion
from popliteal.outcomes.schemas import DischargeCreate, QuestionnaireCreate, RangeOfMotionCreate
from popliteal.plans.models import CarePlan
from popliteal.sessions import service as sessions_service
from popliteal.sessions.models import PainLog, SessionLog
from popliteal.sessions.schemas import PainCreate, SessionCreate, SessionFinish
from popliteal.workspace import flows
from tests.accounts.factories import add_patient
from tests.plans.factories import add_care_plan
from tests.running import factories as rf
from tests.running.factories import other_clinic

# 17:00 UTC is 12:00 in Chicago (the demo clinic): the clinic's today is 1 June 2025.
NOW = datetime(2025, 6, 1, 17, 0, tzinfo=UTC)
TODAY = date(2025, 6, 1)


def at(day: date) -> datetime:
    """Noon of that day in Chicago."""
    return datetime.combine(day, time(17), tzinfo=UTC)


@dataclass(frozen=True)
class World:
    clinic: Clinic
    patient_id: int
    person: Actor
    chiro: Actor
    admin: Actor


@pytest.fixture
def world(db: Session) -> World:
    patient = rf.demo_patient(db)
    clinic = db.get(Clinic, patient.clinic_id)
    assert clinic is not None
    pid = patient.id
    db.rollback()
    return World(
        clinic=clinic,
        patient_id=pid,
        person=rf.actor_for(db, PATIENT.email),
        chiro=rf.actor_for(db, CHIRO.email),
        admin=rf.actor_for(db, ADMIN.email),
    )


def in_care(db: Session, kb: Knowledge, w: World, starts_on: date, **kwargs: Any) -> None:
    """The demo patient's care plan, saved on `starts_on` (the first visit)."""
    add_care_plan(
        db,
        clinic=w.clinic,
        patient_id=w.patient_id,
        staff_id=w.chiro.user_id,
        kb=kb,
        starts_on=starts_on,
        **kwargs,
    )
    db.commit()


def koos(kb: Knowledge, value: int) -> dict[str, Any]:
    """Every KOOS item answered `value`: each subscale is 100 - 25 x value."""
    return {item.id: value for item in kb.outcomes.instruments["koos"].items}


def submit(
    db: Session,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    now: datetime = NOW,
    **body: Any,
) -> Any:
    return questionnaires.submit_response(
        db,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        body=QuestionnaireCreate.model_validate(body),
        now=now,
    )


def alerts(db: Session, patient_id: int, *, open_only: bool = True) -> list[OutcomeAlert]:
    db.expire_all()
    query = select(OutcomeAlert).where(OutcomeAlert.patient_id == patient_id)
    if open_only:
        query = query.where(OutcomeAlert.resolved_at.is_(None))
    found = list(db.scalars(query.order_by(OutcomeAlert.id)).all())
    db.rollback()
    return found


def responses(db: Session, patient_id: int) -> list[QuestionnaireResponse]:
    db.expire_all()
    found = list(
        db.scalars(
            select(QuestionnaireResponse)
            .where(QuestionnaireResponse.patient_id == patient_id)
            .order_by(QuestionnaireResponse.id)
        ).all()
    )
    db.rollback()
    return found


# ------------------------------------------------------------------ check-ins


def test_a_koos_check_in_is_scored_stored_audited_and_no_longer_due(
    db: Session, kb: Knowledge, world: World
) -> None:
    in_care(db, kb, world, TODAY - timedelta(days=2))
    before = questionnaires_due.due_for_patient(
        db, kb=kb, actor=world.person, patient_id=world.patient_id, now=NOW
    )
    assert [(d.instrument, d.occasion, d.days_overdue) for d in before] == [
        ("koos", "baseline", 2),
        ("nprs", "baseline", 2),
    ]
    result = submit(db, kb, world.person, world.patient_id, instrument="koos", answers=koos(kb, 1))
    assert result.red_flags == []
    assert result.response.valid
    assert result.response.occasion == "baseline"
    assert result.response.scores["pain"] == 75.0
    assert result.response.scores["koos4"] == 75.0
    assert [d.instrument for d in result.due] == ["nprs"]
    (row,) = responses(db, world.patient_id)
    assert (row.knowledge_version, row.entered_by, row.local_date) == (
        kb.version,
        world.person.user_id,
        TODAY,
    )
    assert row.scores["scores"]["adl"] == 75.0
    audited = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "questionnaire_response", AuditEvent.entity_id == str(row.id))
    )
    assert audited == 1


def test_missing_items_are_stored_as_an_invalid_score_not_refused(
    db: Session, kb: Knowledge, world: World
) -> None:
    answers = {"P1": 1, "P2": 1, "P3": 1, "P4": 1}  # 4 of 9 pain items: below the half
    result = submit(db, kb, world.person, world.patient_id, instrument="koos", answers=answers)
    assert not result.response.valid
    assert result.response.scores["pain"] is None
    assert "pain" in result.response.invalid
    assert result.response.occasion == "ad_hoc"  # no first visit yet: nothing was due


def test_bad_answers_are_refused_with_every_problem_and_nothing_is_stored(
    db: Session, kb: Knowledge, world: World
) -> None:
    with pytest.raises(CheckInRefused) as caught:
        submit(
            db,
            kb,
            world.person,
            world.patient_id,
            instrument="lefs",
            answers={"L1": 5, "L99": 2},
            safety={"knee_locked": False, "calf_swolen": True},
        )
    assert caught.value.problems == [
        "safety.calf_swolen: unknown checklist item",
        "answers: L1: 5 is out of range 0-4",
        "answers: unknown item 'L99'",
    ]
    assert caught.value.red_flags == []
    assert responses(db, world.patient_id) == []
    assert alerts(db, world.patient_id) == []


def test_a_red_flag_survives_bad_answers_its_alert_opens_and_its_message_comes_back(
    db: Session, kb: Knowledge, world: World
) -> None:
    """A typo in the questionnaire must not lose 'my calf has swollen'."""
    with pytest.raises(CheckInRefused) as caught:
        submit(
            db,
            kb,
            world.person,
            world.patient_id,
            instrument="nprs",
            answers={"pain": 11},
            safety={"new_calf_swelling": True},
        )
    (flag,) = caught.value.red_flags
    assert (flag.id, flag.urgency) == ("rf_unexplained_leg_swelling", "emergency")
    assert "scan" in flag.patient_message
    assert any("red flag (emergency)" in line for line in caught.value.detail)
    assert responses(db, world.patient_id) == []
    (alert,) = alerts(db, world.patient_id)
    assert (alert.kind, alert.urgency, alert.source) == ("red_flag", "emergency", "check_in")
    assert alert.detail["items"] == ["new_calf_swelling"]


@pytest.mark.postgres
def test_a_red_flag_at_a_check_in_opens_exactly_one_urgent_alert_however_often_it_is_ticked(
    db: Session, kb: Knowledge, world: World
) -> None:
    safety = {"new_calf_swelling": True, "fever": False}
    first = submit(
        db,
        kb,
        world.person,
        world.patient_id,
        instrument="nprs",
        answers={"pain": 5},
        safety=safety,
    )
    assert [(r.id, r.urgency) for r in first.red_flags] == [
        ("rf_unexplained_leg_swelling", "emergency")
    ]
    (row,) = responses(db, world.patient_id)
    assert row.safety == safety  # the checklist is kept with the response
    again = submit(
        db,
        kb,
        world.person,
        world.patient_id,
        NOW + timedelta(hours=2),
        instrument="nprs",
        answers={"pain": 5},
        safety=safety,
    )
    assert [r.id for r in again.red_flags] == ["rf_unexplained_leg_swelling"]  # shown again
    (alert,) = alerts(db, world.patient_id)
    assert alert.rule_id == "rf_unexplained_leg_swelling"
    assert alert.detail["response_id"] == row.id
    assert "Swollen calf or leg" in alert.reason
    assert "My calf on this side has become swollen" in alert.reason
    assert alert.patient_message.startswith("A swollen calf or leg")


@pytest.mark.postgres
def test_the_database_allows_one_open_alert_per_person_kind_and_rule(
    db: Session, world: World
) -> None:
    def alert() -> OutcomeAlert:
        return OutcomeAlert(
            clinic_id=world.clinic.id,
            patient_id=world.patient_id,
            kind="red_flag",
            urgency="urgent",
            rule_id="rf_locked_knee",
            reason="locked",
            source="check_in",
        )

    first = alert()
    db.add(first)
    db.commit()
    db.add(alert())
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
    first.resolved_at = NOW
    first.resolved_by = world.chiro.user_id
    db.commit()
    db.add(alert())  # a new episode of the same red flag after the first was dealt with
    db.commit()
    assert len(alerts(db, world.patient_id, open_only=False)) == 2


def test_a_clinician_enters_a_paper_form_with_its_date_but_a_patient_can_not_backdate(
    db: Session, kb: Knowledge, world: World
) -> None:
    paper = submit(
        db,
        kb,
        world.chiro,
        world.patient_id,
        instrument="nprs",
        answers={"pain": "3"},
        completed_on=TODAY - timedelta(days=4),
    )
    assert paper.response.local_date == TODAY - timedelta(days=4)
    assert paper.response.entered_by == world.chiro.user_id
    with pytest.raises(CheckInRefused, match="only a clinician"):
        submit(
            db,
            kb,
            world.person,
            world.patient_id,
            instrument="nprs",
            answers={"pain": 3},
            completed_on=TODAY - timedelta(days=1),
        )
    with pytest.raises(CheckInRefused, match="in the future"):
        submit(
            db,
            kb,
            world.chiro,
            world.patient_id,
            instrument="nprs",
            answers={"pain": 3},
            completed_on=TODAY + timedelta(days=1),
        )


def test_nobody_submits_or_reads_another_persons_outcomes(
    db: Session, kb: Knowledge, world: World
) -> None:
    other, _ = other_clinic(db, kb)
    neighbour = add_patient(
        db, clinic_id=world.clinic.id, name="Nia Neighbour", email="nia@demo.popliteal.test"
    )
    nid = neighbour.id
    db.commit()
    with pytest.raises(NotAllowed):
        submit(db, kb, world.person, nid, instrument="nprs", answers={"pain": 2})
    with pytest.raises(NotAllowed):
        submit(db, kb, world.chiro, other.patient_id, instrument="nprs", answers={"pain": 2})
    with pytest.raises(NotAllowed):
        questionnaires.outcomes(db, kb=kb, actor=world.chiro, patient_id=other.patient_id)
    with pytest.raises(NotAllowed):
        alerts_service.list_alerts(db, actor=world.person)
    db.rollback()
    assert responses(db, nid) == []


# ------------------------------------------------------------------ escalation from a session


def started_session(db: Session, kb: Knowledge, w: World) -> int:
    in_care(db, kb, w, TODAY - timedelta(days=1))
    started = sessions_service.start_session(
        db, actor=w.person, patient_id=w.patient_id, body=SessionCreate(pain_before=3), now=NOW
    )
    return started.id


def test_a_red_flag_ticked_at_the_end_of_a_session_opens_one_alert_and_shows_its_message(
    db: Session, kb: Knowledge, world: World
) -> None:
    sid = started_session(db, kb, world)
    done = sessions_service.finish_session(
        db,
        actor=world.person,
        session_id=sid,
        body=SessionFinish(pain_after=4, safety={"knee_locked": True}),
        now=NOW + timedelta(minutes=30),
        kb=kb,
    )
    assert done.status == "done"
    assert [(r.id, r.urgency) for r in done.red_flags] == [("rf_locked_knee", "urgent")]
    assert "will not straighten" in done.red_flags[0].patient_message
    (alert,) = alerts(db, world.patient_id)
    assert (alert.kind, alert.source, alert.urgency) == ("red_flag", "session", "urgent")
    assert alert.detail["session_id"] == sid
    # the checklist sentence keeps one full stop, not two
    assert alert.reason.startswith(
        "Locked knee (can not straighten). Reported after a guided session on 2025-06-01: "
        "My knee has locked: it is stuck and will not straighten. "
    )
    assert ".." not in alert.reason


def test_a_session_finished_without_a_checklist_works_as_before(
    db: Session, kb: Knowledge, world: World
) -> None:
    sid = started_session(db, kb, world)
    done = sessions_service.finish_session(
        db, kb=kb, actor=world.person, session_id=sid, body=SessionFinish(pain_after=2), now=NOW
    )
    assert (done.status, done.red_flags) == ("done", [])
    assert alerts(db, world.patient_id) == []


def test_an_unknown_checklist_item_refuses_the_finish_but_keeps_the_red_flag(
    db: Session, kb: Knowledge, world: World
) -> None:
    sid = started_session(db, kb, world)
    with pytest.raises(CheckInRefused) as caught:
        sessions_service.finish_session(
            db,
            actor=world.person,
            session_id=sid,
            body=SessionFinish(pain_after=2, safety={"fever": True, "hot_knee": True}),
            now=NOW,
            kb=kb,
        )
    assert caught.value.problems == ["safety.hot_knee: unknown checklist item"]
    assert [r.id for r in caught.value.red_flags] == ["rf_fever_knee_pain"]
    (alert,) = alerts(db, world.patient_id)
    assert alert.rule_id == "rf_fever_knee_pain"
    db.expire_all()
    log = db.get(SessionLog, sid)
    assert log is not None
    assert log.status == "in_progress"  # fix the checklist and finish again
    db.rollback()


# ------------------------------------------------------------------ review flags


def morning_pain(db: Session, patient_id: int, values: dict[int, int]) -> None:
    """Morning pain scores keyed by days before TODAY."""
    for days, pain in values.items():
        db.add(PainLog(patient_id=patient_id, local_date=TODAY - timedelta(days=days), pain=pain))
    db.commit()


def test_pain_worse_by_the_mcid_over_two_weeks_opens_a_review_alert_when_pain_is_logged(
    db: Session, kb: Knowledge, world: World
) -> None:
    in_care(db, kb, world, TODAY - timedelta(days=30))
    morning_pain(db, world.patient_id, {20: 2, 17: 3, 15: 3, 5: 4, 3: 5})
    assert alerts(db, world.patient_id) == []  # stored directly: nothing evaluated yet
    flows.log_pain(
        db,
        kb=kb,
        actor=world.person,
        patient_id=world.patient_id,
        body=PainCreate(pain=5),
        now=NOW,
    )
    (alert,) = alerts(db, world.patient_id)
    assert (alert.kind, alert.rule_id, alert.urgency) == ("review", "review_pain_worse", None)
    assert "2.7/10" in alert.reason  # (2 + 3 + 3) / 3
    assert "4.7/10" in alert.reason  # (4 + 5 + 5) / 3
    assert alert.detail["citation"] == "farrar_2001"
    # resolved by the clinician: the next scores do not raise it again within the snooze days
    alerts_service.resolve_alert(
        db, actor=world.chiro, alert_id=alert.id, note="Called; eased the load.", now=NOW
    )
    flows.log_pain(
        db,
        kb=kb,
        actor=world.person,
        patient_id=world.patient_id,
        body=PainCreate(pain=6, kind="other"),
        now=NOW + timedelta(hours=3),
    )
    assert alerts(db, world.patient_id) == []


def done_sessions(db: Session, kb: Knowledge, w: World, first: date, last: date) -> None:
    """A finished session every day from `first` to `last`, pain 4 before and after."""
    plan = db.scalar(select(CarePlan).where(CarePlan.patient_id == w.patient_id))
    assert plan is not None
    from popliteal.plans.models import CarePlanVersion

    version = db.scalar(select(CarePlanVersion).where(CarePlanVersion.plan_id == plan.id))
    assert version is not None
    day = first
    while day <= last:
        db.add(
            SessionLog(
                clinic_id=w.clinic.id,
                patient_id=w.patient_id,
                plan_version_id=version.id,
                local_date=day,
                status="done",
                pain_before=4,
                pain_after=4,
                entries=[],
            )
        )
        day += timedelta(days=1)
    db.commit()


def test_no_improvement_after_6_weeks_of_adequate_care_opens_a_review_alert(
    db: Session, kb: Knowledge, world: World
) -> None:
    start = TODAY - timedelta(days=42)
    in_care(db, kb, world, start)
    done_sessions(db, kb, world, start, TODAY - timedelta(days=1))
    submit(
        db,
        kb,
        world.chiro,
        world.patient_id,
        instrument="koos",
        answers=koos(kb, 2),
        completed_on=start,
    )
    assert alerts(db, world.patient_id) == []
    later = submit(db, kb, world.person, world.patient_id, instrument="koos", answers=koos(kb, 2))
    assert later.response.occasion == "follow_up"
    (alert,) = alerts(db, world.patient_id)
    assert (alert.kind, alert.rule_id) == ("review", "review_no_improvement")
    assert "6 weeks of care" in alert.reason
    assert "100% of the exercise days" in alert.reason
    assert alert.patient_message == ""


def test_no_improvement_after_12_weeks_suggests_a_surgical_consult_with_the_reason(
    db: Session, kb: Knowledge, world: World
) -> None:
    start = TODAY - timedelta(days=84)
    in_care(db, kb, world, start)
    done_sessions(db, kb, world, start, TODAY - timedelta(days=1))
    submit(
        db,
        kb,
        world.chiro,
        world.patient_id,
        instrument="koos",
        answers=koos(kb, 2),
        completed_on=start,
    )
    submit(db, kb, world.person, world.patient_id, instrument="koos", answers=koos(kb, 2))
    (alert,) = alerts(db, world.patient_id)
    assert (alert.kind, alert.rule_id, alert.urgency) == (
        "surgical_consult",
        "sc_failed_conservative_care",
        "surgical_consult",
    )
    assert "12 weeks of care" in alert.reason
    assert "Kise 2016" in alert.reason
    assert alert.detail["citation"] == "kise_2016"
    assert alert.patient_message.startswith("You have had 12 weeks")


def test_an_improvement_by_the_mcid_means_no_review(
    db: Session, kb: Knowledge, world: World
) -> None:
    start = TODAY - timedelta(days=42)
    in_care(db, kb, world, start)
    done_sessions(db, kb, world, start, TODAY - timedelta(days=1))
    submit(
        db,
        kb,
        world.chiro,
        world.patient_id,
        instrument="koos",
        answers=koos(kb, 2),
        completed_on=start,
    )
    submit(db, kb, world.person, world.patient_id, instrument="koos", answers=koos(kb, 1))
    assert alerts(db, world.patient_id) == []


def test_the_patient_list_can_refresh_review_flags_for_the_whole_clinic(
    db: Session, kb: Knowledge, world: World
) -> None:
    in_care(db, kb, world, TODAY - timedelta(days=30))
    morning_pain(db, world.patient_id, {20: 2, 17: 3, 15: 3, 5: 4, 3: 5, 0: 5})
    assert reviews.refresh_review_flags(db, kb=kb, actor=world.chiro, now=NOW) == 1
    assert reviews.refresh_review_flags(db, kb=kb, actor=world.chiro, now=NOW) == 0
    with pytest.raises(NotAllowed):
        reviews.refresh_review_flags(db, kb=kb, actor=world.person, now=NOW)
    listed = alerts_service.list_alerts(db, actor=world.chiro)
    assert [(a.patient_id, a.rule_id) for a in listed] == [(world.patient_id, "review_pain_worse")]


# ------------------------------------------------------------------ schedule in the service


@pytest.mark.postgres
def test_the_first_initial_evaluation_is_the_baseline_and_the_clinic_interval_sets_follow_ups(
    db: Session, kb: Knowledge, world: World
) -> None:
    kind = db.scalar(
        select(AppointmentType).where(
            AppointmentType.clinic_id == world.clinic.id,
            AppointmentType.code == "initial_evaluation",
        )
    )
    assert kind is not None
    visit = at(TODAY - timedelta(days=21))
    db.add(
        Appointment(
            clinic_id=world.clinic.id,
            clinician_id=world.chiro.user_id,
            patient_id=world.patient_id,
            type_id=kind.id,
            mode="in_clinic",
            starts_at=visit,
            ends_at=visit + timedelta(minutes=60),
        )
    )
    db.commit()
    view = questionnaires.outcomes(
        db, kb=kb, actor=world.person, patient_id=world.patient_id, now=NOW
    )
    assert view.baseline_on == TODAY - timedelta(days=21)
    assert (view.main_instrument, view.instruments, view.interval_days) == (
        "koos",
        ["koos", "nprs"],
        14,
    )
    for instrument, answers in (("koos", koos(kb, 1)), ("nprs", {"pain": 3})):
        submit(
            db,
            kb,
            world.chiro,
            world.patient_id,
            instrument=instrument,
            answers=answers,
            completed_on=TODAY - timedelta(days=21),
        )
    due = questionnaires_due.due_for_patient(
        db, kb=kb, actor=world.person, patient_id=world.patient_id, now=NOW
    )
    assert [(d.occasion, d.due_on) for d in due] == [("follow_up", TODAY - timedelta(days=7))] * 2
    accounts_service.update_clinic(
        db,
        actor=world.admin,
        name=world.clinic.name,
        timezone=world.clinic.timezone,
        cancel_notice_hours=24,
        min_booking_notice_hours=2,
        booking_horizon_days=60,
        followup_interval_days=28,
        preferred_instrument="lefs",
    )
    due = questionnaires_due.due_for_patient(
        db, kb=kb, actor=world.person, patient_id=world.patient_id, now=NOW
    )
    # LEFS is now the main instrument and has no baseline yet; NPRS waits 28 days
    assert [(d.instrument, d.occasion) for d in due] == [("lefs", "baseline")]
    per_patient = questionnaires_due.clinic_due(
        db, kb=kb, actor=world.chiro, patient_ids=[world.patient_id], now=NOW
    )
    assert [d.instrument for d in per_patient[world.patient_id]] == ["lefs"]


def test_the_patient_list_due_column_matches_each_persons_due_in_a_fixed_number_of_queries(
    db: Session, kb: Knowledge, world: World
) -> None:
    def patient(name: str, starts_ago: int | None) -> int:
        pid = add_patient(db, clinic_id=world.clinic.id, name=name, email=f"{name}@example.org").id
        if starts_ago is not None:
            add_care_plan(
                db,
                clinic=world.clinic,
                patient_id=pid,
                staff_id=world.chiro.user_id,
                kb=kb,
                starts_on=TODAY - timedelta(days=starts_ago),
            )
        db.commit()
        return pid

    def discharge(pid: int, days_ago: int) -> None:
        discharges.discharge(
            db,
            kb=kb,
            actor=world.chiro,
            patient_id=pid,
            body=DischargeCreate(
                override_reason="moved away", discharged_on=TODAY - timedelta(days=days_ago)
            ),
            now=NOW - timedelta(days=days_ago),
        )

    # a new episode after a discharge (the demo patient), a follow-up due, a discharge,
    # a first evaluation without a plan, nobody in care yet
    in_care(db, kb, world, TODAY - timedelta(days=40))
    submit(
        db,
        kb,
        world.chiro,
        world.patient_id,
        instrument="koos",
        answers=koos(kb, 2),
        completed_on=TODAY - timedelta(days=40),
    )
    discharge(world.patient_id, 20)
    in_care(db, kb, world, TODAY - timedelta(days=2), condition="hamstring_strain")
    follow_up = patient("followup", 30)
    submit(
        db,
        kb,
        world.chiro,
        follow_up,
        instrument="koos",
        answers=koos(kb, 2),
        completed_on=TODAY - timedelta(days=30),
    )
    discharged = patient("discharged", 50)
    discharge(discharged, 10)
    evaluated = patient("evaluated", None)
    kind = db.scalar(
        select(AppointmentType.id).where(
            AppointmentType.clinic_id == world.clinic.id,
            AppointmentType.code == "initial_evaluation",
        )
    )
    visit = at(TODAY - timedelta(days=9))
    db.add(
        Appointment(
            clinic_id=world.clinic.id,
            clinician_id=world.chiro.user_id,
            patient_id=evaluated,
            type_id=kind,
            mode="in_clinic",
            starts_at=visit,
            ends_at=visit + timedelta(minutes=60),
        )
    )
    db.commit()
    waiting = patient("waiting", None)
    ids = [world.patient_id, follow_up, discharged, evaluated, waiting]

    one_by_one = {
        pid: found
        for pid in ids
        if (
            found := questionnaires_due.due_for_patient(
                db, kb=kb, actor=world.chiro, patient_id=pid, now=NOW
            )
        )
    }
    assert set(one_by_one) == {world.patient_id, follow_up, evaluated}
    statements: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.get_bind(), "before_cursor_execute", listen)
    try:
        assert (
            questionnaires_due.clinic_due(db, kb=kb, actor=world.chiro, patient_ids=ids, now=NOW)
            == one_by_one
        )
        for_all = len(statements)
        statements.clear()
        questionnaires_due.clinic_due(db, kb=kb, actor=world.chiro, patient_ids=ids[:1], now=NOW)
        assert len(statements) == for_all <= 10
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", listen)
    # another clinic's patient is never listed
    neighbour, _ = other_clinic(db, kb)
    db.commit()
    assert (
        questionnaires_due.clinic_due(
            db, kb=kb, actor=world.chiro, patient_ids=[neighbour.patient_id], now=NOW
        )
        == {}
    )


@pytest.mark.postgres
def test_the_follow_up_interval_is_checked_by_the_service_and_the_database(
    db: Session, world: World
) -> None:
    with pytest.raises(InvalidSettings, match="followup_interval_days: expected 7 to 56 days"):
        accounts_service.update_clinic(
            db,
            actor=world.admin,
            name=world.clinic.name,
            timezone=world.clinic.timezone,
            cancel_notice_hours=24,
            min_booking_notice_hours=2,
            booking_horizon_days=60,
            followup_interval_days=6,
        )
    db.rollback()
    clinic = db.get(Clinic, world.clinic.id)
    assert clinic is not None
    clinic.followup_interval_days = 57
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


# ------------------------------------------------------------------ range of motion


def test_range_of_motion_is_recorded_by_clinicians_with_checked_values(
    db: Session, kb: Knowledge, world: World
) -> None:
    read = range_of_motion.record_range_of_motion(
        db,
        actor=world.chiro,
        patient_id=world.patient_id,
        body=RangeOfMotionCreate(side="left", flexion_deg=120, extension_deg=-5),
        now=NOW,
    )
    assert (read.measured_on, read.flexion_deg, read.extension_deg, read.affected) == (
        TODAY,
        120,
        -5,
        True,
    )
    with pytest.raises(NotAllowed):
        range_of_motion.record_range_of_motion(
            db,
            actor=world.person,
            patient_id=world.patient_id,
            body=RangeOfMotionCreate(side="left", flexion_deg=150),
            now=NOW,
        )
    with pytest.raises(ProblemsError, match="in the future"):
        range_of_motion.record_range_of_motion(
            db,
            actor=world.chiro,
            patient_id=world.patient_id,
            body=RangeOfMotionCreate(
                side="left", flexion_deg=150, measured_on=TODAY + timedelta(days=1)
            ),
            now=NOW,
        )
    listed = range_of_motion.list_range_of_motion(
        db, actor=world.chiro, patient_id=world.patient_id
    )
    assert [r.id for r in listed] == [read.id]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("flexion", "extension"),
    [(181, 0), (-1, 0), (120, -91), (120, 31), (10, -20), (None, None)],
)
def test_the_database_refuses_impossible_knee_angles(
    db: Session, world: World, flexion: int | None, extension: int | None
) -> None:
    db.add(
        RangeOfMotion(
            clinic_id=world.clinic.id,
            patient_id=world.patient_id,
            side="left",
            flexion_deg=flexion,
            extension_deg=extension,
            measured_on=TODAY,
            clinician_id=world.chiro.user_id,
        )
    )
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


# ------------------------------------------------------------------ alerts


def test_only_the_clinics_clinicians_resolve_an_alert_and_only_once(
    db: Session, kb: Knowledge, world: World
) -> None:
    submit(
        db,
        kb,
        world.person,
        world.patient_id,
        instrument="nprs",
        answers={"pain": 3},
        safety={"hot_swollen_knee": True},
    )
    (alert,) = alerts(db, world.patient_id)
    _other, other_email = other_clinic(db, kb)
    stranger = rf.actor_for(db, other_email)
    with pytest.raises(NotAllowed):
        alerts_service.resolve_alert(db, actor=stranger, alert_id=alert.id, note="x")
    with pytest.raises(NotAllowed):
        alerts_service.resolve_alert(db, actor=world.person, alert_id=alert.id, note="x")
    assert alerts_service.list_alerts(db, actor=stranger) == []
    done = alerts_service.resolve_alert(
        db, actor=world.chiro, alert_id=alert.id, note="Sent to the emergency room.", now=NOW
    )
    assert (done.resolved_by, done.resolution_note) == (
        world.chiro.user_id,
        "Sent to the emergency room.",
    )
    with pytest.raises(alerts_service.AlreadyResolved):
        alerts_service.resolve_alert(db, actor=world.chiro, alert_id=alert.id, note="again")
    assert alerts_service.list_alerts(db, actor=world.chiro) == []
    assert [
        a.id for a in alerts_service.list_alerts(db, actor=world.chiro, include_resolved=True)
    ] == [alert.id]


def test_red_flags_come_first_in_the_alert_list(db: Session, kb: Knowledge, world: World) -> None:
    in_care(db, kb, world, TODAY - timedelta(days=30))
    morning_pain(db, world.patient_id, {20: 2, 17: 3, 15: 3, 5: 4, 3: 5, 0: 5})
    reviews.refresh_review_flags(db, kb=kb, actor=world.chiro, now=NOW)
    submit(
        db,
        kb,
        world.person,
        world.patient_id,
        instrument="nprs",
        answers={"pain": 5},
        safety={"knee_locked": True, "breathless_or_chest_pain": True},
    )
    listed = alerts_service.list_alerts(db, actor=world.chiro)
    assert [(a.kind, a.urgency) for a in listed] == [
        ("red_flag", "emergency"),
        ("red_flag", "urgent"),
        ("review", None),
    ]


# ------------------------------------------------------------------ discharge


def test_discharge_is_refused_with_the_unmet_criteria_unless_overridden_with_a_reason(
    db: Session, kb: Knowledge, world: World
) -> None:
    in_care(db, kb, world, TODAY - timedelta(days=20))
    morning_pain(db, world.patient_id, {3: 3})
    check = discharges.discharge_check(
        db, kb=kb, actor=world.chiro, patient_id=world.patient_id, now=NOW
    )
    assert not check.all_met
    assert {c.id: c.status for c in check.criteria} == {
        "pain_free": "not_met",
        "full_range_of_motion": "unknown",
        "outcome_goal": "unknown",
        "target_activity": "unknown",
    }
    with pytest.raises(DischargeRefused) as caught:
        discharges.discharge(
            db,
            kb=kb,
            actor=world.chiro,
            patient_id=world.patient_id,
            body=DischargeCreate(),
            now=NOW,
        )
    assert caught.value.problems[0].startswith("Pain-free: not met: Pain 3/10")
    assert caught.value.problems[-1] == "give an override_reason to discharge anyway"
    with pytest.raises(NotAllowed):
        discharges.discharge(
            db,
            kb=kb,
            actor=world.person,
            patient_id=world.patient_id,
            body=DischargeCreate(override_reason="I feel fine"),
            now=NOW,
        )
    done = discharges.discharge(
        db,
        kb=kb,
        actor=world.chiro,
        patient_id=world.patient_id,
        body=DischargeCreate(override_reason="Moving away; home programme given.", note="Bye"),
        now=NOW,
    )
    assert done.overridden
    assert done.override_reason == "Moving away; home programme given."
    db.expire_all()
    plan = db.scalar(select(CarePlan).where(CarePlan.patient_id == world.patient_id))
    assert plan is not None
    assert plan.status == "ended"
    db.rollback()
    # after discharge: only the discharge questionnaires are due, and no second discharge
    due = questionnaires_due.due_for_patient(
        db, kb=kb, actor=world.person, patient_id=world.patient_id, now=NOW
    )
    assert [(d.instrument, d.occasion) for d in due] == [
        ("koos", "discharge"),
        ("nprs", "discharge"),
    ]
    with pytest.raises(discharges.OutcomeError, match="already discharged"):
        discharges.discharge(
            db,
            kb=kb,
            actor=world.chiro,
            patient_id=world.patient_id,
            body=DischargeCreate(override_reason="again"),
            now=NOW,
        )


def test_discharge_when_every_criterion_is_met_keeps_the_before_and_after_summary(
    db: Session, kb: Knowledge, world: World
) -> None:
    start = TODAY - timedelta(days=56)
    in_care(db, kb, world, start, goal="walking")
    done_sessions(db, kb, world, start, start + timedelta(days=6))
    submit(
        db,
        kb,
        world.chiro,
        world.patient_id,
        instrument="koos",
        answers=koos(kb, 2),
        completed_on=start,
    )
    submit(
        db,
        kb,
        world.chiro,
        world.patient_id,
        instrument="nprs",
        answers={"pain": 6},
        completed_on=start,
    )
    submit(db, kb, world.person, world.patient_id, instrument="koos", answers=koos(kb, 0))
    morning_pain(db, world.patient_id, {6: 1, 4: 0, 2: 0, 1: 0})
    for side, affected, flexion, extension in (("left", True, 138, 0), ("right", False, 140, 0)):
        range_of_motion.record_range_of_motion(
            db,
            actor=world.chiro,
            patient_id=world.patient_id,
            body=RangeOfMotionCreate(
                side=side, affected=affected, flexion_deg=flexion, extension_deg=extension
            ),
            now=NOW,
        )
    check = discharges.discharge_check(
        db, kb=kb, actor=world.chiro, patient_id=world.patient_id, now=NOW
    )
    assert {c.id: c.status for c in check.criteria} == dict.fromkeys(
        ("pain_free", "full_range_of_motion", "outcome_goal", "target_activity"), "met"
    )
    assert check.all_met
    koos_summary = next(i for i in check.summary["instruments"] if i["instrument"] == "koos")
    assert koos_summary["scales"]["pain"]["before"] == 50.0
    assert koos_summary["scales"]["pain"]["after"] == 100.0
    assert koos_summary["scales"]["pain"]["verdict"] == "improved"
    assert check.summary["pain"]["last_week_mean"] == pytest.approx(0.25)
    done = discharges.discharge(
        db, kb=kb, actor=world.chiro, patient_id=world.patient_id, body=DischargeCreate(), now=NOW
    )
    assert not done.overridden
    assert done.summary["main_instrument"] == "koos"
    stored = db.scalar(select(Discharge).where(Discharge.patient_id == world.patient_id))
    assert stored is not None
    assert [c["status"] for c in stored.criteria] == ["met"] * 4
    db.rollback()


def test_a_new_plan_after_discharge_starts_a_new_episode(
    db: Session, kb: Knowledge, world: World
) -> None:
    in_care(db, kb, world, TODAY - timedelta(days=40))
    submit(
        db,
        kb,
        world.chiro,
        world.patient_id,
        instrument="koos",
        answers=koos(kb, 2),
        completed_on=TODAY - timedelta(days=40),
    )
    discharges.discharge(
        db,
        kb=kb,
        actor=world.chiro,
        patient_id=world.patient_id,
        body=DischargeCreate(
            override_reason="stopped coming", discharged_on=TODAY - timedelta(days=20)
        ),
        now=NOW - timedelta(days=20),
    )
    in_care(db, kb, world, TODAY - timedelta(days=2), condition="hamstring_strain")
    view = questionnaires.outcomes(
        db, kb=kb, actor=world.person, patient_id=world.patient_id, now=NOW
    )
    assert view.discharged_on is None
    assert view.baseline_on == TODAY - timedelta(days=2)
    assert [(d.instrument, d.occasion) for d in view.due] == [
        ("lefs", "baseline"),
        ("nprs", "baseline"),
    ]
    assert len(view.responses) == 1  # the first episode's answers are still listed
    assert view.history == []  # but the new episode's history starts afresh


def test_patient_records_are_read_by_their_person_and_clinic_and_each_read_is_audited(
    db: Session, kb: Knowledge, world: World
) -> None:
    submit(db, kb, world.person, world.patient_id, instrument="nprs", answers={"pain": 4})
    mine = questionnaires.outcomes(
        db, kb=kb, actor=world.person, patient_id=world.patient_id, now=NOW
    )
    theirs = questionnaires.outcomes(
        db, kb=kb, actor=world.chiro, patient_id=world.patient_id, now=NOW
    )
    assert (
        [r.scores for r in mine.responses]
        == [r.scores for r in theirs.responses]
        == [{"pain": 4.0}]
    )
    assert [i["id"] for i in mine.safety_checklist][:2] == [
        "new_calf_swelling",
        "whole_leg_swollen",
    ]
    reads = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.entity == "questionnaire_response",
            AuditEvent.action == "read",
            AuditEvent.patient_id == world.patient_id,
        )
    )
    assert reads == 2
    db.rollback()


def test_a_clinic_east_of_utc_follows_its_own_patients(db: Session, kb: Knowledge) -> None:
    """The other clinic runs on Berlin time: its dates and queries work the same."""
    other, email = other_clinic(db, kb)
    staff = rf.actor_for(db, email)
    result = submit(db, kb, staff, other.patient_id, instrument="nprs", answers={"pain": 2})
    assert result.response.local_date == date(2025, 6, 1)  # 19:00 in Berlin
    view = questionnaires.outcomes(db, kb=kb, actor=staff, patient_id=other.patient_id, now=NOW)
    assert view.baseline_on is not None  # the factory saved a care plan
    assert [r.id for r in view.responses] == [result.response.id]
