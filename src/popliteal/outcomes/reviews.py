"""Review and surgical-consult flags. They read the whole episode of care, so they are
evaluated here (and opened through alerts/) whenever a response, a pain score or a session is
recorded, and on demand for the clinician's patient list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.accounts.models import Patient
from popliteal.accounts.rules import Actor
from popliteal.alerts import service as alerts_service
from popliteal.alerts.models import OutcomeAlert
from popliteal.clock import utcnow
from popliteal.db import transaction
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import review_rules
from popliteal.outcomes._access import require_staff
from popliteal.outcomes.episode import (
    Episode,
    episode_adherence,
    load_episode,
    load_episodes,
    scored_response,
)


def evaluate_reviews(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient: Patient,
    now: datetime | None = None,
) -> list[OutcomeAlert]:
    """Open the review and surgical-consult alerts that hold today. The caller commits."""
    now = now or utcnow()
    return _open_review_alerts(
        session,
        kb=kb,
        actor=actor,
        ctx=load_episode(session, kb, patient, now),
        now=now,
    )


def _open_review_alerts(
    session: Session, *, kb: Knowledge, actor: Actor, ctx: Episode, now: datetime
) -> list[OutcomeAlert]:
    """Open the alerts of the review flags that hold in this episode today."""
    if ctx.discharged_on is not None:
        return []
    main = [scored_response(r) for r in ctx.responses if r.instrument == ctx.main]
    latest = main[-1].day if main else ctx.today
    flags = review_rules.review_flags(
        kb,
        today=ctx.today,
        care_start=ctx.baseline_on,
        main=main,
        pain=ctx.pain,
        adherence_percent=episode_adherence(ctx, latest),
    )
    opened = []
    for flag in flags:
        alert = alerts_service.open_alert(
            session,
            kb=kb,
            patient=ctx.patient,
            kind=flag.kind,
            rule_id=flag.rule_id,
            urgency="surgical_consult" if flag.kind == "surgical_consult" else None,
            reason=flag.reason,
            patient_message=flag.patient_message,
            source="review",
            detail={**flag.detail, "citation": flag.source},
            now=now,
        )
        if alert is not None:
            alerts_service.audit_alert(session, actor, alert)
            opened.append(alert)
    return opened


def refresh_review_flags(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Evaluate review flags for these patients of the clinic (all when None), for the
    clinician's patient list; returns how many alerts were opened. Commits."""
    with transaction(session):
        require_staff(actor)
        query = select(Patient).where(Patient.clinic_id == actor.clinic_id)
        if patient_ids is not None:
            query = query.where(Patient.id.in_(list(patient_ids)))
        now = now or utcnow()
        episodes = load_episodes(session, kb, session.scalars(query).all(), now)
        opened = 0
        for ctx in episodes.values():
            opened += len(_open_review_alerts(session, kb=kb, actor=actor, ctx=ctx, now=now))
    return opened
