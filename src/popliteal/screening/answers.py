"""Check a screening's answers against the knowledge base before anything is computed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from popliteal.knowledge.loader import Knowledge, value_problem
from popliteal.knowledge.schema import Answer
from popliteal.screening.triage import Answerer

ROLES = tuple(Answerer)
# What a problem quotes of what was sent, and how many problems are listed: the answer to a
# hostile request (a 200 KB "finding id", 10,000 unknown ids) never echoes it back whole.
QUOTED_CHARS = 60
LISTED_PROBLEMS = 20


def _quoted(text: str) -> str:
    return text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS] + "..."


@dataclass(frozen=True)
class AnswerProblem:
    finding: str
    message: str

    def __str__(self) -> str:
        return f"{self.finding}: {self.message}"


class InvalidAnswers(ValueError):
    """Raised with every offending finding id, so one fix round is enough."""

    def __init__(self, problems: list[AnswerProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def parse_answers(kb: Knowledge, raw: Mapping[str, Any]) -> dict[str, Answer | None]:
    """Validate {finding_id: value}; null means "asked, don't know". Raise InvalidAnswers."""
    problems: list[AnswerProblem] = []
    out: dict[str, Answer | None] = {}
    for fid in sorted(raw):
        value = raw[fid]
        finding = kb.findings.get(fid)
        if finding is None:
            problems.append(AnswerProblem(_quoted(fid), "unknown finding id"))
            continue
        if value is None:
            out[fid] = None
            continue
        if not isinstance(value, bool | int | float | str):
            problems.append(
                AnswerProblem(fid, f"expected a {finding.type} value, got {type(value).__name__}")
            )
            continue
        if (
            finding.type == "scale"
            and isinstance(value, float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value.is_integer()
        ):
            value = int(value)
        why = value_problem(finding, value)
        if why is None and isinstance(value, float) and not math.isfinite(value):
            why = "expected a finite number"
        if why is not None:
            problems.append(AnswerProblem(fid, f"{why} (got {_quoted(repr(value))})"))
            continue
        out[fid] = value
    if len(problems) > LISTED_PROBLEMS:
        more = len(problems) - LISTED_PROBLEMS
        problems = [*problems[:LISTED_PROBLEMS], AnswerProblem("answers", f"and {more} more")]
    if problems:
        raise InvalidAnswers(problems)
    return out


def parse_request(kb: Knowledge, payload: Any) -> tuple[dict[str, Answer | None], str]:
    """Validate a whole request object {"answers": {...}, "role"?: "patient" | "clinician"}.

    Other top-level fields (a case label, say) are ignored; only the answers are screened.
    """
    if not isinstance(payload, dict):
        raise InvalidAnswers(
            [AnswerProblem("answers", 'expected a JSON object {"answers": {finding_id: value}}')]
        )
    answers = payload.get("answers")
    if not isinstance(answers, dict):
        raise InvalidAnswers([AnswerProblem("answers", "expected an object of finding_id: value")])
    role = payload.get("role", "patient")
    if role not in ROLES:
        raise InvalidAnswers([AnswerProblem("role", "expected 'patient' or 'clinician'")])
    return parse_answers(kb, answers), role
