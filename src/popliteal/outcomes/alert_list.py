"""The clinician's patient list as the alerts see it: each patient's open alerts, the most
urgent first, folded into the list's red flags and urgency, and the due questionnaires."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from popliteal.accounts.rules import Actor
from popliteal.accounts.schemas import PatientSummaryRead
from popliteal.alerts import service as alerts_service
from popliteal.alerts.schemas import AlertRead
from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import RedFlagRead as SummaryRedFlag
from popliteal.knowledge.schema import urgency_rank
from popliteal.outcomes import questionnaires_due
from popliteal.outcomes.score_results import due_items

KIND_NAMES = {"red_flag": "Red flag", "surgical_consult": "Surgical consult", "review": "Review"}


@dataclass(frozen=True)
class PatientAlerts:
    """A patient's open alerts for the list: the most urgent first."""

    alerts: list[AlertRead] = field(default_factory=list)

    @property
    def red_flags(self) -> list[AlertRead]:
        return [a for a in self.alerts if a.kind == "red_flag"]

    @property
    def rank(self) -> int:
        """0 emergency, 1 urgent red flag, 2 surgical consult, 3 review, 9 none."""
        ranks = []
        for a in self.alerts:
            if a.kind == "red_flag":
                ranks.append(urgency_rank(a.urgency, unknown=1))
            else:
                ranks.append(2 if a.kind == "surgical_consult" else 3)
        return min(ranks, default=9)


def alerts_by_patient(alerts: Sequence[AlertRead]) -> dict[int, PatientAlerts]:
    out: dict[int, list[AlertRead]] = {}
    for a in alerts:
        out.setdefault(a.patient_id, []).append(a)
    return {pid: PatientAlerts(found) for pid, found in out.items()}


def _urgency_rank(urgency: str | None) -> int:
    return urgency_rank(urgency, unknown=9)


def fold_alerts_into_list(
    kb: Knowledge,
    patients: Sequence[PatientSummaryRead],
    by_patient: Mapping[int, PatientAlerts],
) -> list[PatientSummaryRead]:
    """The patient list with every open alert counted in: "Open red flags" holds the
    screening's and exam's open red flags and every open red-flag alert (check-in,
    questionnaire, session), one per rule; "Latest urgency" is the most urgent of the
    screening's and the open alerts' (an open alert is never hidden by a calmer screening,
    as a later self-screening never clears an exam's red flag); sorted by that urgency, then
    by alert rank, the list's own order otherwise."""
    titles = {r.id: r.title for r in kb.rules}
    empty = PatientAlerts()
    out = []
    for p in patients:
        found = by_patient.get(p.id, empty)
        flags = {f.id: f for f in p.red_flags}
        for a in found.red_flags:
            flags.setdefault(
                a.rule_id,
                SummaryRedFlag(
                    id=a.rule_id,
                    urgency=a.urgency or "urgent",
                    title=alerts_service.alert_flag_title(a.rule_id, a.reason, titles),
                ),
            )
        urgencies = [p.urgency] if p.urgency else []
        urgencies += [a.urgency for a in found.alerts if a.urgency]
        urgency = min(urgencies, key=_urgency_rank, default=None)
        red_flags = sorted(flags.values(), key=lambda f: _urgency_rank(f.urgency))
        out.append(p.model_copy(update={"urgency": urgency, "red_flags": red_flags}))
    out.sort(key=lambda p: (_urgency_rank(p.urgency), by_patient.get(p.id, empty).rank))
    return out


def alert_list_context(
    session: Session, *, kb: Knowledge, actor: Actor, patient_ids: Sequence[int]
) -> dict[str, Any]:
    """The patient list's alert and due-questionnaire columns (staff of the clinic)."""
    alerts = alerts_service.list_alerts(session, actor=actor)
    due = questionnaires_due.clinic_due(session, kb=kb, actor=actor, patient_ids=patient_ids)
    wanted = set(patient_ids)
    return {
        "outcome_alerts": {pid: a for pid, a in alerts_by_patient(alerts).items() if pid in wanted},
        "questionnaires_due": {
            pid: due_items(kb, found) for pid, found in due.items() if pid in wanted
        },
    }
