"""Validation cases on disk: one YAML file per case, checked against the knowledge base.

A case holds only what the person said and the first examination found (PROTOCOL.md §3); the
engine never sees its diagnosis or reference urgency.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Urgency
from popliteal.screening.answers import InvalidAnswers, parse_answers

SPLIT_SALT = "popliteal-validation-2026:"
SPARSE_SHARE = 0.3
SPARSE_SEED = 20261207
MAX_CASE_BYTES = 200_000

Half = Literal["tuning", "test"]
Kind = Literal["case_report", "case_series", "teaching_case", "case_study", "textbook"]


class CaseFile(BaseModel):
    """The YAML form of a case (PROTOCOL.md §3)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^(pub|tb)-[a-z0-9-]+$", max_length=80)
    citation: str = Field(min_length=10)
    link: str = ""
    kind: Kind
    answers: dict[str, Any] = Field(min_length=1)
    role: Literal["patient", "clinician"]
    not_encoded: list[str] = []
    diagnosis: str
    diagnosis_text: str = ""
    urgency: Urgency
    urgency_guideline: str = Field(min_length=5)


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    answers: dict[str, Answer | None]
    role: str
    diagnosis: str
    urgency: Urgency
    path: Path

    @property
    def published(self) -> bool:
        return self.kind != "textbook"


def half_of(case_id: str) -> Half:
    """The frozen split: even first byte of the salted hash is tuning, odd is test."""
    return (
        "tuning" if hashlib.sha256((SPLIT_SALT + case_id).encode()).digest()[0] % 2 == 0 else "test"
    )


def _read(kb: Knowledge, path: Path) -> tuple[Case | None, list[str]]:
    where = path.name
    if path.stat().st_size > MAX_CASE_BYTES:
        return None, [f"{where}: larger than {MAX_CASE_BYTES} bytes"]
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = CaseFile.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        return None, [f"{where}: {exc}"]
    problems: list[str] = []
    if spec.id != path.stem:
        problems.append(f"{where}: id '{spec.id}' differs from the file name")
    if spec.diagnosis not in kb.conditions:
        problems.append(f"{where}: unknown diagnosis '{spec.diagnosis}'")
    try:
        answers = parse_answers(kb, spec.answers)
    except InvalidAnswers as exc:
        return None, [*problems, *(f"{where}: {p}" for p in exc.problems)]
    exam = [f for f in answers if "P" not in kb.findings[f].who]
    if exam and spec.role != "clinician":
        problems.append(f"{where}: examination findings {exam} need role: clinician")
    if problems:
        return None, problems
    case = Case(spec.id, spec.kind, answers, spec.role, spec.diagnosis, spec.urgency, path)
    return case, []


def load_cases(kb: Knowledge, folder: Path) -> tuple[list[Case], list[str]]:
    """Every case under `folder` (recursively), and every problem found in the files."""
    cases: list[Case] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.yaml")):
        case, found = _read(kb, path)
        problems += found
        if case is None:
            continue
        if case.id in seen:
            problems.append(f"{path.name}: id '{case.id}' also in {seen[case.id].name}")
            continue
        seen[case.id] = path
        cases.append(case)
    return cases, problems


def sparse_variant(case: Case, seed: int = SPARSE_SEED) -> Case:
    """The case with a seeded random 30% of its answers kept (at least one)."""
    rng = random.Random(f"{seed}:{case.id}")  # noqa: S311 - a reproducible sample, not security
    ids = sorted(case.answers)
    keep = max(1, round(len(ids) * SPARSE_SHARE))
    chosen = set(rng.sample(ids, keep))
    answers = {k: v for k, v in case.answers.items() if k in chosen}
    return Case(
        f"{case.id}-sparse", case.kind, answers, case.role, case.diagnosis, case.urgency, case.path
    )
