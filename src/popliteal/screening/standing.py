"""Where each patient stands: the urgency and red flags still open across their screenings
since the last exam, and the safety questions their newest screening left at "not sure".

Reads only: the caller has checked that the actor may see these people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from popliteal.knowledge.schema import RedFlagRead, urgency_rank
from popliteal.screening.models import Screening


def _red_flags(result: Mapping[str, Any]) -> list[RedFlagRead]:
    return [
        RedFlagRead(id=str(r["id"]), urgency=str(r["urgency"]), title=str(r.get("title", r["id"])))
        for r in result.get("red_flags", [])
    ]


@dataclass(frozen=True)
class Standing:
    """Where a patient stands: the newest complete screening and what is still open."""

    latest: Screening
    urgency: str
    red_flags: list[RedFlagRead]


def patient_standing(session: Session, patient_ids: list[int]) -> dict[int, Standing]:
    """Urgency and red flags still open per patient.

    Every complete screening since the newest clinician exam counts (the exam included): a
    patient's later self-screening can add a red flag but never clear one a clinician has not
    seen. Unfinished screenings count for nothing.
    """
    if not patient_ids:
        return {}
    by_patient: dict[int, list[Screening]] = {}
    for screening in session.scalars(
        select(Screening)
        .where(Screening.patient_id.in_(patient_ids), Screening.status == "complete")
        .order_by(Screening.created_at.desc(), Screening.id.desc())
    ):
        if screening.patient_id is not None:
            by_patient.setdefault(screening.patient_id, []).append(screening)
    out: dict[int, Standing] = {}
    for patient_id, screenings in by_patient.items():
        open_ones: list[Screening] = []
        for screening in screenings:
            open_ones.append(screening)
            if screening.role == "clinician":
                break
        flags: dict[str, RedFlagRead] = {}
        for screening in open_ones:
            for flag in _red_flags(screening.result):
                flags.setdefault(flag.id, flag)
        out[patient_id] = Standing(
            latest=screenings[0],
            urgency=min((s.urgency for s in open_ones), key=urgency_rank),
            red_flags=sorted(flags.values(), key=lambda f: urgency_rank(f.urgency)),
        )
    return out


def not_completed(latest: Screening | None) -> list[str]:
    """The safety questions the newest screening left at "not sure" or never asked (none
    after an exam): neither is a "no"."""
    if latest is None or latest.role == "clinician":
        return []
    unsure = [str(f) for f in latest.result.get("safety_not_ruled_out", [])]
    return unsure + [str(f) for f in latest.result.get("safety_not_asked", [])]


def safety_not_completed(session: Session, *, patient_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per patient, the safety questions their newest complete screening left at "not sure"
    (patients with none are left out), as the patient list shows them: the schedule shows the
    same. A read only; the caller has checked the actor may see these people."""
    standing = patient_standing(session, list(patient_ids))
    return {pid: found for pid, s in standing.items() if (found := not_completed(s.latest))}
