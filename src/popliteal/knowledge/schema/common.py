"""The types every knowledge file shares: ids, text, answers, urgency, and `Cited`, the
provenance each number carries (a key into sources.yaml, whose entries are defined here too)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Urgency = Literal["emergency", "urgent", "surgical_consult", "conservative"]
URGENCY_ORDER: tuple[Urgency, ...] = ("emergency", "urgent", "surgical_consult", "conservative")


def urgency_rank(level: str | None, unknown: int = len(URGENCY_ORDER)) -> int:
    """0 for emergency ... 3 for conservative: lower is more urgent; `unknown` for anything
    else (no urgency, or a value from outside the contract). The one order every area sorts by."""
    return URGENCY_ORDER.index(level) if level in URGENCY_ORDER else unknown


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


class SourcesFile(_Strict):
    sources: list[SourceEntry]
