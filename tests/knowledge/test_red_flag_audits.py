"""Every red-flag rule records its audit against the guideline it implements (issue 13).

The audit says which guideline statement the rule follows and where its trigger deliberately
differs, and ends with "Sources: key, key." naming sources.yaml keys, so a reviewer can open the
citation behind each claim. A rule without one, or naming a source that does not exist, fails.
"""

from __future__ import annotations

import re

import pytest

from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.knowledge.schema import RedFlagRule

KB = default_knowledge()
SOURCES_LINE = re.compile(r"Sources: ([a-z0-9_]+(?:, [a-z0-9_]+)*)\.$")


def audit_problem(rule: RedFlagRule, kb: Knowledge) -> str | None:
    """Why this rule's audit falls short, or None when it names existing sources."""
    audit = (rule.audit or "").strip()
    if not audit:
        return f"{rule.id}: no audit against its guideline"
    found = SOURCES_LINE.search(audit)
    if found is None:
        return f"{rule.id}: the audit does not end with 'Sources: key, key.'"
    named = found.group(1).split(", ")
    unknown = [key for key in named if key not in kb.sources]
    if unknown:
        return f"{rule.id}: the audit names sources not in sources.yaml: {', '.join(unknown)}"
    if rule.source is not None and rule.source not in named:
        return f"{rule.id}: the audit does not name the rule's own source {rule.source}"
    return None


@pytest.mark.parametrize("rule", KB.rules, ids=[r.id for r in KB.rules])
def test_every_rule_records_its_audit_naming_existing_sources(rule: RedFlagRule) -> None:
    assert audit_problem(rule, KB) is None


def test_a_rule_without_an_audit_is_reported() -> None:
    rule = KB.rules[0].model_copy(update={"audit": None})
    assert audit_problem(rule, KB) == f"{rule.id}: no audit against its guideline"


def test_an_audit_naming_an_unknown_source_is_reported() -> None:
    rule = KB.rules[0].model_copy(update={"audit": "Read it. Sources: nice_ng158, no_such_2099."})
    problem = audit_problem(rule, KB) or ""
    assert "no_such_2099" in problem
    assert "nice_ng158" not in problem


def test_an_audit_without_its_sources_line_is_reported() -> None:
    rule = KB.rules[0].model_copy(update={"audit": "Matches NICE NG158 (nice_ng158)."})
    assert "does not end with" in (audit_problem(rule, KB) or "")
