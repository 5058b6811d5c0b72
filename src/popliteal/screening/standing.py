"""Where each patient stands: the urgency and red flags still open across their screenings
since the last exam, and the safety questions their newest screening left at "not sure".

Reads only: the caller has checked that the actor may see these people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, column, func, select, true
from sqlalchemy.orm import Session

from popliteal.knowledge.schema import RedFlagRead, urgency_rank
from popliteal.screening.models import Screening


def _red_flags(found: Sequence[Mapping[str, Any]] | None) -> list[RedFlagRead]:
    return [
        RedFlagRead(id=str(r["id"]), urgency=str(r["urgency"]), title=str(r.get("title", r["id"])))
        for r in found or []
    ]


@dataclass(frozen=True)
class Standing:
    """Where a patient stands: the newest complete screening and what is still open."""

    latest_id: str
    latest_at: datetime
    urgency: str
    red_flags: list[RedFlagRead]
    # the safety questions the newest screening left at "not sure" or never asked (none after
    # an exam): neither is a "no"
    safety_not_ruled_out: list[str]


# The parts of the result the standing shows, read by the database from the stored JSON; built
# once (building a JSON path expression costs more than the query's rows).
_SHOWN_PARTS = (
    Screening.result["red_flags"].label("red_flags"),
    Screening.result["safety_not_ruled_out"].label("not_ruled_out"),
    Screening.result["safety_not_asked"].label("not_asked"),
)
# PostgreSQL decompresses and parses the stored result once per `->`: one json_to_record reads
# the three parts in one pass (for a page of 50 people, 5 ms of the database's CPU, not 14).
_SHOWN_RECORD = (
    func.json_to_record(Screening.result)
    .table_valued(
        column("red_flags", JSON),
        column("safety_not_ruled_out", JSON),
        column("safety_not_asked", JSON),
    )
    .render_derived(name="shown", with_types=True)
)
_SHOWN_RECORD_PARTS = (
    _SHOWN_RECORD.c.red_flags.label("red_flags"),
    _SHOWN_RECORD.c.safety_not_ruled_out.label("not_ruled_out"),
    _SHOWN_RECORD.c.safety_not_asked.label("not_asked"),
)


def patient_standing(session: Session, patient_ids: list[int]) -> dict[int, Standing]:
    """Urgency and red flags still open per patient.

    Every complete screening since the newest clinician exam counts (the exam included): a
    patient's later self-screening can add a red flag but never clear one a clinician has not
    seen. Unfinished screenings count for nothing.

    Only the parts of the stored result that are shown are read (its red flags and the safety
    questions left open), not the whole result (about 19 kB of JSON a screening).
    """
    if not patient_ids:
        return {}
    by_patient: dict[int, list[Any]] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    query = select(
        Screening.id,
        Screening.patient_id,
        Screening.role,
        Screening.urgency,
        Screening.created_at,
        *(_SHOWN_RECORD_PARTS if postgres else _SHOWN_PARTS),
    )
    if postgres:
        query = query.select_from(Screening).join(_SHOWN_RECORD, true())
    for row in session.execute(
        query.where(Screening.patient_id.in_(patient_ids), Screening.status == "complete").order_by(
            Screening.created_at.desc(), Screening.id.desc()
        )
    ):
        if row.patient_id is not None:
            by_patient.setdefault(row.patient_id, []).append(row)
    out: dict[int, Standing] = {}
    for patient_id, screenings in by_patient.items():
        open_ones: list[Any] = []
        for screening in screenings:
            open_ones.append(screening)
            if screening.role == "clinician":
                break
        flags: dict[str, RedFlagRead] = {}
        for screening in open_ones:
            for flag in _red_flags(screening.red_flags):
                flags.setdefault(flag.id, flag)
        latest = screenings[0]
        out[patient_id] = Standing(
            latest_id=latest.id,
            latest_at=latest.created_at,
            urgency=min((s.urgency for s in open_ones), key=urgency_rank),
            red_flags=sorted(flags.values(), key=lambda f: urgency_rank(f.urgency)),
            safety_not_ruled_out=[]
            if latest.role == "clinician"
            else [str(f) for f in [*(latest.not_ruled_out or []), *(latest.not_asked or [])]],
        )
    return out


def safety_not_completed(session: Session, *, patient_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per patient, the safety questions their newest complete screening left at "not sure" or
    never asked (patients with none are left out), as the patient list shows them: the schedule
    shows the same. A read only; the caller has checked the actor may see these people."""
    standing = patient_standing(session, list(patient_ids))
    return {pid: s.safety_not_ruled_out for pid, s in standing.items() if s.safety_not_ruled_out}
