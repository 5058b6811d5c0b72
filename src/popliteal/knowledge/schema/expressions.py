"""Rule expressions (red_flags.yaml `when`, predicates, `must_rule_out.only_if`, findings'
`ask_if`): a tagged union of six node kinds, read with `match`.

In YAML a node is a mapping with exactly one head key: `all` / `any` (a list of nodes), `not`
(one node), `ref` (a named predicate), or `finding` / `score` with one test (`equals`, `in`,
`at_least`, `at_most`, `below`, or `missing`). `unknown: true` also makes a test true when its
finding is unanswered ("acute unless we know otherwise"); `clinician_only: true` makes a leaf
false unless a clinician gave the answer (the Wells alternative-diagnosis item).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from popliteal.knowledge.schema.common import Answer, Id

HEADS = ("all", "any", "not", "ref", "finding", "score")
ONE_HEAD = "an expression needs exactly one of all / any / not / ref / finding / score"


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Test(_Node):
    """The comparison a finding or score leaf makes: exactly one test."""

    equals: Answer | None = None
    in_: list[Answer] | None = Field(default=None, alias="in")
    at_least: float | None = None
    at_most: float | None = None
    below: float | None = None
    missing: bool | None = None
    unknown: bool = False
    clinician_only: bool = False

    def _tests(self) -> int:
        return sum(
            x is not None
            for x in (self.equals, self.in_, self.at_least, self.at_most, self.below, self.missing)
        )


class FindingTest(_Test):
    finding: Id

    @model_validator(mode="after")
    def _one_test(self) -> FindingTest:
        if self._tests() != 1:
            raise ValueError(
                f"finding '{self.finding}' needs exactly one test: equals / in / "
                "at_least / at_most / below / missing"
            )
        return self


class ScoreTest(_Test):
    score: Id

    @model_validator(mode="after")
    def _one_test(self) -> ScoreTest:
        if self._tests() != 1:
            raise ValueError(f"score '{self.score}' needs exactly one test")
        return self


class AllOf(_Node):
    all: list[Expr]


class AnyOf(_Node):
    any: list[Expr]


class Not(_Node):
    not_: Expr = Field(alias="not")


class Ref(_Node):
    ref: Id


def _head(node: Any) -> str | None:
    """Which kind of node this is: its one head key (None when it has none or several)."""
    if isinstance(node, dict):
        heads = [k for k in HEADS if k in node]
        return heads[0] if len(heads) == 1 else None
    return _KINDS.get(type(node))


_KINDS: dict[type, str] = {
    AllOf: "all",
    AnyOf: "any",
    Not: "not",
    Ref: "ref",
    FindingTest: "finding",
    ScoreTest: "score",
}

Expr = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[Ref, Tag("ref")]
    | Annotated[FindingTest, Tag("finding")]
    | Annotated[ScoreTest, Tag("score")],
    Discriminator(_head, custom_error_type="expression", custom_error_message=ONE_HEAD),
]

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()
