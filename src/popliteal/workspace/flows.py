"""Cross-area flows of the episode of care: one step in an area that sets off another.

A guided session's finish and a pain score re-evaluate the review flags of the whole episode
(outcomes: questionnaires, discharge, runs) in the same transaction, so a pain that worsens
reaches the clinician's list at once. The sessions service takes them as `reviews`; the routes
and the tests call these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from popliteal.accounts.rules import Actor
from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes.reviews import evaluate_reviews
from popliteal.sessions import service as sessions_service
from popliteal.sessions.schemas import PainCreate, SessionFinish, SessionRead


def finish_session(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    session_id: int,
    body: SessionFinish,
    now: datetime | None = None,
) -> SessionRead:
    """Finish a guided session (its checklist's red flags open their alerts), then the review
    flags; commits."""
    return sessions_service.finish_session(
        session,
        kb=kb,
        actor=actor,
        session_id=session_id,
        body=body,
        now=now,
        reviews=evaluate_reviews,
    )


def log_pain(
    session: Session,
    *,
    kb: Knowledge,
    actor: Actor,
    patient_id: int,
    body: PainCreate,
    now: datetime | None = None,
) -> int:
    """Log a pain score, then the review flags (pain worse over two weeks); commits."""
    return sessions_service.log_pain(
        session,
        kb=kb,
        actor=actor,
        patient_id=patient_id,
        body=body,
        now=now,
        reviews=evaluate_reviews,
    )
