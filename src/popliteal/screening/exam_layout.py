"""The clinician's exam form, pure: which findings it asks and under which section, answers in
the words a clinician reads, and the form's fields read back into raw answers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from popliteal.knowledge.loader import Knowledge
from popliteal.knowledge.schema import Answer, Finding
from popliteal.screening.answers import AnswerProblem
from popliteal.screening.engine import screen
from popliteal.screening.safety import open_rules, own_chance
from popliteal.screening.triage import safety_findings

# The exam items the engine would ask next are shown first, this many at most.
PRIORITY_ITEMS = 6
TOP_CONDITIONS = 5
_SECTION_MARK = re.compile(r"\s*\((?:§[^()]*)\)|\s*§\s*[\d.]+[A-Z]?")


def clinician_label(finding: Finding) -> str:
    """The exam item as the form shows it: the clinician's wording without the knowledge
    base's section marks ("(§2.2)" is for the evidence file, not the form)."""
    text = (finding.clinician_wording or finding.question or finding.id).strip()
    return _SECTION_MARK.sub("", text).strip()


def finding_label(kb: Knowledge, finding_id: str) -> str:
    """A finding or rule figure named in a clinician's words, never its id: the exam item's
    wording, a rule figure's label, else the id in words (a finding a newer knowledge base
    dropped)."""
    if finding_id in kb.findings:
        return clinician_label(kb.findings[finding_id])
    if finding_id in kb.predicates:
        predicate = kb.predicates[finding_id]
        return _SECTION_MARK.sub("", predicate.label or predicate.description).strip()
    return humanise(finding_id)


@dataclass(frozen=True)
class LiveRanking:
    """The engine's view of an exam in progress: urgency, red flags, top causes, and the exam
    items that would change it most."""

    urgency: str
    red_flags: tuple[str, ...]  # the fired rules' titles, most urgent first
    conditions: tuple[tuple[str, float], ...]  # (name, probability), most likely first
    priority: tuple[Finding, ...]


@cache
def _chance_before_answers(kb: Knowledge) -> dict[str, float]:
    return {c.id: own_chance(c) for c in screen(kb, {}, role="clinician").conditions}


def _for_this_person(
    kb: Knowledge, answers: Mapping[str, Answer | None], chance: Mapping[str, float]
) -> frozenset[str]:
    """Warning-sign tests for a cause this person's answers have not argued down: a rule the
    test could still fire names a cause (or no cause) whose chance reaches the must-rule-out
    line or is no lower than before any answer. A runner who said no to a swollen calf has
    argued a clot down; a person whose calf hurts after knee surgery has not."""
    line = kb.must_rule_out.threshold if kb.must_rule_out is not None else 0.05
    before = _chance_before_answers(kb)
    suspects = {rule.id: rule.suspects for rule in kb.rules}
    out: set[str] = set()
    for rule_id, deciding in open_rules(kb, answers, "clinician").items():
        named = suspects[rule_id]
        if not named or any(chance.get(c, 0.0) >= min(line, before.get(c, 0.0)) for c in named):
            out |= deciding
    return frozenset(out)


def live_ranking(kb: Knowledge, answers: Mapping[str, Answer | None]) -> LiveRanking:
    """Screen these answers as a clinician and pick the exam items to ask first, from the
    engine's next clinician questions not yet recorded: warning-sign tests for a cause this
    person's answers have not argued down, then the items that would change the ranking most,
    then the other warning-sign tests (issue 18: an overuse runner is not met with a clot's
    tests first). Nothing is left out: every item stays on the form in its region, and one not
    recorded is still "not ruled out"."""
    result = screen(kb, answers, role="clinician")
    exam = {f.id for f in exam_findings(kb)}
    wanted = list(
        dict.fromkeys(
            fid
            for fid in result.interview.next_findings()
            if fid in exam and answers.get(fid) is None
        )
    )
    signs = safety_findings(kb)
    pressing = _for_this_person(kb, answers, {c.id: own_chance(c) for c in result.conditions})
    order = (
        [f for f in wanted if f in signs and f in pressing]
        + [f for f in wanted if f not in signs]
        + [f for f in wanted if f in signs and f not in pressing]
    )
    priority = [kb.findings[fid] for fid in order]
    return LiveRanking(
        urgency=str(result.triage.urgency),
        red_flags=tuple(rule.title for rule in result.triage.fired),
        conditions=tuple((c.name, c.from_answers) for c in result.conditions[:TOP_CONDITIONS]),
        priority=tuple(priority[:PRIORITY_ITEMS]),
    )


def exam_findings(kb: Knowledge) -> list[Finding]:
    """The findings a clinician records at an exam (`who` includes C), in knowledge-base order."""
    return [f for f in kb.findings.values() if "C" in f.who]


def exam_sections(
    kb: Knowledge, *, leave_out: frozenset[str] = frozenset()
) -> list[tuple[str, str, list[Finding]]]:
    """(section id, title, findings) for every section that has findings (`leave_out`: the
    items already shown first)."""
    by_section: dict[str, list[Finding]] = {s.id: [] for s in kb.exam_sections}
    for finding in exam_findings(kb):
        if finding.id not in leave_out:
            by_section[finding.exam_section or "other"].append(finding)
    return [(s.id, s.title, by_section[s.id]) for s in kb.exam_sections if by_section[s.id]]


def humanise(value_id: str) -> str:
    """A choice value id as words: 'positive_ungraded' -> 'Positive ungraded', 'l5' -> 'L5'."""
    words = value_id.replace("_", " ").strip()
    if len(words) <= 3 and any(c.isdigit() for c in words):
        return words.upper()
    return words[:1].upper() + words[1:]


def value_label(finding: Finding, value: str) -> str:
    return finding.value_labels.get(value) or humanise(value)


def answer_text(kb: Knowledge, finding_id: str, value: Any) -> str:
    """An answer as a clinician reads it: Yes/No, the choice label, the number with its unit."""
    finding = kb.findings.get(finding_id)
    if value is None:
        return "Don't know / not tested"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if finding is None:
        return str(value)
    if finding.type == "choice":
        return value_label(finding, str(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value} {finding.unit}" if finding.unit else str(value)


def form_to_raw(kb: Knowledge, form: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Read the exam form's fields into raw answers; empty means not tested (left out).

    bool radios send yes/no, a select sends the value id, number inputs send text. Text that
    is not a number is reported in the same "finding: message (got ...)" form as the CLI.
    """
    raw: dict[str, Any] = {}
    problems: list[str] = []
    for finding in exam_findings(kb):
        text = (form.get(finding.id) or "").strip()
        if not text:
            continue
        if finding.type == "bool":
            if text not in ("yes", "no"):
                problems.append(
                    str(AnswerProblem(finding.id, f"expected yes or no (got {text!r})"))
                )
                continue
            raw[finding.id] = text == "yes"
        elif finding.type in ("number", "scale"):
            try:
                number = float(text)
            except ValueError:
                problems.append(str(AnswerProblem(finding.id, f"expected a number (got {text!r})")))
                continue
            raw[finding.id] = (
                int(number) if math.isfinite(number) and number.is_integer() else number
            )
        else:
            raw[finding.id] = text
    return raw, problems
