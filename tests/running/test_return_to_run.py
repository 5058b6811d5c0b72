"""The walk-run programme: start, repeat, progress, step back, rest days and weekly limits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from popliteal.knowledge.loader import default_knowledge
from popliteal.knowledge.schema import RunningFile
from popliteal.running.return_to_run import WalkRunAdvice, walk_run_advice, walk_run_levels
from popliteal.running.rules import KM_PER_MILE, SURFACES, Run

RUNNING = default_knowledge().running
TODAY = date(2025, 6, 30)
TWO_MI_KM = 2 * KM_PER_MILE  # 3.218688 km: levels 1-5
CAP_KM = 0.8 * 15 * KM_PER_MILE  # 19.312128 km: 80% of the flagged 15 mi


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def session(
    days_ago: int,
    level: int,
    *,
    during: int | None = 1,
    before: int | None = 1,
    morning: int | None = 1,
    surface: str | None = "track_or_treadmill",
) -> Run:
    """A walk-run session; by default one that passed (1/10, no worse next morning, track)."""
    return Run(
        day=ago(days_ago),
        distance_km=RUNNING.walk_run.levels[level - 1].total_km,
        surface=surface,
        pain_during=during,
        pain_before=before,
        pain_next_morning=morning,
        walk_run_level=level,
    )


def advise(runs: list[Run], **kwargs: object) -> WalkRunAdvice:
    return walk_run_advice(runs, today=TODAY, settings=RUNNING, **kwargs)  # type: ignore[arg-type]


def test_levels_for_pages() -> None:
    levels = walk_run_levels(RUNNING)
    assert [lv.number for lv in levels] == list(range(1, 9))
    assert levels[0].distance_mi == 2
    assert levels[0].distance_km == pytest.approx(3.218688)
    assert levels[0].segments == [("walk", 0.1), ("jog", 0.1)]
    assert levels[0].repeats == 10
    assert levels[1].repeats is None  # alternate until 2 miles
    assert levels[6].distance_km == pytest.approx(4.828032)  # 3 mi
    assert "10 times" in levels[0].description


def test_a_new_programme_starts_today_at_level_1() -> None:
    advice = advise([])
    assert (advice.level, advice.action) == (1, "start")
    assert advice.can_run_today
    assert advice.next_run_on == TODAY
    assert advice.sessions_this_week == 0
    assert advice.max_sessions_per_week == 4
    assert advice.weekly_cap_km == pytest.approx(CAP_KM)
    # Sessions today, +2, +4, +6 (never two days in a row): 4 x 3.218688 = 12.874752 km
    assert advice.planned_week_km == pytest.approx(4 * TWO_MI_KM)
    assert advice.preferred_surfaces == ["track_or_treadmill", "grass_or_mixed"]
    assert advise([], start_level=3).level == 3
    with pytest.raises(ValueError, match="start_level"):
        advise([], start_level=9)


def test_one_good_session_is_repeated_before_moving_up() -> None:
    # trials_2023_rtr: repeat each level at least twice.
    advice = advise([session(2, 1)])
    assert (advice.level, advice.action) == (1, "repeat")
    assert "1 time(s)" in advice.reason
    assert advice.can_run_today


def test_two_good_sessions_move_up_a_level() -> None:
    advice = advise([session(4, 1), session(2, 1)])
    assert (advice.level, advice.action) == (2, "progress")
    assert advice.can_run_today
    assert advice.sessions_this_week == 2


def test_rest_the_day_after_a_run() -> None:
    # delaware_run_2018: not on consecutive days.
    advice = advise([session(3, 1), session(1, 1)])
    assert advice.action == "rest"
    assert not advice.can_run_today
    assert advice.next_run_on == ago(-1)
    assert advice.level == 2  # what to do tomorrow
    assert "yesterday" in advice.reason
    assert "level 2" in advice.reason


def test_a_run_today_means_the_next_is_the_day_after_tomorrow() -> None:
    advice = advise([session(0, 1)])
    assert advice.action == "rest"
    assert advice.next_run_on == ago(-2)
    assert "already ran today" in advice.reason


def test_any_run_counts_for_rest_days() -> None:
    advice = advise([Run(day=ago(1), distance_km=5.0)])
    assert advice.action == "rest"
    assert advice.level == 1


def test_pain_above_3_during_a_session_steps_back() -> None:
    advice = advise([session(4, 3), session(2, 3, during=4)])
    assert (advice.level, advice.action) == (2, "step_back")
    assert "4/10" in advice.reason
    assert "above 3/10" in advice.reason
    # 3/10 is within the rule: not a step back.
    assert advise([session(4, 3), session(2, 3, during=3)]).action == "progress"


def test_more_pain_next_morning_steps_back() -> None:
    # Baseline is the morning's pain before (1): 2 next morning is worse.
    advice = advise([session(4, 3), session(2, 3, before=1, during=2, morning=2)])
    assert (advice.level, advice.action) == (2, "step_back")
    assert "2/10, more than the 1/10 before" in advice.reason
    # No morning log: baseline is pain during (2), so 2 next morning is not worse.
    assert advise([session(4, 3), session(2, 3, before=None, during=2, morning=2)]).level == 4


def test_at_level_1_stepping_back_stays_at_1_and_points_to_the_clinician() -> None:
    advice = advise([session(2, 1, during=6)])
    assert (advice.level, advice.action) == (1, "step_back")
    assert "clinician" in advice.reason


def test_unknown_next_morning_pain_holds_the_level() -> None:
    advice = advise([session(4, 1), session(2, 1, morning=None)])
    assert (advice.level, advice.action) == (1, "repeat")
    assert "not known yet" in advice.reason
    advice = advise([session(4, 1), session(2, 1, during=None)])
    assert (advice.level, advice.action) == (1, "repeat")
    assert "not recorded" in advice.reason


def test_a_session_on_concrete_does_not_count_towards_moving_up() -> None:
    # trials_2023_rtr: level surfaces.
    advice = advise([session(4, 1), session(2, 1, surface="road_or_concrete")])
    assert (advice.level, advice.action) == (1, "repeat")
    assert "road or concrete" in advice.reason
    # Back on a track, the streak restarts: 1 good session after the road one.
    runs = [session(6, 1), session(4, 1, surface="road_or_concrete"), session(2, 1)]
    assert advise(runs).action == "repeat"


def test_never_more_than_2_levels_up_in_7_days() -> None:
    # delaware_run_2018. With one session per level (a clinic's edited rule) a person could climb
    # every other day; levels up on days -4 (2) and -2 (3) fill the 7-day allowance.
    raw = RUNNING.model_dump()
    raw["walk_run"]["min_sessions_per_level"] = {"value": 1, "expert_judgement": "test setting"}
    quick = RunningFile.model_validate(raw)
    runs = [session(6, 1), session(4, 2), session(2, 3)]
    advice = walk_run_advice(runs, today=TODAY, settings=quick)
    assert (advice.level, advice.action) == (3, "repeat")
    assert "moved up 2 levels" in advice.reason
    # Levels up on days -12 (2), -8 (3) and -2 (4): only one in the last 7 days, so move up.
    runs = [session(14, 1), session(12, 2), session(8, 3), session(2, 4)]
    advice = walk_run_advice(runs, today=TODAY, settings=quick)
    assert (advice.level, advice.action) == (5, "progress")


def test_at_most_4_runs_in_any_7_days() -> None:
    # Runs on days -6, -5, -3, -2 (against advice): 4 in the 7 days before today -> rest.
    runs = [session(d, 1) for d in (6, 5, 3, 2)]
    advice = advise(runs)
    assert advice.action == "rest"
    assert "4 runs in the last 7 days" in advice.reason
    # Tomorrow the window is days -5 .. 0: 3 runs, and today is a rest day -> run tomorrow.
    assert advice.next_run_on == ago(-1)
    assert advice.sessions_this_week == 4


def test_the_week_stays_under_the_cap() -> None:
    # A 17 km run on day -3 plus a 3.22 km session would be 20.2 km, over 19.31 km: wait until
    # day -3 leaves the window, on day +4 (window -2 .. +3).
    advice = advise([Run(day=ago(3), distance_km=17.0)])
    assert advice.action == "rest"
    assert "over 12 miles" in advice.reason
    assert advice.next_run_on == ago(-4)
    # 15 km + 3.22 km = 18.22 km fits.
    assert advise([Run(day=ago(3), distance_km=15.0)]).can_run_today


def test_the_last_level_is_held() -> None:
    advice = advise([session(4, 8), session(2, 8)])
    assert (advice.level, advice.action) == (8, "repeat")
    assert "last level" in advice.reason


_session = st.builds(
    lambda d, level, during, morning, surface: Run(
        day=ago(d),
        distance_km=RUNNING.walk_run.levels[level - 1].total_km,
        surface=surface,
        pain_during=during,
        pain_next_morning=morning,
        walk_run_level=level,
    ),
    st.integers(0, 30),
    st.integers(1, 8),
    st.one_of(st.none(), st.integers(0, 10)),
    st.one_of(st.none(), st.integers(0, 10)),
    st.sampled_from([*SURFACES, None]),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(_session, max_size=12))
def test_advice_always_keeps_the_programme_rules(runs: list[Run]) -> None:
    advice = advise(runs)
    assert 1 <= advice.level <= 8
    assert advice.planned_week_km <= advice.weekly_cap_km + 1e-9
    run_days = {r.day for r in runs}
    assert advice.next_run_on - timedelta(days=1) not in run_days
    assert advice.next_run_on not in run_days
    assert advice.can_run_today == (advice.next_run_on == TODAY)
    assert (advice.action == "rest") != advice.can_run_today
    if runs:
        last = max(runs, key=lambda r: r.day)
        # Ties on a day: the advice follows the last listed; any move is one level at most.
        same_day = [r.walk_run_level or 0 for r in runs if r.day == last.day]
        assert min(abs(advice.level - lv) for lv in same_day) <= 1
