"""The answer model behind question choice and the bench's synthetic people: a choice whose first
value is the normal one ("none", "negative") is mostly answered with it by people whose condition
does not explain the abnormal answers, as a yes/no finding is mostly "no". Assuming every choice
equally likely made 3 in 4 synthetic people report bruising of the calf (and fire its red flag)."""

from __future__ import annotations

import random

from popliteal.knowledge.loader import Knowledge
from popliteal.screening.answer_model import NORMAL_FIRST, finding_model
from popliteal.screening.differential import model_for
from popliteal.screening.simulate import sample_case


def test_a_normal_first_choice_is_mostly_normal_where_no_lr_says_otherwise(kb: Knowledge) -> None:
    model = model_for(kb)
    fm = finding_model(model, "bruising")
    assert fm.domain[0] == "none"
    oa = fm.p_given[model.condition_ids.index("knee_osteoarthritis")]
    assert oa[0] > 0.9
    rupture = fm.p_given[model.condition_ids.index("bakers_cyst_rupture")]
    # the published/expert LRs still move the answer: a burst cyst bruises far more often
    assert rupture[0] < oa[0]
    assert sum(rupture[1:]) > 2 * sum(oa[1:])


def test_every_normal_first_choice_gives_most_weight_to_normal_without_an_lr(
    kb: Knowledge,
) -> None:
    model = model_for(kb)
    for fid, finding in kb.findings.items():
        if finding.type != "choice" or finding.values[0] not in NORMAL_FIRST:
            continue
        fm = finding_model(model, fid)
        for i, cid in enumerate(model.condition_ids):
            if all(abs(row[i]) < 1e-12 for row in fm.log_lr):  # no LR for this condition
                assert fm.p_given[i][0] > 0.74, (fid, cid, fm.p_given[i])


def test_synthetic_people_seldom_bruise_without_a_cause(kb: Knowledge) -> None:
    rng = random.Random(7)
    cases = [sample_case(kb, rng) for _ in range(300)]
    bruised = [c for c in cases if c.answers.get("bruising") not in (None, "none")]
    assert len(bruised) < 0.15 * len(cases)
