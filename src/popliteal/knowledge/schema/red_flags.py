"""red_flags.yaml: scores, named predicates, the red-flag rules, and the can't-miss causes
to rule out."""

# ruff cannot see that `_Strict` (common.py) is a pydantic model, and pydantic copies a mutable
# default for each instance.
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from popliteal.knowledge.schema.common import Cited, Id, Text, Urgency, _Strict
from popliteal.knowledge.schema.expressions import Expr


class ScoreItem(_Strict):
    finding: Id
    points: int
    clinician_only: bool = False


class Score(Cited):
    id: Id
    name: Text
    items: list[ScoreItem] = Field(min_length=1)


class Predicate(_Strict):
    id: Id
    description: Text
    when: Expr
    label: Text | None = None  # plain words for a result page, when a likelihood reads it


class RedFlagRule(Cited):
    id: Id
    urgency: Literal["emergency", "urgent", "surgical_consult"]
    suspects: list[Id] = []
    title: Text
    when: Expr
    patient_message: Text
    clinician_note: Text
    # The guideline statement this rule implements and what was checked against it, ending
    # "Sources: key, key." (every rule needs one: tests/knowledge/test_red_flag_audits.py).
    audit: str | None = None


class MustRuleOutEntry(_Strict):
    condition: Id
    why: Text
    # Listed only when this also holds (a nerve lesion only with a deficit).
    only_if: Expr | None = None


class MustRuleOut(Cited):
    """Can't-miss causes listed for the clinic to rule out once their probability reaches the
    threshold, whatever the urgency (the provenance is the threshold's)."""

    threshold: float = Field(gt=0, lt=1)
    conditions: list[MustRuleOutEntry] = Field(min_length=1)


class RedFlagsFile(_Strict):
    scores: list[Score]
    predicates: list[Predicate] = []
    rules: list[RedFlagRule]
    must_rule_out: MustRuleOut | None = None


class RedFlagRead(BaseModel):
    """A red-flag rule that fired, as every API and page reads it: the one schema for the
    screening result, the patient list and a check-in's alerts (`patient_message` is shown
    to the person at once; `because` names the answers that fired it)."""

    model_config = ConfigDict(extra="allow")

    id: str
    urgency: Urgency
    title: str = ""
    patient_message: str = ""
    because: list[str] = Field(default_factory=list)
