"""conditions.yaml and findings.yaml: every prior is cited; every group, exam section and
`ask_if` names a finding that exists and fits there."""

from __future__ import annotations

from collections.abc import Mapping

from popliteal.knowledge.checks._refs import Cite
from popliteal.knowledge.schema import Condition, Finding, FindingsFile, Group


def cite_priors(conditions: Mapping[str, Condition], cite: Cite) -> None:
    """Every part of every prior must name a known source."""
    for c in conditions.values():
        where = f"conditions.yaml: {c.id}"
        cite(f"{where}, field prior.base", c.prior.base)
        for i, band in enumerate(c.prior.age):
            cite(f"{where}, field prior.age[{i}]", band)
        for sex, f in c.prior.sex.items():
            cite(f"{where}, field prior.sex.{sex}", f)
        if c.prior.runner is not None:
            cite(f"{where}, field prior.runner", c.prior.runner)
        if c.prior.non_runner is not None:
            cite(f"{where}, field prior.non_runner", c.prior.non_runner)


def check_findings(
    findings_file: FindingsFile,
    findings: Mapping[str, Finding],
    groups: Mapping[str, Group],
    problems: list[str],
) -> dict[str, str]:
    """Each person's question in at most one group, each clinician finding in an exam section,
    each `ask_if` on a known finding; return the group of each grouped finding."""
    group_of: dict[str, str] = {}
    for g in groups.values():
        for fid in g.findings:
            f = findings.get(fid)
            if f is None:
                problems.append(f"findings.yaml: group {g.id}: unknown finding '{fid}'")
            elif "P" not in f.who or (g.kind == "checklist" and f.type != "bool"):
                problems.append(
                    f"findings.yaml: group {g.id}: '{fid}' must be a question the person "
                    "answers (a yes/no one in a checklist)"
                )
            elif fid in group_of:
                problems.append(f"findings.yaml: '{fid}' is in two groups")
            else:
                group_of[fid] = g.id
    sections = {s.id for s in findings_file.exam_sections}
    for f in findings.values():
        if "C" in f.who and f.exam_section not in sections:
            problems.append(
                f"findings.yaml: {f.id}: a clinician finding needs an 'exam_section' of "
                f"{sorted(sections)} (the exam form shows it there)"
            )
        for cond in f.ask_if:
            if cond.finding not in findings:
                problems.append(
                    f"findings.yaml: {f.id}: ask_if names unknown finding '{cond.finding}'"
                )
    return group_of
