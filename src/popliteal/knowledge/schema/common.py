"""The types every knowledge file shares: ids, text, answers, urgency, and `Cited`, the
provenance each number carries (a key into sources.yaml, whose entries are defined here too)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Urgency(StrEnum):
    """The four care levels of the contract, most urgent first: the order is the rank, and
    every area sorts, compares and names urgency through this one type. A StrEnum, so YAML,
    JSON, the database and templates keep the plain strings."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    SURGICAL_CONSULT = "surgical_consult"
    CONSERVATIVE = "conservative"

    @property
    def rank(self) -> int:
        """0 for emergency ... 3 for conservative: lower is more urgent."""
        return URGENCY_ORDER.index(self)

    @property
    def label(self) -> str:
        """The clinician's name for the level."""
        return _LABELS[self]


URGENCY_ORDER: tuple[Urgency, ...] = tuple(Urgency)
# The two levels a red flag raises: care elsewhere first, no home programme (§2.1 U1).
RED_FLAG_LEVELS: tuple[Urgency, ...] = (Urgency.EMERGENCY, Urgency.URGENT)
_LABELS = {
    Urgency.EMERGENCY: "Emergency",
    Urgency.URGENT: "Urgent",
    Urgency.SURGICAL_CONSULT: "Surgical consult",
    Urgency.CONSERVATIVE: "Conservative care",
}


def urgency_rank(level: str | None, unknown: int = len(URGENCY_ORDER)) -> int:
    """Urgency(level).rank for a stored string; `unknown` for anything else (no urgency, or a
    value from outside the contract), so rows without one sort last."""
    return URGENCY_ORDER.index(Urgency(level)) if level in URGENCY_ORDER else unknown


Answer = bool | int | float | str
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(_Strict):
    """A number's provenance: a key into sources.yaml, or an explicit expert judgement."""

    source: Id | None = None
    expert_judgement: str | None = None

    @model_validator(mode="after")
    def _one_provenance(self) -> Cited:
        if (self.source is None) == (self.expert_judgement is None):
            raise ValueError(
                "give exactly one of 'source' (a sources.yaml key) or "
                "'expert_judgement' (a one-line rationale)"
            )
        if self.expert_judgement is not None and len(self.expert_judgement.strip()) < 10:
            raise ValueError("'expert_judgement' needs a one-line rationale")
        return self


class CitedNote(Cited):
    text: Text


# ---------------------------------------------------------------- sources.yaml


class SourceEntry(_Strict):
    key: Id
    citation: Text
    evidence_section: str = Field(pattern=r"^§\d+(\.\d+)*$")
    kind: Literal["found", "found_secondary", "recalled", "guideline", "seed"]
    # How a person's own page names the source, in plain words (the citation is for clinicians):
    # needed by every source a patient page cites (knowledge/checks).
    plain: Text | None = None


class SourcesFile(_Strict):
    sources: list[SourceEntry]
