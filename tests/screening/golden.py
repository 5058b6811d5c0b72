"""Golden screenings: what `screen()` said for a fixed set of answer sets, to prove that a faster
engine says exactly the same.

The answer sets are built without the interview (so a change to question choice cannot move
them): synthetic people (screening/simulate.sample_case, fixed seed) cut to their first k
answers, with some answers "not sure", with every safety question answered and only part of
the rest (the state in which the interview's stop rule runs), as a clinician with exam findings,
and the validation cases in full and sparse. Regenerate only when a change of results is meant:

    PYTHONPATH=src /work/main/.venv/bin/python -m tests.screening.golden
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.knowledge.schema import Answer
from popliteal.screening.answer_model import finding_model
from popliteal.screening.differential import model_for
from popliteal.screening.engine import ScreeningResult, screen
from popliteal.screening.simulate import sample_case
from popliteal.screening.triage import safety_findings
from popliteal.validation.cases import load_cases, sparse_variant

DATA = Path(__file__).parent / "data" / "screen_golden.json.gz"
VALIDATION_CASES = Path(__file__).resolve().parents[2] / "validation" / "cases"
SEED = 20261207
SYNTHETIC = 60
DIGITS = 10  # probabilities kept to 1e-10; the test allows 1e-9

Answers = dict[str, Answer | None]
Input = tuple[str, Answers, str, tuple[str, ...]]  # label, answers, role, asked_once


def _unsure(answers: Answers, every: int, offset: int) -> Answers:
    ids = sorted(answers)
    unsure = {fid for n, fid in enumerate(ids) if (n + offset) % every == 0}
    return {fid: (None if fid in unsure else v) for fid, v in answers.items()}


def inputs(kb: Knowledge) -> Iterator[Input]:
    """Every answer set of the golden file, in a fixed order."""
    rng = random.Random(SEED)
    model = model_for(kb)
    safety = safety_findings(kb)
    about_you = next(g.findings for g in kb.groups.values() if g.first)
    yield "empty", {}, "patient", ()
    yield "empty-clinician", {}, "clinician", ()
    for n in range(SYNTHETIC):
        case = sample_case(kb, rng)
        items = list(case.answers.items())
        size = len(items)
        for k in sorted({3, size // 3, 2 * size // 3, size}):
            yield f"syn{n}-first{k}", dict(items[:k]), "patient", ()
        unsure = _unsure(case.answers, 4, n)
        yield f"syn{n}-unsure", unsure, "patient", ()
        part = _unsure(dict(items[: 2 * size // 3]), 3, n)
        asked = tuple(sorted(f for f, v in part.items() if v is None))
        yield f"syn{n}-unsure-asked", part, "patient", asked
        # Every safety question and the "about you" form answered, then a share of the rest:
        # no safety step is left, so the stop rule decides whether the interview ends.
        core = {f: v for f, v in items if f in safety or f in about_you}
        rest = [f for f, _ in items if f not in core]
        for share in (0.0, 0.25, 0.5):
            chosen = set(rng.sample(rest, round(len(rest) * share)))
            answers = {f: v for f, v in items if f in core or f in chosen}
            yield f"syn{n}-safe{share:g}", answers, "patient", ()
        if n % 3 == 0:
            exam = dict(case.answers)
            ci = model.condition_ids.index(case.condition)
            for fid, finding in kb.findings.items():
                if "P" in finding.who or rng.random() < 0.5:
                    continue
                fm = finding_model(model, fid)
                if fm.domain:
                    exam[fid] = rng.choices(fm.domain, weights=fm.p_given[ci])[0]
            yield f"syn{n}-clinician", exam, "clinician", ()
            yield f"syn{n}-clinician-unsure", _unsure(exam, 5, n), "clinician", ()
    cases, problems = load_cases(kb, VALIDATION_CASES)
    assert not problems, problems
    for c in cases:
        yield c.id, c.answers, c.role, ()
        sparse = sparse_variant(c)
        yield sparse.id, sparse.answers, sparse.role, ()


def summary(result: ScreeningResult) -> dict[str, Any]:
    """What must not change: urgency, fired rules, order, probabilities, next steps, safety."""
    top = result.conditions[:3]
    return {
        "urgency": str(result.triage.urgency),
        "fired": [[r.id, *r.because] for r in result.triage.fired],
        "wells": result.triage.wells_score,
        "order": " ".join(c.id for c in result.conditions),
        "p": [round(c.probability, DIGITS) for c in result.conditions],
        "evidence": [" ".join(f"{e.finding}:{e.kind}:{e.lr:.9g}" for e in c.evidence) for c in top],
        "done": result.interview.done,
        "steps": [
            f"{s.kind}:{s.id}:{'S' if s.safety else ''}{'R' if s.recheck else ''}:"
            + ",".join(s.findings)
            for s in result.interview.steps
        ],
        "not_ruled_out": list(result.safety_not_ruled_out),
        "must_rule_out": list(result.must_rule_out),
        "advice": len(result.advice),
    }


def compute(kb: Knowledge) -> dict[str, Any]:
    out: dict[str, Any] = {"knowledge_version": kb.version, "screens": {}}
    for label, answers, role, asked in inputs(kb):
        out["screens"][label] = summary(screen(kb, answers, role=role, asked_once=asked))
    return out


def load() -> dict[str, Any]:
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def main() -> None:
    data = compute(default_knowledge())
    DATA.parent.mkdir(exist_ok=True)
    text = json.dumps(data, separators=(",", ":"), sort_keys=True)
    # mtime=0: the same results give the same bytes.
    with DATA.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(text.encode())
    print(f"{len(data['screens'])} screenings, {DATA.stat().st_size} bytes: {DATA}")  # noqa: T201


if __name__ == "__main__":
    main()
