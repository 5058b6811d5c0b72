"""A patient's measurements as FHIR Observations: pain scores (0-10), outcome questionnaire
scores (derived from their QuestionnaireResponse), knee range of motion, and running
distance per week. LOINC codes only where the code table has one read in a source."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir.resources.R4B.observation import Observation

from popliteal.interop.fhir_base import (
    OBSERVATION_CATEGORY,
    UCUM,
    Ids,
    category,
    instant,
    measure_concept,
    validated,
)
from popliteal.interop.records import Episode
from popliteal.knowledge.loader import Knowledge

_CATEGORIES = {
    "survey": ("survey", "Survey"),
    "exam": ("exam", "Exam"),
    "activity": ("activity", "Activity"),
}


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _observation(
    ids: Ids,
    ep: Episode,
    key: str,
    *,
    kind: str,
    code: dict[str, Any],
    value: dict[str, Any],
    when: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    cat, display = _CATEGORIES[kind]
    data = {
        "resourceType": "Observation",
        "id": ids.id("Observation", key),
        "status": "final",
        "category": category(OBSERVATION_CATEGORY, cat, display),
        "code": code,
        "subject": ids.ref("Patient", ep.patient.id),
        **when,
        "valueQuantity": value,
        **(extra or {}),
    }
    return validated(Observation, data)


def _on(day: date) -> str:
    """A day's measurement without a recorded time: the date alone (FHIR allows it)."""
    return day.isoformat()


def observations(kb: Knowledge, ids: Ids, ep: Episode) -> list[dict[str, Any]]:
    out = []
    for p in ep.pains:
        out.append(
            _observation(
                ids,
                ep,
                f"pain-{p.key}",
                kind="survey",
                code=measure_concept(kb, "pain_nprs"),
                value=_quantity(p.pain, "{score}", "{score}"),
                when={"effectiveDateTime": instant(p.at)},
                extra={"note": [{"text": p.context}]},
            )
        )
    for r in ep.responses:
        instrument = kb.outcomes.instruments.get(r.instrument)  # type: ignore[call-overload]
        names = {}
        if instrument is not None:
            names = {s.key: s.name for s in instrument.scales}
            names.update({c.key: c.name for c in instrument.composites})
        for scale, score in (r.scores.get("scores") or {}).items():
            if score is None:
                continue
            out.append(
                _observation(
                    ids,
                    ep,
                    f"score-{r.id}-{scale}",
                    kind="survey",
                    code=measure_concept(kb, f"{r.instrument}_{scale}"),
                    value=_quantity(float(score), "{score}", "{score}"),
                    when={"effectiveDateTime": instant(r.submitted_at)},
                    extra={
                        "derivedFrom": [ids.ref("QuestionnaireResponse", f"outcome-{r.id}")],
                        "note": [{"text": f"{names.get(scale, scale)}; {r.occasion}"}],
                    },
                )
            )
    for m in ep.rom:
        side = f"{m.side.capitalize()} knee" + ("" if m.affected else " (the other knee)")
        for measure, value in (
            ("knee_flexion", m.flexion_deg),
            ("knee_extension", m.extension_deg),
        ):
            if value is None:
                continue
            extra: dict[str, Any] = {"bodySite": {"text": side}}
            if m.clinician_id in ep.staff:
                extra["performer"] = [ids.ref("Practitioner", m.clinician_id)]
            out.append(
                _observation(
                    ids,
                    ep,
                    f"rom-{m.id}-{measure}",
                    kind="exam",
                    code=measure_concept(kb, measure),
                    value=_quantity(value, "degrees", "deg"),
                    when={"effectiveDateTime": _on(m.measured_on)},
                    extra=extra,
                )
            )
    for w in ep.run_weeks:
        out.append(
            _observation(
                ids,
                ep,
                f"run-week-{w.start.isoformat()}",
                kind="activity",
                code=measure_concept(kb, "weekly_running_distance"),
                value=_quantity(round(w.km, 2), "km", "km"),
                when={
                    "effectivePeriod": {
                        "start": w.start.isoformat(),
                        "end": w.end.isoformat(),
                    }
                },
                extra={"note": [{"text": f"{w.runs} runs"}]},
            )
        )
    return out
