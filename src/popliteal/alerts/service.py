"""Alerts: opening one (at most one open per person, kind and rule), the red flags of a safety
checklist or of the clinician's exam, the clinic's list, and resolving one with a note.

A red flag opens an urgent alert at once, and the safety answers behind it are kept even when
the rest of a form is refused. While a person has an open red flag their programme is paused
(`open_red_flags`). Every alert opened or resolved, and every read of the list, is audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from popliteal import clock
from popliteal.accounts import service as accounts_service
from popliteal.accounts.models import Patient
from popliteal.accounts.rules import Actor
from popliteal.alerts.models import OutcomeAlert
from popliteal.alerts.rules import SafetyCheck, check_safety, red_flag
from popliteal.alerts.schemas import AlertRead
from popliteal.clock import local_date, utcnow
from popliteal.db import transaction
from popliteal.errors import AccountError, NotAllowed, ProblemsError
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RedFlagRead, urgency_rank
from popliteal.screening.triage import FiredRule

_KIND_ORDER = {"red_flag": 0, "surgical_consult": 1, "review": 2}


class AlertError(AccountError):
    """An alert action that cannot be done as asked (the message is shown as is)."""


class AlreadyResolved(AlertError):
    status_code = 409


class CheckInRefused(ProblemsError):
    """The answers (or checklist) had problems; the red flags they raised still stand.

    `detail` lists the problems and then each red-flag message, so a client that only shows
    the detail still tells the person to get help.
    """

    def __init__(self, problems: list[str], red_flags: list[RedFlagRead]) -> None:
        super().__init__(problems)
        self.red_flags = red_flags

    @property
    def detail(self) -> str | list[str]:
        return self.problems + [
            f"red flag ({r.urgency}): {r.patient_message}" for r in self.red_flags
        ]


# ------------------------------------------------------------------ opening


def open_alert(
    session: Session,
    *,
    kb: Knowledge,
    patient: Patient,
    kind: str,
    rule_id: str,
    urgency: str | None,
    reason: str,
    patient_message: str,
    source: str,
    detail: dict[str, Any],
    now: datetime,
) -> OutcomeAlert | None:
    """Open an alert unless one is already open for this person, kind and rule (or, for a
    review flag, one was resolved within the snooze days). The database has the last word."""
    open_id = session.scalar(
        select(OutcomeAlert.id).where(
            OutcomeAlert.patient_id == patient.id,
            OutcomeAlert.kind == kind,
            OutcomeAlert.rule_id == rule_id,
            OutcomeAlert.resolved_at.is_(None),
        )
    )
    if open_id is not None:
        return None
    if kind != "red_flag":
        snooze = timedelta(days=kb.followup.review.snooze_days.value)
        recent = session.scalar(
            select(OutcomeAlert.id).where(
                OutcomeAlert.patient_id == patient.id,
                OutcomeAlert.kind == kind,
                OutcomeAlert.rule_id == rule_id,
                OutcomeAlert.resolved_at >= now - snooze,
            )
        )
        if recent is not None:
            return None
    alert = OutcomeAlert(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=kind,
        urgency=urgency,
        rule_id=rule_id,
        reason=reason,
        patient_message=patient_message,
        source=source,
        detail=detail,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None  # another request opened the same alert a moment ago
    return alert


def audit_alert(
    session: Session, actor: Actor, alert: OutcomeAlert, action: str = "create"
) -> None:
    """Record who opened (or, `action` "update", resolved) an alert."""
    accounts_service.audit(
        session,
        actor=actor,
        action=action,
        entity="outcome_alert",
        entity_id=alert.id,
        patient_id=alert.patient_id,
        clinic_id=alert.clinic_id,
        detail={"kind": alert.kind, "rule": alert.rule_id},
    )


def escalate_safety(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient: Patient,
    check: SafetyCheck,
    origin: str,
    day: date,
    ref: Mapping[str, Any],
    now: datetime,
) -> list[RedFlagRead]:
    """Open an urgent alert for every red-flag rule the checklist fired (at most one open per
    rule); return the rules, most urgent first, to show the person now. The caller commits."""
    if not check.fired:
        return []
    # The checklist texts are sentences; their full stops would double up in the reason.
    texts = {i.id: i.text.strip().rstrip(".") for i in kb.followup.safety_checklist.items}
    reported = "; ".join(texts[i] for i in check.ticked)
    where = "after a guided session" if origin == "session" else "at a check-in"
    return _open_red_flag_alerts(
        session,
        kb=kb,
        actor=actor,
        patient=patient,
        rules=check.fired,
        source=origin,
        reported=f"Reported {where} on {day.isoformat()}: {reported}.",
        detail={**ref, "items": list(check.ticked), "findings": dict(check.answers)},
        now=now,
    )


def refuse_check_in(
    session: Session,
    problems: list[str],
    *,
    kb: Knowledge,
    actor: Actor,
    patient: Patient,
    check: SafetyCheck,
    origin: str,
    day: date,
    ref: Mapping[str, Any],
    now: datetime,
) -> NoReturn:
    """Refuse a check-in whose answers are invalid, yet keep the alerts its checklist raised:
    they are committed at once (they must reach the clinician), then CheckInRefused is raised.
    Called before the check-in writes anything, so the alerts are all that is kept."""
    with transaction(session):
        red_flags = escalate_safety(
            session,
            kb=kb,
            actor=actor,
            patient=patient,
            check=check,
            origin=origin,
            day=day,
            ref=ref,
            now=now,
        )
    raise CheckInRefused(problems, red_flags)


def _open_red_flag_alerts(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient: Patient,
    rules: Sequence[FiredRule],
    source: str,
    reported: str,
    detail: Mapping[str, Any],
    now: datetime,
) -> list[RedFlagRead]:
    """One urgent alert per fired rule (at most one open per rule), each audited; the rules to
    show the person now. `reported` says where and when the signs were found."""
    for rule in rules:
        alert = open_alert(
            session,
            kb=kb,
            patient=patient,
            kind="red_flag",
            rule_id=rule.id,
            urgency=rule.urgency,
            reason=f"{rule.title}. {reported} {rule.clinician_note}",
            patient_message=rule.patient_message,
            source=source,
            detail={
                **detail,
                "because": list(rule.because),
                "citation": rule.source or "expert_judgement",
            },
            now=now,
        )
        if alert is not None:
            audit_alert(session, actor, alert)
    return [red_flag(r) for r in rules]


def escalate_exam(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient: Patient,
    fired: Sequence[FiredRule],
    screening_id: str,
    now: datetime,
) -> list[RedFlagRead]:
    """Open an urgent alert for every red-flag rule the clinician's exam newly fired (at most
    one open per rule), so the programme pauses as for a check-in until a clinician resolves
    it with a note. screening/staff_service.py `record_exam` picks the rules; it commits."""
    day = local_date(now, accounts_service.clinic_zone(session, patient.clinic_id))
    alerts: list[RedFlagRead] = []
    for rule in fired:  # each rule names its own findings in the reason
        alerts += _open_red_flag_alerts(
            session,
            kb=kb,
            actor=actor,
            patient=patient,
            rules=[rule],
            source="exam",
            reported=f"Found at the clinician's exam on {day.isoformat()} "
            f"(findings: {', '.join(rule.because)}).",
            detail={"screening_id": screening_id},
            now=now,
        )
    return alerts


def report_safety(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    safety: Mapping[str, bool],
    now: datetime | None = None,
    origin: str = "check_in",
) -> list[RedFlagRead]:
    """Open the alerts of the red flags a checklist fires when its answers were not saved
    (a refused questionnaire, or a session finish with a problem: `origin` "session").

    Same rules and alerts as a stored check-in (`escalate_safety`); commits.
    """
    with transaction(session):
        patient = accounts_service.visible_patient(session, actor, patient_id)
        check = check_safety(kb, safety)
        if not check.fired:
            return []
        now = now or utcnow()
        day = clock.local_today(accounts_service.clinic_zone(session, patient.clinic_id), now)
        flags = escalate_safety(
            session,
            kb=kb,
            actor=actor,
            patient=patient,
            check=check,
            origin=origin,
            day=day,
            ref={"answers_refused": True},
            now=now,
        )
    return flags


# ------------------------------------------------------------------ reading and resolving


def _alert_read(a: OutcomeAlert, name: str) -> AlertRead:
    return AlertRead(
        id=a.id,
        patient_id=a.patient_id,
        patient_name=name,
        kind=a.kind,
        urgency=a.urgency,
        rule_id=a.rule_id,
        reason=a.reason,
        patient_message=a.patient_message,
        source=a.source,
        detail=dict(a.detail),
        created_at=a.created_at,
        resolved_at=a.resolved_at,
        resolved_by=a.resolved_by,
        resolution_note=a.resolution_note,
    )


def open_alerts_of(
    session: Session, *, actor: Actor, patient_ids: Sequence[int]
) -> list[AlertRead]:
    """These patients' open alerts, most urgent first then newest (one page of the patient
    list: read by the caller's audited list view, so not audited again here)."""
    accounts_service.require_staff(actor)
    if not patient_ids:
        return []
    rows = session.execute(
        select(OutcomeAlert, Patient.full_name)
        .join(Patient, Patient.id == OutcomeAlert.patient_id)
        .where(
            OutcomeAlert.clinic_id == actor.clinic_id,
            OutcomeAlert.patient_id.in_(list(patient_ids)),
            OutcomeAlert.resolved_at.is_(None),
        )
    ).all()
    reads = [_alert_read(a, name) for a, name in rows]
    reads.sort(key=lambda r: r.created_at, reverse=True)
    reads.sort(key=lambda r: (_KIND_ORDER.get(r.kind, 9), urgency_rank(r.urgency, unknown=9)))
    return reads


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    patient_id: int | None = None,
    include_resolved: bool = False,
) -> list[AlertRead]:
    """The clinic's alerts, open ones only unless asked, most urgent first then newest."""
    with transaction(session):
        accounts_service.require_staff(actor)
        query = (
            select(OutcomeAlert, Patient.full_name)
            .join(Patient, Patient.id == OutcomeAlert.patient_id)
            .where(OutcomeAlert.clinic_id == actor.clinic_id)
        )
        if patient_id is not None:
            accounts_service.visible_patient(session, actor, patient_id)
            query = query.where(OutcomeAlert.patient_id == patient_id)
        if not include_resolved:
            query = query.where(OutcomeAlert.resolved_at.is_(None))
        rows = session.execute(query).all()
        reads = [_alert_read(a, name) for a, name in rows]
        reads.sort(key=lambda r: r.created_at, reverse=True)
        reads.sort(
            key=lambda r: (
                r.resolved_at is not None,
                _KIND_ORDER.get(r.kind, 9),
                urgency_rank(r.urgency, unknown=9),
            )
        )
        accounts_service.audit(
            session,
            actor=actor,
            action="read",
            entity="outcome_alert",
            entity_id="*",
            patient_id=patient_id,
        )
    return reads


def alert_flag_title(rule_id: str, reason: str, titles: Mapping[str, str]) -> str:
    """A red-flag alert's title: its rule's, else the first sentence of its reason."""
    return titles.get(rule_id) or reason.split(". ", 1)[0]


def open_red_flags(
    session: Session, *, patient_id: int, kb: Knowledge | None = None
) -> list[RedFlagRead]:
    """The person's open red-flag alerts as the person sees them, most urgent first, then
    newest (one per rule).

    While any is open their programme is paused: Today shows these instead of the exercises
    and no guided session starts, until a clinician resolves each one with a note. A read
    only, on this area's table; the caller has checked the actor may see this person.
    """
    rows = session.scalars(
        select(OutcomeAlert)
        .where(
            OutcomeAlert.patient_id == patient_id,
            OutcomeAlert.kind == "red_flag",
            OutcomeAlert.resolved_at.is_(None),
        )
        .order_by(OutcomeAlert.created_at.desc(), OutcomeAlert.id.desc())
    ).all()
    titles = {r.id: r.title for r in kb.rules} if kb is not None else {}
    flags: dict[str, RedFlagRead] = {}
    for a in rows:
        flags.setdefault(
            a.rule_id,
            RedFlagRead(
                id=a.rule_id,
                urgency=a.urgency or "urgent",
                title=alert_flag_title(a.rule_id, a.reason, titles),
                patient_message=a.patient_message,
            ),
        )
    return sorted(flags.values(), key=lambda f: urgency_rank(f.urgency, unknown=9))


def open_alert_count(session: Session, clinic_id: int) -> int:
    """How many of the clinic's alerts are open (the count on the staff navigation's link)."""
    count = session.scalar(
        select(func.count())
        .select_from(OutcomeAlert)
        .where(OutcomeAlert.clinic_id == clinic_id, OutcomeAlert.resolved_at.is_(None))
    )
    return int(count or 0)


def resolve_alert(
    session: Session,
    *,
    actor: Actor,
    alert_id: int,
    note: str,
    now: datetime | None = None,
) -> AlertRead:
    """Close an alert with what was done (a clinician of the person's clinic)."""
    with transaction(session):
        accounts_service.require_staff(actor)
        alert = session.get(OutcomeAlert, alert_id)
        if alert is None or alert.clinic_id != actor.clinic_id:
            raise NotAllowed("no such alert")
        patient = accounts_service.visible_patient(session, actor, alert.patient_id)
        if alert.resolved_at is not None:
            raise AlreadyResolved("this alert is already resolved")
        if not note.strip():
            raise AlertError("say what was done about the alert")
        alert.resolved_at = now or utcnow()
        alert.resolved_by = actor.user_id
        alert.resolution_note = note.strip()
        audit_alert(session, actor, alert, action="update")
        read = _alert_read(alert, patient.full_name)
    return read
