"""The vocabulary only grows: no id or value is renamed or dropped, and new ones carry evidence.

Case reports and saved screenings refer to finding ids and choice values, so a rename would
silently turn their answers into unknowns (issue 14, item 3).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from popliteal.knowledge.loader import Knowledge

ROOT = Path(__file__).resolve().parents[2]
FINDINGS_PATH = "src/popliteal/knowledge/data/findings.yaml"
README_MARKER = "Vocabulary added in issue 14"


def committed_findings() -> dict[str, dict[str, Any]]:
    """findings.yaml as last committed (HEAD), by id; skips outside a git checkout."""
    try:
        text = subprocess.run(
            ["git", "show", f"HEAD:{FINDINGS_PATH}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no git history to compare with")
    return {f["id"]: f for f in yaml.safe_load(text)["findings"]}


def readme_vocabulary() -> list[str]:
    """The ids listed under the README's 'Vocabulary added in issue 14'."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if README_MARKER in line)
    ids: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("- ") or line.startswith("#"):
            break
        if m := re.match(r"^\s+- `([a-z0-9_]+)`", line):
            ids.append(m.group(1))
    return ids


def test_no_committed_finding_or_value_was_renamed_or_dropped(kb: Knowledge) -> None:
    lost = []
    for fid, old in committed_findings().items():
        new = kb.findings.get(fid)
        if new is None or new.type != old["type"]:
            lost.append(fid)
        elif old["type"] == "choice":
            lost += [f"{fid}={v}" for v in old["values"] if v not in new.values]
    assert lost == []


def test_every_new_finding_moves_some_condition(kb: Knowledge) -> None:
    """A finding with no likelihood entry has no information gain, so it is never asked."""
    new = (set(kb.findings) - set(committed_findings())) | set(readme_vocabulary())
    with_evidence = {e.finding for e in kb.likelihoods}
    assert sorted(new - with_evidence) == []


def test_the_readme_lists_real_ids(kb: Knowledge) -> None:
    listed = readme_vocabulary()
    assert len(listed) >= 20
    assert [fid for fid in listed if fid not in kb.findings] == []
