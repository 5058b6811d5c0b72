"""The discharge summary as the page and the PDF lay it out: before and after per instrument
scale, pain, range of motion and adherence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.outcomes import chart
from popliteal.outcomes.chart import signed_degrees
from popliteal.outcomes.questionnaire_forms import short_name
from popliteal.outcomes.score_results import scale_names


@dataclass(frozen=True)
class SummaryScale:
    name: str
    before: float
    before_on: str
    after: float
    after_on: str
    verdict: str | None
    mcid: float | None


@dataclass(frozen=True)
class SummaryInstrument:
    short_name: str
    name: str
    scales: list[SummaryScale]


@dataclass(frozen=True)
class SummaryKnee:
    label: str
    first_on: str
    first: str
    latest_on: str
    latest: str


def _rom_text(values: Mapping[str, Any]) -> str:
    parts = []
    if values.get("flexion") is not None:
        parts.append(f"flexion {values['flexion']}°")
    if values.get("extension") is not None:
        parts.append(f"extension {signed_degrees(int(values['extension']))}")
    return ", ".join(parts) or "not measured"


def summary_view(kb: Knowledge, summary: Mapping[str, Any]) -> dict[str, Any]:
    """The service's before/after summary laid out for the summary page and PDF."""
    instruments = []
    for entry in summary.get("instruments", []):
        instrument = str(entry["instrument"])
        names = dict(scale_names(kb, instrument))
        given = entry.get("scales", {})
        scales = [
            SummaryScale(
                name=name,
                before=float(given[key]["before"]),
                before_on=chart.long_day(date.fromisoformat(given[key]["before_on"])),
                after=float(given[key]["after"]),
                after_on=chart.long_day(date.fromisoformat(given[key]["after_on"])),
                verdict=given[key].get("verdict"),
                mcid=given[key].get("mcid"),
            )
            for key, name in names.items()
            if key in given
        ]
        instruments.append(
            SummaryInstrument(
                short_name=short_name(instrument),
                name=kb.outcomes.instruments[instrument].name,  # type: ignore[index]
                scales=scales,
            )
        )
    knees = [
        SummaryKnee(
            label=f"{k['side'].capitalize()} knee"
            + ("" if k.get("affected", True) else " (other knee)"),
            first_on=chart.long_day(date.fromisoformat(k["first_on"])),
            first=_rom_text(k.get("first", {})),
            latest_on=chart.long_day(date.fromisoformat(k["latest_on"])),
            latest=_rom_text(k.get("latest", {})),
        )
        for k in summary.get("range_of_motion", [])
    ]
    pain = summary.get("pain", {}) or {}

    def day(value: str | None) -> str:
        return chart.long_day(date.fromisoformat(value)) if value else ""

    return {
        "instruments": instruments,
        "knees": knees,
        "pain_first": pain.get("first_week_mean"),
        "pain_last": pain.get("last_week_mean"),
        "pain_first_on": day(pain.get("first_on")),
        "pain_last_on": day(pain.get("last_on")),
        "adherence": summary.get("adherence_percent"),
        "sessions_done": summary.get("sessions_done", 0),
        "care_start": day(summary.get("care_start")),
        "until": day(summary.get("until")),
        "main_instrument": short_name(str(summary.get("main_instrument", ""))),
    }
