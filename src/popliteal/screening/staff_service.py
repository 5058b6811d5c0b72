"""The clinician's screening work: the exam (its form, recording it, comparing it with the
screening it was based on) and the working diagnosis. The exam form's layout is in
exam_layout.py, where each patient stands in standing.py, and the patient list and record that
show them in workspace/service.py.

Every function checks that the actor is staff of the patient's clinic (NotAllowed otherwise,
shown as 404 so ids can not be probed), runs one transaction and writes an AuditEvent for each
read or change of a patient record.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient, User
from popliteal.accounts.rules import Actor
from popliteal.accounts.schemas import AnswerRead, WorkingDiagnosisRead
from popliteal.clock import utcnow
from popliteal.db import reading, transaction
from popliteal.errors import AccountError, NotAllowed
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RED_FLAG_LEVELS, Answer, Urgency
from popliteal.screening import exam_layout
from popliteal.screening.answers import AnswerProblem, InvalidAnswers, parse_answers
from popliteal.screening.differential import chance_to_show
from popliteal.screening.engine import question_text, screen, to_json
from popliteal.screening.exam_layout import answer_text
from popliteal.screening.models import ExamFinding, Screening
from popliteal.screening.triage import FiredRule

URGENCY_LABELS = {u.value: u.label for u in Urgency}
TOP_CONDITIONS = 5
MAX_NOTE = 4000

STAFF_ONLY = "this is for the clinic's clinicians"


# ------------------------------------------------------------------ reading records


def condition_name(kb: Knowledge, condition_id: str | None) -> str | None:
    if condition_id is None:
        return None
    condition = kb.conditions.get(condition_id)
    return condition.name if condition else condition_id


def working_diagnosis_read(
    session: Session, kb: Knowledge, patient: Patient
) -> WorkingDiagnosisRead:
    by = session.get(User, patient.working_diagnosis_by) if patient.working_diagnosis_by else None
    return WorkingDiagnosisRead(
        condition=patient.working_diagnosis,
        name=condition_name(kb, patient.working_diagnosis),
        note=patient.working_diagnosis_note,
        by_user_id=patient.working_diagnosis_by,
        by_name=by.display_name if by else None,
        at=patient.working_diagnosis_at,
    )


# ------------------------------------------------------------------ exam


def _latest_screening(session: Session, patient_id: int) -> Screening | None:
    """The newest COMPLETE screening: one the patient has only started must not hide the last."""
    return session.scalar(
        select(Screening)
        .where(Screening.patient_id == patient_id, Screening.status == "complete")
        .order_by(Screening.created_at.desc(), Screening.id.desc())
        .limit(1)
    )


def _latest_exam(session: Session, patient_id: int) -> Screening | None:
    return session.scalar(
        select(Screening)
        .where(
            Screening.patient_id == patient_id,
            Screening.role == "clinician",
            Screening.status == "complete",
        )
        .order_by(Screening.created_at.desc(), Screening.id.desc())
        .limit(1)
    )


ALERTING_URGENCIES = RED_FLAG_LEVELS


def new_red_flags(fired: Sequence[FiredRule], previous_exam: Screening | None) -> list[FiredRule]:
    """The emergency and urgent rules this exam fired that the patient's previous exam did not.

    Against the previous exam, not the screening the exam is based on: a re-saved exam (even
    after a self-screening in between, or after its alert was resolved) opens no second alert.
    """
    before = (
        {str(r["id"]) for r in previous_exam.result.get("red_flags", [])}
        if previous_exam
        else set()
    )
    return [r for r in fired if r.urgency in ALERTING_URGENCIES and r.id not in before]


class ExamRedFlags(Protocol):
    """Opens an alert for each red flag an exam newly fired, in the exam's transaction: the
    alerts area's `escalate_exam`, handed over by the app factory (server.py) because
    alerts live on a floor above screening."""

    def __call__(
        self,
        session: Session,
        *,
        kb: Knowledge,
        actor: Actor,
        patient: Patient,
        fired: Sequence[FiredRule],
        screening_id: str,
        now: datetime,
    ) -> object: ...


@dataclass(frozen=True)
class ExamForm:
    patient: Patient
    values: dict[str, Any]
    based_on: Screening | None
    # The engine on the screening plus earlier exam findings: what to examine first.
    ranking: exam_layout.LiveRanking | None = None


def exam_form(session: Session, *, kb: Knowledge, actor: Actor, patient_id: int) -> ExamForm:
    """The exam form's starting values: the latest value of each finding at earlier exams."""
    with transaction(session):
        patient = accounts_service.get_staff_patient(
            session, actor=actor, patient_id=patient_id, why=STAFF_ONLY
        )
        values: dict[str, Any] = {}
        for row in session.scalars(
            select(ExamFinding)
            .where(ExamFinding.patient_id == patient.id)
            .order_by(ExamFinding.recorded_at, ExamFinding.id)
        ):
            if row.finding_id in kb.findings:
                values[row.finding_id] = row.value
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
            detail={"view": "exam_form"},
        )
        # Read in the same transaction, so none is left open while the form renders.
        based_on = _latest_screening(session, patient.id)
    merged: dict[str, Answer | None] = dict(based_on.answers) if based_on else {}
    merged.update(values)
    ranking = exam_layout.live_ranking(kb, merged)
    return ExamForm(patient=patient, values=values, based_on=based_on, ranking=ranking)


def exam_preview(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    raw_answers: Mapping[str, Any],
) -> exam_layout.LiveRanking:
    """The ranking as the exam form stands, before anything is saved: the latest screening's
    answers with the form's findings on top. Fields that do not read yet are left out (the
    save reports them)."""
    with reading(session):
        patient = accounts_service.get_staff_patient(
            session, actor=actor, patient_id=patient_id, why=STAFF_ONLY
        )
        base = _latest_screening(session, patient.id)
        merged: dict[str, Answer | None] = dict(base.answers) if base else {}
    for fid, value in raw_answers.items():
        finding = kb.findings.get(fid)
        if finding is None or "C" not in finding.who:
            continue
        try:
            merged.update(parse_answers(kb, {fid: value}))
        except InvalidAnswers:
            continue
    return exam_layout.live_ranking(kb, merged)


def record_exam(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    raw_answers: Mapping[str, Any],
    escalate: ExamRedFlags,
    now: datetime | None = None,
) -> Screening:
    """Re-run the engine with the exam findings merged into the latest screening's answers.

    Creates a new clinician screening based on the latest one, plus one ExamFinding per
    recorded finding, and an alert for each red flag it newly fires (`escalate`; an open one
    pauses the programme), in one transaction. Raises InvalidAnswers (CLI messages) or
    NotAllowed.
    """
    with transaction(session):
        patient = accounts_service.get_staff_patient(
            session, actor=actor, patient_id=patient_id, why=STAFF_ONLY
        )
        exam = parse_answers(kb, raw_answers)
        not_exam = [
            AnswerProblem(fid, "not a clinician exam finding (the patient answers it)")
            for fid in exam
            if "C" not in kb.findings[fid].who
        ]
        if not_exam:
            raise InvalidAnswers(not_exam)
        if not exam:
            raise InvalidAnswers([AnswerProblem("answers", "record at least one exam finding")])
        base = _latest_screening(session, patient.id)
        merged: dict[str, Answer | None] = dict(base.answers) if base else {}
        merged.update(exam)
        outcome = screen(kb, merged, role="clinician")
        result = to_json(kb, outcome)
        previous_exam = _latest_exam(session, patient.id)
        now = now or utcnow()
        screening = Screening(
            id=secrets.token_hex(16),
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            role="clinician",
            status="complete",
            answers=merged,
            history=[*(base.history if base else []), sorted(exam)],
            result=result,
            urgency=result["urgency"],
            knowledge_version=kb.version,
            based_on_id=base.id if base else None,
            created_by_user_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(screening)
        session.flush()
        for fid in sorted(exam):
            session.add(
                ExamFinding(
                    patient_id=patient.id,
                    screening_id=screening.id,
                    finding_id=fid,
                    value=exam[fid],
                    recorded_by=actor.user_id,
                    recorded_at=now,
                )
            )
        accounts_service.audit(
            session,
            actor=actor,
            action="create",
            entity="screening",
            entity_id=screening.id,
            patient_id=patient.id,
            detail={"exam_findings": sorted(exam), "based_on": screening.based_on_id},
        )
        escalate(
            session,
            kb=kb,
            actor=actor,
            patient=patient,
            fired=new_red_flags(outcome.triage.fired, previous_exam),
            screening_id=screening.id,
            now=now,
        )
    return screening


@dataclass(frozen=True)
class ConditionChange:
    id: str
    name: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def direction(self) -> str:
        """'up', 'down' or 'same' (changes under half a percentage point count as same)."""
        delta = self.delta
        if delta is None or abs(delta) < 0.005:
            return "same"
        return "up" if delta > 0 else "down"


@dataclass(frozen=True)
class ExamEvidence:
    finding: str
    question: str
    answer: str
    condition: str
    condition_name: str
    lr: float


@dataclass(frozen=True)
class ExamComparison:
    patient: Patient
    screening: Screening
    base: Screening | None
    urgency_before: str | None
    urgency_after: str
    flags_added: list[dict[str, Any]]
    flags_removed: list[dict[str, Any]]
    flags_kept: list[dict[str, Any]]
    conditions: list[ConditionChange]
    recorded: list[AnswerRead]
    evidence: list[ExamEvidence] = field(default_factory=list)


def compare(
    before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> tuple[list[ConditionChange], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """What changed between two result JSONs: top conditions, red flags added/removed/kept."""
    before = before or {}
    p_before = {c["id"]: chance_to_show(c) for c in before.get("conditions", [])}
    p_after = {c["id"]: chance_to_show(c) for c in after.get("conditions", [])}
    names = {c["id"]: str(c["name"]) for c in [*before.get("conditions", []), *after["conditions"]]}
    top_after = [c["id"] for c in after["conditions"][:TOP_CONDITIONS]]
    top_before = [c["id"] for c in before.get("conditions", [])[:TOP_CONDITIONS]]
    shown = top_after + [cid for cid in top_before if cid not in top_after]
    changes = [
        ConditionChange(
            id=cid,
            name=names.get(cid, cid),
            before=p_before.get(cid) if before else None,
            after=p_after.get(cid),
        )
        for cid in shown
    ]
    flags_before = {r["id"]: r for r in before.get("red_flags", [])}
    flags_after = {r["id"]: r for r in after.get("red_flags", [])}
    added = [r for rid, r in flags_after.items() if rid not in flags_before]
    removed = [r for rid, r in flags_before.items() if rid not in flags_after]
    kept = [r for rid, r in flags_after.items() if rid in flags_before]
    return changes, added, removed, kept


def exam_comparison(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    screening_id: str,
) -> ExamComparison:
    """The exam screening side by side with the screening it was based on; audited."""
    with transaction(session):
        patient = accounts_service.get_staff_patient(
            session, actor=actor, patient_id=patient_id, why=STAFF_ONLY
        )
        screening = session.get(Screening, screening_id)
        if screening is None or screening.patient_id != patient.id or screening.role != "clinician":
            raise NotAllowed("no such exam")
        base = session.get(Screening, screening.based_on_id) if screening.based_on_id else None
        recorded_rows = session.scalars(
            select(ExamFinding)
            .where(ExamFinding.screening_id == screening.id)
            .order_by(ExamFinding.id)
        ).all()
        exam_ids = {r.finding_id for r in recorded_rows}
        changes, added, removed, kept = compare(base.result if base else None, screening.result)
        evidence = [
            ExamEvidence(
                finding=str(e["finding"]),
                question=question_text(kb, e["finding"], "clinician")
                if e["finding"] in kb.findings or e["finding"] in kb.predicates
                else str(e["finding"]),
                answer=answer_text(kb, e["finding"], e["value"]),
                condition=str(c["id"]),
                condition_name=str(c["name"]),
                lr=float(e["lr"]),
            )
            for c in screening.result.get("conditions", [])
            for e in c.get("evidence", [])
            # a red flag's placing is not a ratio: the fired rules are listed on their own
            if e["finding"] in exam_ids and float(e["lr"]) != 1.0 and e.get("kind") != "red_flag"
        ]
        evidence.sort(key=lambda e: -abs(math.log(e.lr)))
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="screening",
            entity_id=screening.id,
            patient_id=patient.id,
        )
    return ExamComparison(
        patient=patient,
        screening=screening,
        base=base,
        urgency_before=base.urgency if base else None,
        urgency_after=screening.urgency,
        flags_added=added,
        flags_removed=removed,
        flags_kept=kept,
        conditions=changes,
        recorded=[
            AnswerRead(
                finding=r.finding_id,
                question=question_text(kb, r.finding_id, "clinician")
                if r.finding_id in kb.findings
                else r.finding_id,
                value=r.value,
                answer=answer_text(kb, r.finding_id, r.value),
            )
            for r in recorded_rows
        ],
        evidence=evidence,
    )


# ------------------------------------------------------------------ working diagnosis


def set_working_diagnosis(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    condition: str | None,
    note: str = "",
    now: datetime | None = None,
) -> WorkingDiagnosisRead:
    """Record (or clear, with no condition) the clinician's working diagnosis; audited."""
    with transaction(session):
        patient = accounts_service.get_staff_patient(
            session, actor=actor, patient_id=patient_id, why=STAFF_ONLY
        )
        condition = (condition or "").strip() or None
        if condition is not None and condition not in kb.conditions:
            raise AccountError(f"unknown condition {condition!r}: choose one from the list")
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise AccountError(f"the note is too long ({MAX_NOTE} characters at most)")
        before = patient.working_diagnosis
        patient.working_diagnosis = condition
        patient.working_diagnosis_note = note
        patient.working_diagnosis_by = actor.user_id
        patient.working_diagnosis_at = now or utcnow()
        accounts_service.audit(
            session,
            actor=actor,
            action="update",
            entity="patient",
            entity_id=patient.id,
            patient_id=patient.id,
            detail={"working_diagnosis": {"before": before, "after": condition}},
        )
        # Read in the same transaction (who set it), so none is left open afterwards.
        diagnosis = working_diagnosis_read(session, kb, patient)
    return diagnosis
