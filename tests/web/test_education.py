"""Education pages: one per condition, from the knowledge base, in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from popliteal.knowledge.loader import default_knowledge

CONDITIONS = sorted(default_knowledge().conditions)


def test_the_list_names_every_condition_grouped_by_usual_care(client: Any, kb: Any) -> None:
    page = client.get("/conditions")
    assert page.status_code == 200
    for condition in kb.conditions.values():
        assert f'href="/conditions/{condition.id}"' in page.text
    assert "Need emergency care" in page.text
    assert "Usually helped by physical therapy" in page.text
    assert page.text.index("Usually helped by") < page.text.index("Need emergency care")


@pytest.mark.parametrize("condition_id", CONDITIONS)
def test_every_condition_has_a_page(client: Any, kb: Any, condition_id: str) -> None:
    condition = kb.conditions[condition_id]
    page = client.get(f"/conditions/{condition_id}")
    assert page.status_code == 200
    for heading in ("What it is", "Typical signs", "What helps", "When to get help"):
        assert f"<h2>{heading}</h2>" in page.text
    assert condition.typical_signs[0] in page.text
    assert 'href="/screening"' in page.text
    assert "decision support, not a diagnosis" in page.text


def test_a_condition_page_shows_its_seed_quotes_and_care(client: Any) -> None:
    page = client.get("/conditions/running_overload")
    assert "people run too much (over 15 miles per week)" in page.text
    assert "Runner&#39;s Knee Pain" in page.text
    assert "Activity modification (find and limit aggravating activities)" in page.text
    pcl = client.get("/conditions/pcl_injury")
    assert "When surgery may be needed" in pcl.text


def test_an_unknown_condition_is_a_404_page(client: Any) -> None:
    page = client.get("/conditions/no_such_thing")
    assert page.status_code == 404
    assert "Page not found" in page.text


def test_a_self_care_condition_that_mimics_a_clot_carries_a_warning_in_the_list(
    client: Any,
) -> None:
    """Review finding: a burst Baker's cyst sat under self-care with no word about clots."""
    page = client.get("/conditions")
    item = page.text.split('href="/conditions/bakers_cyst_rupture"')[1].split("</li>")[0]
    assert "needs care today" in item
    calm = page.text.split('href="/conditions/hamstring_strain"')[1].split("</li>")[0]
    assert "needs care today" not in calm
