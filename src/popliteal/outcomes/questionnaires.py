"""Questionnaire check-ins and the score history.

The person answers their own questionnaires; a clinician of their clinic may enter a paper
form for them. Every check-in carries a short safety checklist run through the screening's
red-flag rules (alerts/): a rule that fires opens an urgent alert at once, and the safety
answers are kept even when the questionnaire itself is refused. A stored response is followed
by the review flags (reviews.py). Reads and changes of a person's outcomes are audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.rules import Actor
from popliteal.accounts.service import visible_patient
from popliteal.alerts import rules as alert_rules
from popliteal.alerts import service as alerts_service
from popliteal.clock import local_date, utcnow
from popliteal.db import transaction
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import rules
from popliteal.outcomes._access import MAX_BACKDATE_DAYS
from popliteal.outcomes.episode import due_now, load_episode
from popliteal.outcomes.models import QuestionnaireResponse
from popliteal.outcomes.questionnaires_due import due_read
from popliteal.outcomes.reviews import evaluate_reviews
from popliteal.outcomes.schemas import (
    ChangeRead,
    HistoryPoint,
    InstrumentHistory,
    OutcomesRead,
    QuestionnaireCreate,
    QuestionnaireRead,
    SubmitResult,
)
from popliteal.sessions.rules import SafetyAnswer


def _response_read(r: QuestionnaireResponse) -> QuestionnaireRead:
    scores = r.scores or {}
    return QuestionnaireRead(
        id=r.id,
        patient_id=r.patient_id,
        instrument=r.instrument,
        occasion=r.occasion,
        local_date=r.local_date,
        submitted_at=r.submitted_at,
        valid=r.valid,
        scores=dict(scores.get("scores", {})),
        invalid=list(scores.get("invalid", [])),
        missing_items=list(scores.get("missing_items", [])),
        answers=dict(r.answers),
        safety=dict(r.safety or {}),
        entered_by=r.entered_by,
        knowledge_version=r.knowledge_version,
    )


def submit_response(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    body: QuestionnaireCreate,
    now: datetime | None = None,
) -> SubmitResult:
    """Score and store a questionnaire with its safety checklist, in one transaction.

    Everything is checked first. A red flag from the checklist opens its alert even when the
    answers are refused (CheckInRefused then carries the red flags), so a bad answer never
    loses a safety answer.
    """
    with transaction(session):
        patient = visible_patient(session, actor, patient_id)
        now = now or utcnow()
        zone = accounts_service.clinic_zone(session, patient.clinic_id)
        today = local_date(now, zone)
        safety = dict(body.safety or {})
        problems = alert_rules.safety_problems(kb.followup, safety)
        day = today
        if body.completed_on is not None:
            if not actor.is_staff:
                problems.append(
                    "completed_on: only a clinician entering a paper form sets the date"
                )
            elif body.completed_on > today:
                problems.append("completed_on: the date is in the future")
            elif body.completed_on < today - timedelta(days=MAX_BACKDATE_DAYS):
                problems.append(
                    "completed_on: more than a year ago; add it to a visit note instead"
                )
            else:
                day = body.completed_on
        result: rules.Score | None = None
        try:
            result = rules.score(body.instrument, body.answers, kb.outcomes)
        except rules.AnswerError as exc:
            problems += [f"answers: {p}" for p in exc.problems]
        check = alert_rules.check_safety(kb, safety)
        if problems or result is None:
            # Commits the alerts the checklist raised, then raises: nothing else is kept.
            alerts_service.refuse_check_in(
                session,
                problems,
                kb=kb,
                actor=actor,
                patient=patient,
                check=check,
                origin="check_in",
                day=day,
                ref={"instrument": body.instrument, "answers_refused": True},
                now=now,
            )

        ctx = load_episode(session, kb, patient, now)
        occasion = body.occasion
        if occasion is None:
            found = next((d for d in due_now(ctx) if d.instrument == body.instrument), None)
            occasion = found.occasion if found else "ad_hoc"
        inst = kb.outcomes.instruments[body.instrument]
        answers = {
            (item.id if (item := inst.item(str(k))) else str(k)): v
            for k, v in body.answers.items()
            if v is not None
        }
        row = QuestionnaireResponse(
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            instrument=body.instrument,
            answers=answers,
            scores=rules.score_to_json(result),
            valid=result.valid,
            knowledge_version=kb.version,
            occasion=occasion,
            safety={k: v for k, v in safety.items() if isinstance(v, bool)},
            local_date=day,
            submitted_at=now,
            entered_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="questionnaire_response",
            entity_id=row.id,
            patient_id=patient.id,
            detail={"instrument": body.instrument, "valid": result.valid, "occasion": occasion},
        )
        red_flags = alerts_service.escalate_safety(
            session,
            kb=kb,
            actor=actor,
            patient=patient,
            check=check,
            origin="check_in",
            day=day,
            ref={"response_id": row.id},
            now=now,
        )
        evaluate_reviews(session, kb=kb, actor=actor, patient=patient, now=now)
        read = _response_read(row)
        due_after = [due_read(d) for d in due_now(load_episode(session, kb, patient, now))]
    return SubmitResult(response=read, red_flags=red_flags, due=due_after)


def checked_in_safety(
    session: Session, patient_id: int, day: date, start: datetime, end: datetime
) -> list[SafetyAnswer]:
    """The checklists sent with a questionnaire on the clinic's `day` (between `start` and
    `end`): with the sessions' own, they decide whether a later form asks the list again. A
    paper form entered today but dated earlier was answered that day, not today."""
    rows = session.execute(
        select(QuestionnaireResponse.submitted_at, QuestionnaireResponse.safety).where(
            QuestionnaireResponse.patient_id == patient_id,
            QuestionnaireResponse.local_date == day,
            QuestionnaireResponse.submitted_at >= start,
            QuestionnaireResponse.submitted_at < end,
        )
    ).all()
    # A form that did not ask the list (answered earlier) stored none: it is no answer.
    return [SafetyAnswer(at, dict(answers)) for at, answers in rows if answers]


def _history(kb: Knowledge, responses: Sequence[QuestionnaireResponse]) -> list[InstrumentHistory]:
    """Each instrument's scores over time, each scale's change against its first valid score."""
    out: list[InstrumentHistory] = []
    for instrument in rules.INSTRUMENTS:
        rows = [r for r in responses if r.instrument == instrument]
        if not rows:
            continue
        first: dict[str, float] = {}
        points = []
        for r in rows:
            scores = dict((r.scores or {}).get("scores", {}))
            change: dict[str, ChangeRead] = {}
            for scale, value in scores.items():
                if value is None:
                    continue
                if scale not in first:
                    first[scale] = float(value)
                    continue
                try:
                    c = rules.interpret_change(instrument, scale, first[scale], value, kb.outcomes)
                except ValueError:
                    continue  # no published MCID for this scale (a composite)
                change[scale] = ChangeRead(
                    before=c.before,
                    after=c.after,
                    difference=c.difference,
                    mcid=c.mcid,
                    verdict=c.verdict,
                    source=c.source,
                )
            points.append(
                HistoryPoint(
                    response_id=r.id,
                    local_date=r.local_date,
                    occasion=r.occasion,
                    valid=r.valid,
                    scores=scores,
                    change=change,
                )
            )
        out.append(InstrumentHistory(instrument=instrument, points=points))
    return out


def outcomes(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    now: datetime | None = None,
) -> OutcomesRead:
    """The person's questionnaires, score history with change since baseline, and what is due."""
    with transaction(session):
        patient = visible_patient(session, actor, patient_id)
        ctx = load_episode(session, kb, patient, now or utcnow())
        all_responses = list(
            session.scalars(
                select(QuestionnaireResponse)
                .where(QuestionnaireResponse.patient_id == patient.id)
                .order_by(QuestionnaireResponse.local_date.desc(), QuestionnaireResponse.id.desc())
            )
        )
        read = OutcomesRead(
            patient_id=patient.id,
            main_instrument=ctx.main,
            instruments=list(ctx.instruments),
            interval_days=ctx.interval_days,
            baseline_on=ctx.baseline_on,
            discharged_on=ctx.discharged_on,
            due=[due_read(d) for d in due_now(ctx)],
            responses=[_response_read(r) for r in all_responses],
            history=_history(kb, ctx.responses),
            safety_checklist=[
                {"id": i.id, "text": i.text} for i in kb.followup.safety_checklist.items
            ],
        )
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="questionnaire_response",
            entity_id="*",
            patient_id=patient.id,
        )
    return read
