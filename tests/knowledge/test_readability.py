"""Everything a person reads is at or below US grade 8 (Flesch-Kincaid, textstat)."""

from __future__ import annotations

from collections.abc import Iterator

import textstat

from popliteal.knowledge.loader import Knowledge

MAX_GRADE = 8.0


def patient_texts(kb: Knowledge) -> Iterator[tuple[str, str]]:
    for f in kb.findings.values():
        if "P" in f.who:
            yield f"finding {f.id} question", f.question or ""
            for value, label in f.value_labels.items():
                yield f"finding {f.id} label {value}", label
            if f.help:
                yield f"finding {f.id} help", f.help
            if f.unknown_policy is not None and f.unknown_policy.how_to_check:
                yield f"finding {f.id} how_to_check", f.unknown_policy.how_to_check
    for g in kb.groups.values():
        yield f"group {g.id} title", g.title
        yield f"group {g.id} prompt", g.prompt
    for c in kb.conditions.values():
        yield f"condition {c.id} patient_name", c.patient_name
        yield f"condition {c.id} patient_summary", c.patient_summary
        yield f"condition {c.id} when_to_get_help", c.when_to_get_help
        for i, t in enumerate(c.typical_signs):
            yield f"condition {c.id} typical_signs[{i}]", t
        for i, t in enumerate(c.self_care):
            yield f"condition {c.id} self_care[{i}]", t
    for r in kb.rules:
        yield f"rule {r.id} patient_message", r.patient_message
    for pred in kb.predicates.values():
        if pred.label:
            yield f"predicate {pred.id} label", pred.label
    for level, snippets in kb.advice.by_urgency.items():
        for a in snippets:
            yield f"advice {level} {a.id}", a.text
    yield "disclaimer", kb.advice.disclaimer
    for t in kb.treatments.values():
        yield f"treatment {t.id} patient_description", t.patient_description
    for ex in kb.exercises.values():
        yield f"exercise {ex.id} name", ex.name
        yield f"exercise {ex.id} purpose", ex.purpose
        for i, step in enumerate(ex.steps):
            yield f"exercise {ex.id} steps[{i}]", step
        for i, caution in enumerate(ex.cautions):
            yield f"exercise {ex.id} cautions[{i}]", caution


def test_patient_text_is_grade_8_or_below(kb: Knowledge) -> None:
    too_hard = [
        (where, textstat.flesch_kincaid_grade(text), text)
        for where, text in patient_texts(kb)
        if textstat.flesch_kincaid_grade(text) > MAX_GRADE
    ]
    assert too_hard == []


def test_the_checker_does_flag_hard_text() -> None:
    hard = (
        "Posterolateral corner insufficiency necessitates comprehensive multidisciplinary "
        "orthopaedic evaluation and reconstruction considerations."
    )
    assert textstat.flesch_kincaid_grade(hard) > MAX_GRADE
