"""protocols.yaml and drafting.yaml: the phased protocol per conservative-care condition, and
how drafts are put together and logs turn into progression suggestions."""

# ruff cannot see that `_Strict` (common.py) is a pydantic model, and pydantic copies a mutable
# default for each instance.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from popliteal.knowledge.schema.common import Cited, Id, Text, Urgency, _Strict
from popliteal.knowledge.schema.exercises import Dose, Equipment, Goal, Phase


class Prescription(Dose):
    """An exercise in a protocol phase, with the dose for that phase and its provenance."""

    exercise: Id
    goals: list[Goal] = []  # empty: for every goal; else only when the person has one of these


class TreatmentOffer(Cited):
    treatment: Id
    note: Text


class Limit(Cited):
    id: Id
    text: Text
    goals: list[Goal] = []


class Criterion(Cited):
    """A progression criterion. `check` names one the logs can test; the rest a clinician does."""

    id: Id
    text: Text
    check: (
        Literal[
            "pain_during_at_most",
            "morning_pain_back_to_baseline",
            "adherence_at_least",
            "weeks_in_phase_at_least",
            "sessions_at_least",
        ]
        | None
    ) = None
    value: float | None = None

    @model_validator(mode="after")
    def _value_with_check(self) -> Criterion:
        needs = self.check not in (None, "morning_pain_back_to_baseline")
        if needs and self.value is None:
            raise ValueError(f"check '{self.check}' needs a 'value'")
        return self


class DraftEntry(Cited):
    """A draft may start in this phase when the person's pain is at most `pain_at_most`."""

    pain_at_most: int = Field(ge=0, le=10)


class ProtocolPhase(_Strict):
    id: Phase
    goals: list[Text] = Field(min_length=1)
    draft_entry: DraftEntry | None = None
    exercises: list[Prescription] = Field(min_length=4)
    treatments: list[TreatmentOffer] = []
    activity_limits: list[Limit] = []
    progression_criteria: list[Criterion] = Field(min_length=1)


class Referral(Cited):
    text: Text
    urgency: Urgency


class Protocol(_Strict):
    condition: Id
    evidence_section: str = Field(pattern=r"^§\d+(\.\d+)*$")
    summary: Text
    phases: list[ProtocolPhase] = Field(min_length=2, max_length=4)
    refer_when: list[Referral] = Field(min_length=1)


class ProtocolsFile(_Strict):
    protocols: list[Protocol]


# ---------------------------------------------------------------- drafting.yaml


class DraftSettings(_Strict):
    min_exercises: int = Field(ge=1, le=20)
    max_exercises: int = Field(ge=1, le=20)
    default_exercises: int = Field(ge=1, le=20)
    exercise_count: Cited
    household_equipment: list[Equipment]
    seconds_per_rep: int = Field(ge=1, le=20)
    timing: Cited

    @model_validator(mode="after")
    def _ordered(self) -> DraftSettings:
        if not self.min_exercises <= self.default_exercises <= self.max_exercises:
            raise ValueError("need min_exercises <= default_exercises <= max_exercises")
        return self


class ProgressionSettings(_Strict):
    min_sessions: int = Field(ge=1, le=20)
    window_sessions: int = Field(ge=1, le=50)
    sessions_rule: Cited
    pain_during_at_most: int = Field(ge=0, le=10)
    pain_rule: Cited
    session_pain_rise: int = Field(ge=1, le=10)
    rise_rule: Cited
    add_reps: int = Field(ge=1, le=10)
    load_rule: Cited


class DraftingFile(_Strict):
    draft: DraftSettings
    progression: ProgressionSettings
