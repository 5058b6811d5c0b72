"""The exam form's layout and the urgency order are data, in one place each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.knowledge.editing import edited_copy, problems_of


def test_a_clinician_finding_without_a_known_section_is_refused(tmp_path: Path) -> None:
    def unplaced(data: dict[str, Any]) -> None:
        for f in data["findings"]:
            if f["id"] == "lachman_positive":
                del f["exam_section"]
            if f["id"] == "abi":
                f["exam_section"] = "nowhere"

    problems = problems_of(edited_copy(tmp_path, "findings.yaml", unplaced))
    assert any(
        p.startswith("findings.yaml: lachman_positive: a clinician finding needs") for p in problems
    )
    assert any(p.startswith("findings.yaml: abi: a clinician finding needs") for p in problems)


def test_one_urgency_order_for_every_area() -> None:
    from popliteal.knowledge.schema import URGENCY_ORDER, urgency_rank

    assert [urgency_rank(u) for u in URGENCY_ORDER] == [0, 1, 2, 3]
    assert urgency_rank(None) == urgency_rank("unheard_of") == 4
    assert urgency_rank(None, unknown=9) == 9
