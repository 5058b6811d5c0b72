"""Pure follow-up rules: schedule, safety checklist, review flags at their boundaries, and the
discharge criteria, each against values worked by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from popliteal.alerts.rules import check_safety, safety_problems
from popliteal.knowledge.loader import Knowledge, default_knowledge
from popliteal.outcomes import discharge_rules, review_rules
from popliteal.outcomes.discharge_rules import RomMeasure, discharge_criteria, steps_from_best
from popliteal.outcomes.review_rules import (
    PainScore,
    PlanPeriod,
    ScoredResponse,
    care_adherence,
    no_improvement,
    pain_worse,
)
from popliteal.outcomes.schedule import Due, due, instruments_for
from popliteal.running.rules import Run
from tests.knowledge.editing import edited_copy, problems_of

KB = default_knowledge()
FOLLOWUP = KB.followup
TODAY = date(2026, 3, 2)
START = date(2026, 1, 5)  # a Monday, eight weeks before TODAY


def day(offset: int) -> date:
    return START + timedelta(days=offset)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def due_ids(found: list[Due]) -> list[tuple[str, str, date]]:
    return [(d.instrument, d.occasion, d.due_on) for d in found]


# ------------------------------------------------------------------ instruments


def test_knee_causes_use_the_clinics_instrument_and_everyone_answers_the_nprs() -> None:
    assert instruments_for(FOLLOWUP, condition="meniscal_tear", preferred="koos") == (
        "koos",
        "nprs",
    )
    assert instruments_for(FOLLOWUP, condition="meniscal_tear", preferred="lefs") == (
        "lefs",
        "nprs",
    )
    assert instruments_for(FOLLOWUP, condition=None, preferred="koos") == ("koos", "nprs")


@pytest.mark.parametrize(
    "condition", ["hamstring_strain", "gastrocnemius_strain", "lumbar_radiculopathy"]
)
def test_thigh_calf_and_nerve_causes_use_the_lefs_even_at_a_koos_clinic(condition: str) -> None:
    assert instruments_for(FOLLOWUP, condition=condition, preferred="koos")[0] == "lefs"


def test_the_instrument_choice_is_marked_as_expert_judgement() -> None:
    assert "LEFS" in (FOLLOWUP.instruments.expert_judgement or "")


# ------------------------------------------------------------------ schedule


def schedule(
    today: date,
    responses: dict[str, list[date]],
    *,
    baseline_on: date | None = START,
    discharged_on: date | None = None,
    interval: int = 14,
) -> list[Due]:
    return due(
        today,
        baseline_on,
        responses,
        interval,
        discharged_on,
        instruments=("koos", "nprs"),
        settings=FOLLOWUP,
    )


def test_nothing_is_due_before_the_first_visit() -> None:
    assert schedule(day(-1), {}) == []
    assert schedule(TODAY, {}, baseline_on=None) == []


def test_the_baseline_is_due_at_the_first_visit_and_stays_due_until_answered() -> None:
    assert due_ids(schedule(START, {})) == [
        ("koos", "baseline", START),
        ("nprs", "baseline", START),
    ]
    late = schedule(day(3), {"nprs": [START]})
    assert due_ids(late) == [("koos", "baseline", START)]
    assert late[0].days_overdue == 3


def test_a_follow_up_is_due_one_interval_after_the_last_answer() -> None:
    answered = {"koos": [START], "nprs": [START]}
    assert schedule(day(13), answered) == []
    assert due_ids(schedule(day(14), answered)) == [
        ("koos", "follow_up", day(14)),
        ("nprs", "follow_up", day(14)),
    ]
    # answered three days late: the next one is due 14 days after that, not on day 28
    late = {"koos": [START, day(17)], "nprs": [START, day(17)]}
    assert schedule(day(30), late) == []
    assert due_ids(schedule(day(31), late))[0] == ("koos", "follow_up", day(31))


def test_the_clinics_interval_sets_the_follow_up_date() -> None:
    answered = {"koos": [START], "nprs": [START]}
    assert schedule(day(20), answered, interval=21) == []
    assert due_ids(schedule(day(21), answered, interval=21))[0] == ("koos", "follow_up", day(21))


def test_at_discharge_the_discharge_questionnaire_is_due_and_follow_ups_stop() -> None:
    answered = {"koos": [START], "nprs": [START, day(35)]}
    out = day(40)
    # koos last answered 40 days ago (a follow-up was overdue): now only the discharge one
    assert due_ids(schedule(out, answered, discharged_on=out)) == [("koos", "discharge", out)]
    window = FOLLOWUP.schedule.discharge_window_days
    assert due_ids(schedule(out + timedelta(days=window), answered, discharged_on=out)) == [
        ("koos", "discharge", out)
    ]
    assert schedule(out + timedelta(days=window + 1), answered, discharged_on=out) == []
    # a questionnaire answered in the week before discharge counts as the discharge one
    recent = {"koos": [out - timedelta(days=window)], "nprs": [out - timedelta(days=window)]}
    assert schedule(out, recent, discharged_on=out) == []
    early = {"koos": [out - timedelta(days=window + 1)], "nprs": [out]}
    assert due_ids(schedule(out, early, discharged_on=out)) == [("koos", "discharge", out)]


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=-30, max_value=200), max_size=8),
    today_offset=st.integers(min_value=-10, max_value=220),
    interval=st.integers(min_value=7, max_value=56),
)
def test_answering_everything_due_leaves_nothing_due_and_nothing_is_due_later_than_today(
    offsets: list[int], today_offset: int, interval: int
) -> None:
    today = day(today_offset)
    answered = {"koos": [day(o) for o in offsets if o <= today_offset]}
    found = schedule(today, answered, interval=interval)
    assert all(d.due_on <= today and d.days_overdue >= 0 for d in found)
    for d in found:
        answered.setdefault(d.instrument, []).append(today)
    assert schedule(today, answered, interval=interval) == []


# ------------------------------------------------------------------ safety checklist


@pytest.mark.parametrize("item", [i.id for i in FOLLOWUP.safety_checklist.items])
def test_every_checklist_item_alone_fires_an_emergency_or_urgent_red_flag_rule(item: str) -> None:
    """The checklist speaks the screening's findings, so its own red-flag rules decide."""
    check = check_safety(KB, {item: True})
    assert check.ticked == (item,)
    assert check.fired, f"{item} fired no rule"
    assert check.fired[0].urgency in ("emergency", "urgent")
    assert check.fired[0].patient_message


def test_calf_swelling_since_last_time_is_the_unexplained_leg_swelling_emergency() -> None:
    check = check_safety(KB, {"new_calf_swelling": True, "fever": False})
    assert [(r.id, r.urgency) for r in check.fired] == [
        ("rf_unexplained_leg_swelling", "emergency")
    ]
    assert check.answers == {"calf_swelling": True}


def test_nothing_ticked_fires_nothing_and_several_come_most_urgent_first() -> None:
    assert check_safety(KB, {i.id: False for i in FOLLOWUP.safety_checklist.items}).fired == ()
    both = check_safety(KB, {"knee_locked": True, "hot_swollen_knee": True})
    assert [r.urgency for r in both.fired] == ["emergency", "urgent"]
    assert {r.id for r in both.fired} == {"rf_septic_arthritis", "rf_locked_knee"}


def test_unknown_items_are_reported_but_never_hide_a_known_red_flag() -> None:
    ticked: dict[str, object] = {"calf_swolen": True, "fever": "yes", "knee_locked": True}
    assert safety_problems(FOLLOWUP, ticked) == [
        "safety.calf_swolen: unknown checklist item",
        "safety.fever: expected true or false",
    ]
    assert [r.id for r in check_safety(KB, ticked).fired] == ["rf_locked_knee"]


# ------------------------------------------------------------------ pain worse (review)


def pain_days(values: dict[int, float], source: str = "morning") -> list[PainScore]:
    """Pain scores keyed by days before TODAY."""
    return [PainScore(ago(d), v, source) for d, v in values.items()]


def test_pain_worse_by_the_nprs_mcid_over_two_weeks_raises_a_review_flag() -> None:
    # the week 14-20 days ago: mean 3; the last 7 days: mean 5 -> +2 = the MCID (Farrar 2001)
    points = pain_days({20: 3, 16: 3, 14: 3, 6: 5, 3: 4, 0: 6})
    flag = pain_worse(KB, points, today=TODAY)
    assert flag is not None
    assert (flag.kind, flag.rule_id, flag.source) == ("review", "review_pain_worse", "farrar_2001")
    assert "3.0/10" in flag.reason
    assert "5.0/10" in flag.reason


def test_pain_up_by_less_than_the_mcid_or_outside_the_windows_is_no_flag() -> None:
    assert pain_worse(KB, pain_days({20: 3, 14: 3, 6: 5, 0: 4.8}), today=TODAY) is None  # +1.9
    # the earlier window is days 14-20 ago: a low score 21 days ago does not count
    assert pain_worse(KB, pain_days({21: 0, 14: 3, 13: 3, 6: 5, 0: 4}), today=TODAY) is None


def test_pain_worse_needs_enough_scores_in_both_weeks() -> None:
    assert FOLLOWUP.review.pain_worse.min_scores == 2
    assert pain_worse(KB, pain_days({20: 2, 6: 7, 0: 7}), today=TODAY) is None
    assert pain_worse(KB, pain_days({20: 2, 15: 2, 0: 7}), today=TODAY) is None
    assert pain_worse(KB, pain_days({20: 2, 15: 2, 1: 7, 0: 7}), today=TODAY) is not None


def test_nprs_answers_and_session_pain_count_as_pain_scores() -> None:
    points = [
        PainScore(ago(18), 2, "nprs"),
        PainScore(ago(15), 2, "before"),
        PainScore(ago(4), 5, "after"),
        PainScore(ago(1), 4, "nprs"),
    ]
    assert pain_worse(KB, points, today=TODAY) is not None


# ------------------------------------------------------------------ no improvement / failed care


def koos(offset: int, value: float) -> ScoredResponse:
    scales = dict.fromkeys(("pain", "symptoms", "adl", "sport_rec", "qol"), value)
    return ScoredResponse(day(offset), "koos", {**scales, "koos4": value})


STEADY_PAIN = [PainScore(day(0), 4, "morning"), PainScore(day(1), 4, "morning")]


def steady_pain_until(offset: int) -> list[PainScore]:
    return [
        *STEADY_PAIN,
        PainScore(day(offset), 4, "morning"),
        PainScore(day(offset - 1), 3.5, "x"),
    ]


def flag_after(
    weeks_days: int,
    *,
    adherence: float | None = 70,
    latest: float = 59,
    pain: list[PainScore] | None = None,
) -> review_rules.ReviewFlag | None:
    return no_improvement(
        KB,
        care_start=START,
        main=[koos(0, 50), koos(weeks_days, latest)],
        pain=steady_pain_until(weeks_days) if pain is None else pain,
        adherence_percent=adherence,
    )


def test_no_improvement_after_6_weeks_of_adequate_care_raises_a_review_flag() -> None:
    flag = flag_after(42)
    assert flag is not None
    assert (flag.kind, flag.rule_id) == ("review", "review_no_improvement")
    assert "6 weeks" in flag.reason
    assert "70% of the exercise days" in flag.reason
    assert flag.detail["scales"] == ["pain", "symptoms", "adl", "sport_rec", "qol"]


def test_no_flag_before_6_weeks() -> None:
    assert flag_after(41) is None  # 5 weeks and 6 days


def test_no_flag_when_care_was_not_adequate() -> None:
    assert FOLLOWUP.review.adequate_care.adherence_at_least == 70
    assert flag_after(42, adherence=69.9) is None
    assert flag_after(42, adherence=None) is None  # no home programme to judge


def test_an_improvement_by_the_mcid_on_any_scale_or_on_pain_means_no_flag() -> None:
    assert flag_after(42, latest=60) is None  # +10 = the KOOS MCID (Roos & Lohmander 2003)
    improved_pain = [*STEADY_PAIN, PainScore(day(42), 2, "morning")]  # 4 -> 2: -2 points
    assert flag_after(42, pain=improved_pain) is None


def test_pain_not_recorded_does_not_hide_a_lack_of_improvement() -> None:
    flag = flag_after(42, pain=[])
    assert flag is not None
    assert "pain was not recorded" in flag.reason


def test_after_12_weeks_the_screenings_failed_care_rule_suggests_a_surgical_consult() -> None:
    """Kise 2016 (BMJ 2016;354:i3740): 12 weeks of exercise therapy is the yardstick."""
    flag = flag_after(84)
    assert flag is not None
    assert (flag.kind, flag.rule_id, flag.source) == (
        "surgical_consult",
        "sc_failed_conservative_care",
        "kise_2016",
    )
    assert "12 weeks" in flag.reason
    assert flag.patient_message.startswith("You have had 12 weeks")
    eleven = flag_after(83)
    assert eleven is not None
    assert eleven.rule_id == "review_no_improvement"


def test_an_invalid_baseline_scale_is_not_compared() -> None:
    baseline = ScoredResponse(day(0), "koos", {"pain": None, "symptoms": None})
    latest = ScoredResponse(day(50), "koos", {"pain": 50.0, "symptoms": 50.0})
    assert (
        no_improvement(KB, care_start=START, main=[baseline, latest], pain=[], adherence_percent=90)
        is None
    )


# ------------------------------------------------------------------ adherence


def test_adherence_follows_the_plan_version_in_force_each_day() -> None:
    daily = [{"id": "a", "per_week": 7}]
    twice_a_week = [{"id": "b", "per_week": 2}]
    periods = [PlanPeriod(START, daily), PlanPeriod(day(7), twice_a_week)]
    # week 1: 7 due days, 7 done; week 2 (2 a week: days 7 and 10 of the cycle): 2 due, 1 done
    done = [day(i) for i in range(7)] + [day(7)]
    assert care_adherence(periods, done, start=START, today=day(13)) == pytest.approx(100 * 8 / 9)


def test_today_counts_once_its_session_is_done_and_an_ended_plan_is_not_due() -> None:
    periods = [PlanPeriod(START, [{"id": "a", "per_week": 7}], ends_on=day(3))]
    assert care_adherence(periods, [START], start=START, today=START) == 100
    assert care_adherence(periods, [], start=START, today=START) is None
    assert care_adherence(periods, [START], start=START, today=day(10)) == 25


# ------------------------------------------------------------------ discharge criteria


def criteria(
    *,
    pain: list[PainScore] = (),  # type: ignore[assignment]
    rom: list[RomMeasure] = (),  # type: ignore[assignment]
    responses: list[ScoredResponse] = (),  # type: ignore[assignment]
    goal: str | None = "everyday_life",
    runs: list[Run] = (),  # type: ignore[assignment]
    main: str = "koos",
) -> dict[str, discharge_rules.Criterion]:
    found = discharge_criteria(
        KB, today=TODAY, main=main, responses=responses, pain=pain, rom=rom, goal=goal, runs=runs
    )
    return {c.id: c for c in found}


def test_with_no_evidence_every_criterion_is_unknown() -> None:
    found = criteria(goal=None)
    assert list(found) == ["pain_free", "full_range_of_motion", "outcome_goal", "target_activity"]
    assert {c.status for c in found.values()} == {"unknown"}


def test_pain_free_means_every_score_of_the_last_week_at_most_1() -> None:
    assert criteria(pain=pain_days({6: 1, 2: 0, 0: 1}))["pain_free"].status == "met"
    worse = criteria(pain=pain_days({6: 2, 0: 0}))["pain_free"]
    assert worse.status == "not_met"
    assert "Pain 2/10 on" in worse.evidence
    assert criteria(pain=pain_days({7: 5}))["pain_free"].status == "unknown"  # a week ago


def knee(
    flexion: int | None, extension: int | None, *, side: str = "left", days: int = 3
) -> RomMeasure:
    return RomMeasure(ago(days), side, True, flexion, extension)


def other(flexion: int | None, extension: int | None, *, side: str = "right") -> RomMeasure:
    return RomMeasure(ago(60), side, False, flexion, extension)


@pytest.mark.parametrize(
    ("treated", "other_knee", "status"),
    [
        ((140, 0), (145, 2), "met"),  # 5 deg less flexion, 2 deg less extension: IKDC normal
        ((139, 0), (145, 2), "not_met"),  # 6 deg less flexion
        ((140, -1), (145, 2), "not_met"),  # 3 deg less extension
        ((150, 5), (145, 2), "met"),  # more than the other knee is fine
    ],
)
def test_range_of_motion_is_compared_with_the_other_knee_when_it_was_measured(
    treated: tuple[int, int], other_knee: tuple[int, int], status: str
) -> None:
    found = criteria(rom=[knee(*treated), other(*other_knee)])["full_range_of_motion"]
    assert found.status == status
    assert "other knee" in found.evidence


@pytest.mark.parametrize(
    ("flexion", "extension", "status"),
    [
        (135, -2, "met"),
        (134, 0, "not_met"),
        (140, -3, "not_met"),
        (140, None, "unknown"),
        (None, -3, "not_met"),  # a known shortfall outweighs the missing flexion
    ],
)
def test_without_the_other_knee_range_of_motion_is_read_against_adult_norms(
    flexion: int | None, extension: int | None, status: str
) -> None:
    assert criteria(rom=[knee(flexion, extension)])["full_range_of_motion"].status == status


def test_old_measurements_do_not_count_and_every_treated_knee_must_be_full() -> None:
    days = FOLLOWUP.discharge.evidence_within_days.value
    assert criteria(rom=[knee(140, 0, days=days + 1)])["full_range_of_motion"].status == "unknown"
    both = criteria(rom=[knee(140, 0), knee(120, 0, side="right")])["full_range_of_motion"]
    assert both.status == "not_met"
    assert "right knee: extension +0 deg" in both.evidence


def test_the_outcome_goal_reads_the_latest_valid_score_of_the_main_instrument() -> None:
    at_goal = [
        ScoredResponse(ago(40), "koos", {"koos4": 50}),
        ScoredResponse(ago(5), "koos", {"koos4": 80}),
    ]
    assert criteria(responses=at_goal)["outcome_goal"].status == "met"
    below = [ScoredResponse(ago(5), "koos", {"koos4": 79.9})]
    assert criteria(responses=below)["outcome_goal"].status == "not_met"
    invalid = [ScoredResponse(ago(5), "koos", {"koos4": None})]
    assert criteria(responses=invalid)["outcome_goal"].status == "unknown"
    lefs = [ScoredResponse(ago(5), "lefs", {"total": 72})]
    assert criteria(responses=lefs, main="lefs")["outcome_goal"].status == "met"
    assert criteria(responses=lefs, main="koos")["outcome_goal"].status == "unknown"


def test_back_to_running_from_logged_runs() -> None:
    runs = [Run(ago(d), 5.0, pain_during=p) for d, p in ((12, 0), (8, 1), (2, 0))]
    assert criteria(goal="return_to_running", runs=runs)["target_activity"].status == "met"
    painful = [*runs, Run(ago(1), 5.0, pain_during=3)]
    found = criteria(goal="return_to_running", runs=painful)["target_activity"]
    assert found.status == "not_met"
    assert "pain 3/10" in found.evidence
    two = criteria(goal="return_to_running", runs=runs[1:])["target_activity"]
    assert (two.status, "3 needed" in two.evidence) == ("not_met", True)


def test_back_to_running_when_the_walk_run_programme_is_finished() -> None:
    top = len(KB.running.walk_run.levels)
    sessions = [
        Run(
            ago(d),
            4.8,
            surface="track_or_treadmill",
            pain_during=1,
            pain_next_morning=1,
            pain_before=1,
            walk_run_level=top,
        )
        for d in (4, 2)
    ]
    assert criteria(goal="return_to_running", runs=sessions)["target_activity"].status == "met"
    one = criteria(goal="return_to_running", runs=sessions[:1])["target_activity"]
    assert one.status != "met"


def test_other_goals_read_the_questionnaire_items_about_them() -> None:
    lefs_walking = {"L11": 4, "L12": 3}
    found = criteria(goal="walking", responses=[ScoredResponse(ago(3), "lefs", {}, lefs_walking)])
    assert found["target_activity"].status == "met"
    hard = criteria(
        goal="walking", responses=[ScoredResponse(ago(3), "lefs", {}, {"l11": 4, "l12": 2})]
    )["target_activity"]
    assert hard.status == "not_met"
    assert "walking a mile" in hard.evidence
    koos_stairs = {"A1": 1, "A2": 0, "SP1": 1, "P6": 0}
    found = criteria(
        goal="stairs_and_squatting", responses=[ScoredResponse(ago(3), "koos", {}, koos_stairs)]
    )
    assert found["target_activity"].status == "met"
    partly = criteria(goal="walking", responses=[ScoredResponse(ago(3), "lefs", {}, {"L11": 4})])
    assert partly["target_activity"].status == "unknown"


def test_steps_from_the_best_answer_follow_each_instruments_direction(kb: Knowledge) -> None:
    koos_inst = kb.outcomes.instruments["koos"]
    lefs_inst = kb.outcomes.instruments["lefs"]
    ikdc_inst = kb.outcomes.instruments["ikdc"]
    assert steps_from_best(koos_inst, koos_inst.item("A1"), 0) == 0  # type: ignore[arg-type]
    assert steps_from_best(koos_inst, koos_inst.item("A1"), 3) == 3  # type: ignore[arg-type]
    assert steps_from_best(lefs_inst, lefs_inst.item("L11"), 4) == 0  # type: ignore[arg-type]
    assert steps_from_best(lefs_inst, lefs_inst.item("L11"), 1) == 3  # type: ignore[arg-type]
    assert steps_from_best(ikdc_inst, ikdc_inst.item("Q2"), 0) == 0  # type: ignore[arg-type]
    assert steps_from_best(ikdc_inst, ikdc_inst.item("Q2"), 10) == 10  # type: ignore[arg-type]


# ------------------------------------------------------------------ followup.yaml at load


def broken(tmp_path: Path, edit: Callable[[Any], None]) -> list[str]:
    """The problems the loader reports for followup.yaml changed by `edit`."""
    return problems_of(edited_copy(tmp_path, "followup.yaml", edit))


def test_every_follow_up_threshold_is_cited_or_marked_as_expert_judgement() -> None:
    review, discharge = FOLLOWUP.review, FOLLOWUP.discharge
    cited = [
        FOLLOWUP.instruments,
        FOLLOWUP.schedule,
        review.pain_worse,
        review.adequate_care,
        review.no_improvement,
        review.snooze_days,
        discharge.pain_free,
        discharge.full_range_of_motion.other_knee,
        discharge.full_range_of_motion.normative,
        discharge.evidence_within_days,
        discharge.target_activity.return_to_running,
        *discharge.outcome_goal.values(),
        *discharge.target_activity.by_goal.values(),
    ]
    for item in cited:
        assert (item.source in KB.sources) or len((item.expert_judgement or "").strip()) >= 10
    assert KB.sources["ikdc_knee_exam_2000"].kind == "recalled"
    (failed,) = [r for r in KB.rules if r.id == FOLLOWUP.review.failed_care.rule]
    assert failed.source == "kise_2016"


def test_a_checklist_item_naming_an_unknown_or_clinician_finding_is_refused(
    tmp_path: Path,
) -> None:
    def edit(data: Any) -> None:
        data["safety_checklist"]["items"][0]["findings"] = {"calf_swolen": True}
        data["safety_checklist"]["items"][1]["findings"] = {"wells_pitting_oedema": True}

    assert broken(tmp_path, edit) == [
        "followup.yaml: safety item new_calf_swelling: unknown finding 'calf_swolen'",
        "followup.yaml: safety item whole_leg_swollen: 'wells_pitting_oedema' must be a yes/no "
        "question the person answers",
    ]


def test_unknown_rules_scales_items_and_conditions_are_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["review"]["failed_care"]["rule"] = "sc_nothing"
        data["discharge"]["outcome_goal"]["lefs"]["scale"] = "sum"
        data["discharge"]["target_activity"]["by_goal"]["walking"]["items"]["lefs"] = ["L21"]
        data["instruments"]["lefs_for_conditions"].append("calf_cramp")
        data["instruments"]["improvement_scales"]["koos"].append("koos4")

    found = broken(tmp_path, edit)
    for expected in (
        "followup.yaml: review.failed_care: unknown red-flag rule 'sc_nothing'",
        "followup.yaml: discharge.outcome_goal.lefs: unknown scale 'sum'",
        "followup.yaml: target_activity.by_goal.walking: unknown lefs item 'L21'",
        "followup.yaml: instruments: unknown condition 'calf_cramp'",
        "followup.yaml: instruments.improvement_scales.koos: 'koos4' has no MCID in outcomes.yaml",
    ):
        assert expected in found
    assert len(found) == 5


def test_an_uncited_threshold_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        del data["review"]["adequate_care"]["expert_judgement"]

    (problem,) = broken(tmp_path, edit)
    assert problem.startswith("followup.yaml: review, adequate_care")
    assert "'source'" in problem
