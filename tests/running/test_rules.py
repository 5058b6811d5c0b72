"""Running-load metrics and flags, each checked against values worked by hand (§3.12)."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from popliteal.knowledge.loader import default_knowledge
from popliteal.running.report_json import report_to_json
from popliteal.running.rules import (
    KM_PER_MILE,
    SURFACES,
    LoadReport,
    Run,
    acwr_ewma,
    acwr_rolling,
    daily_loads,
    load_report,
    longest_run_spike_pct,
    surface_share,
    symptomatic_from_pain,
    to_unit,
    week_over_week_change_pct,
    weekly_totals,
)

RUNNING = default_knowledge().running
TODAY = date(2025, 6, 30)
MILE = KM_PER_MILE


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def report(runs: list[Run], **kwargs: object) -> LoadReport:
    return load_report(runs, today=TODAY, settings=RUNNING, **kwargs)  # type: ignore[arg-type]


def flag_ids(rep: LoadReport) -> list[str]:
    return [f.id for f in rep.flags]


def flag(rep: LoadReport, flag_id: str) -> tuple[str, str]:
    (found,) = [f for f in rep.flags if f.id == flag_id]
    return found.message, found.source


def series(daily_km: list[float], *, surface: str | None = "grass_or_mixed") -> list[Run]:
    """One run per non-zero day, the last value on TODAY."""
    n = len(daily_km)
    return [
        Run(day=ago(n - 1 - i), distance_km=km, surface=surface)
        for i, km in enumerate(daily_km)
        if km > 0
    ]


# ------------------------------------------------------------------ units and the daily series


def test_unit_conversion_uses_the_international_mile() -> None:
    # 15 mi = 15 x 1.609344 = 24.14016 km; 10 km = 10 / 1.609344 = 6.2137 mi
    assert to_unit(24.14016, "mi") == pytest.approx(15.0)
    assert to_unit(10.0, "mi") == pytest.approx(6.213712)
    assert to_unit(10.0, "km") == 10.0
    with pytest.raises(ValueError, match="unit"):
        to_unit(1.0, "yards")  # type: ignore[arg-type]


def test_daily_series_is_zero_filled_and_adds_runs_of_one_day() -> None:
    runs = [
        Run(day=ago(3), distance_km=5.0),
        Run(day=ago(3), distance_km=3.0),  # same day: 5 + 3 = 8
        Run(day=ago(1), distance_km=4.0),
        Run(day=ago(9), distance_km=99.0),  # before start: left out
        Run(day=TODAY + timedelta(days=1), distance_km=99.0),  # after end: left out
    ]
    assert daily_loads(runs, start=ago(4), end=TODAY) == [0.0, 8.0, 0.0, 4.0, 0.0]
    assert daily_loads(runs, start=TODAY, end=ago(1)) == []


def test_weekly_blocks_end_on_the_last_day_and_the_oldest_may_be_partial() -> None:
    fourteen = [float(i) for i in range(1, 15)]
    # 1+...+7 = 28; 8+...+14 = 77
    assert weekly_totals(fourteen) == [28.0, 77.0]
    ten = [float(i) for i in range(1, 11)]
    # [1, 2, 3] = 6 (partial), then 4+...+10 = 49
    assert weekly_totals(ten) == [6.0, 49.0]
    assert weekly_totals([0.0] * 7) == [0.0]
    assert weekly_totals([2.5]) == [2.5]
    assert weekly_totals([]) == []


def test_week_over_week_change() -> None:
    # (13 - 10) / 10 x 100 = 30; (5 - 10) / 10 x 100 = -50
    assert week_over_week_change_pct([10.0, 13.0]) == pytest.approx(30.0)
    assert week_over_week_change_pct([99.0, 10.0, 5.0]) == pytest.approx(-50.0)
    assert week_over_week_change_pct([0.0, 5.0]) is None  # from nothing: no finite change
    assert week_over_week_change_pct([5.0]) is None
    assert week_over_week_change_pct([]) is None


# ------------------------------------------------------------------ acute:chronic ratios


def test_rolling_ratio_by_hand() -> None:
    # 21 days of 1 km then 7 days of 2 km: acute = 2, chronic = (21 + 14) / 28 = 1.25 -> 1.6
    daily = [1.0] * 21 + [2.0] * 7
    assert acwr_rolling(daily) == pytest.approx(1.6)
    # A 29th (oldest) day falls outside the 28-day window and changes nothing.
    assert acwr_rolling([100.0, *daily]) == pytest.approx(1.6)
    # 27 days: the chronic window is incomplete, so no value.
    assert acwr_rolling(daily[1:]) is None
    assert acwr_rolling([0.0] * 28) is None  # no chronic load
    assert acwr_rolling([]) is None


def test_ewma_ratio_by_hand() -> None:
    # lambda_a = 2/8 = 0.25, lambda_c = 2/29; both seeded with day 1 = 4.
    # day 2 (0 km): a = 0.75 x 4 = 3;             c = 27/29 x 4 = 108/29
    # day 3 (8 km): a = 0.25 x 8 + 0.75 x 3 = 4.25; c = 2/29 x 8 + 27/29 x 108/29 = 3380/841
    # ratio = 4.25 / (3380/841) = 4.25 x 841 / 3380 = 1.05747...
    assert acwr_ewma([4.0, 0.0, 8.0]) == pytest.approx(4.25 * 841 / 3380)
    # Zero-load days first: a = 0, 0, 0.25 x 3 = 0.75; c = 0, 0, 2/29 x 3 = 6/29 -> 3.625
    assert acwr_ewma([0.0, 0.0, 3.0]) == pytest.approx(3.625)
    assert acwr_ewma([5.0]) == 1.0  # one day: both averages are that day
    assert acwr_ewma([0.0] * 40) is None
    assert acwr_ewma([]) is None


# ------------------------------------------------------------------ single-run spike


def test_spike_compares_the_longest_recent_run_with_the_previous_30_days() -> None:
    runs = [Run(day=ago(20), distance_km=10.0), Run(day=ago(3), distance_km=11.0)]
    # (11 - 10) / 10 x 100 = 10
    assert longest_run_spike_pct(runs, today=TODAY) == pytest.approx(10.0)
    # The 30 days before the run on day -3 are days -33 .. -4.
    inside = [Run(day=ago(33), distance_km=10.0), Run(day=ago(3), distance_km=15.0)]
    assert longest_run_spike_pct(inside, today=TODAY) == pytest.approx(50.0)
    outside = [Run(day=ago(34), distance_km=10.0), Run(day=ago(3), distance_km=15.0)]
    assert longest_run_spike_pct(outside, today=TODAY) is None
    # No run in the last 7 days (day -7 is outside: the 7 days are -6 .. 0).
    assert longest_run_spike_pct([Run(day=ago(7), distance_km=5.0)], today=TODAY) is None
    # Shorter than before: negative.
    shorter = [Run(day=ago(10), distance_km=10.0), Run(day=ago(1), distance_km=5.0)]
    assert longest_run_spike_pct(shorter, today=TODAY) == pytest.approx(-50.0)


def test_runs_on_one_day_are_separate_and_not_before_each_other() -> None:
    today_only = [Run(day=TODAY, distance_km=5.0), Run(day=TODAY, distance_km=8.0)]
    assert longest_run_spike_pct(today_only, today=TODAY) is None
    with_history = [*today_only, Run(day=ago(10), distance_km=5.0)]
    # longest 8 (not 5 + 8) vs 5: (8 - 5) / 5 x 100 = 60
    assert longest_run_spike_pct(with_history, today=TODAY) == pytest.approx(60.0)


def test_of_equally_long_recent_runs_the_first_counts() -> None:
    runs = [
        Run(day=ago(20), distance_km=5.0),
        Run(day=ago(5), distance_km=10.0),
        Run(day=ago(1), distance_km=10.0),  # compared with day -5 it would show 0%
    ]
    # day -5's 10 km vs 5 km: 100
    assert longest_run_spike_pct(runs, today=TODAY) == pytest.approx(100.0)


# ------------------------------------------------------------------ surfaces


def test_surface_shares_of_the_last_28_days() -> None:
    runs = [
        Run(day=TODAY, distance_km=6.0, surface="road_or_concrete"),
        Run(day=ago(10), distance_km=2.0, surface="uneven_or_trail"),
        Run(day=ago(27), distance_km=2.0),  # no surface recorded
        Run(day=ago(28), distance_km=100.0, surface="road_or_concrete"),  # outside the window
    ]
    # 6 / 10, 2 / 10, 2 / 10
    assert surface_share(runs, today=TODAY) == {
        "road_or_concrete": pytest.approx(0.6),
        "uneven_or_trail": pytest.approx(0.2),
        "track_or_treadmill": 0.0,
        "grass_or_mixed": 0.0,
        "unknown": pytest.approx(0.2),
    }
    assert surface_share([], today=TODAY) == dict.fromkeys((*SURFACES, "unknown"), 0.0)


# ------------------------------------------------------------------ the report over time


@pytest.mark.parametrize(
    ("days", "rolling_present", "note"),
    [
        (1, False, "chronic window incomplete: 1 of 28 days"),
        (7, False, "chronic window incomplete: 7 of 28 days"),
        (27, False, "chronic window incomplete: 27 of 28 days"),
        (28, True, None),
        (29, True, None),
    ],
)
def test_first_weeks_say_what_is_missing(
    days: int, rolling_present: bool, note: str | None
) -> None:
    rep = report(series([2.0] * days))
    assert rep.days == days
    assert len(rep.weekly_totals) == math.ceil(days / 7)
    # Constant load: both ratios are 1 whenever they exist; EWMA exists from day 1.
    assert rep.acwr_ewma == pytest.approx(1.0)
    assert (rep.acwr_rolling is not None) == rolling_present
    if rolling_present:
        assert rep.acwr_rolling == pytest.approx(1.0)
    incomplete = [n for n in rep.notes if n.startswith("chronic window incomplete")]
    if note is None:
        assert incomplete == []
    else:
        assert len(incomplete) == 1
        assert incomplete[0].startswith(note + ";")


def test_week_over_week_needs_two_full_weeks() -> None:
    # 10 days: blocks of 3 and 7 days; comparing a 3-day block would inflate the change.
    rep = report(series([5.0] * 10))
    assert rep.weekly_totals == pytest.approx([15.0, 35.0])
    assert rep.week_over_week_change_pct is None
    assert "week-over-week change needs two full weeks: 10 of 14 days" in rep.notes
    rep = report(series([5.0] * 14))
    assert rep.week_over_week_change_pct == pytest.approx(0.0)


def test_a_person_with_no_runs_gets_an_empty_report() -> None:
    rep = report([])
    assert rep.days == 1
    assert rep.daily == [0.0]
    assert rep.weekly_totals == [0.0]
    assert rep.acwr_rolling is None
    assert rep.acwr_ewma is None
    assert rep.longest_run_spike_pct is None
    assert rep.flags == []


def test_start_before_the_first_run_adds_zero_days() -> None:
    rep = report([Run(day=TODAY, distance_km=3.0)], start=ago(2))
    assert rep.daily == [0.0, 0.0, 3.0]
    with pytest.raises(ValueError, match="after today"):
        report([], start=TODAY + timedelta(days=1))


def test_runs_after_today_are_left_out_and_noted() -> None:
    rep = report([Run(day=TODAY, distance_km=3.0), Run(day=TODAY + timedelta(1), distance_km=9.0)])
    assert rep.daily == [3.0]
    assert "1 run(s) dated after 2025-06-30 left out" in rep.notes


def test_distances_are_shown_in_miles_when_asked() -> None:
    # Two 5-mile runs = 10 mi in the week.
    runs = [Run(day=ago(2), distance_km=5 * MILE), Run(day=TODAY, distance_km=5 * MILE)]
    rep = report(runs, unit="mi")
    assert rep.unit == "mi"
    assert rep.weekly_totals == [pytest.approx(10.0)]
    assert rep.daily == [pytest.approx(5.0), 0.0, pytest.approx(5.0)]


# ------------------------------------------------------------------ flags at their boundaries


def test_weekly_limit_is_15_miles_while_symptomatic() -> None:
    # seed_chiro_runner: "over 15 miles per week". Three 5-mile runs = exactly 15: not above.
    at_limit = [Run(day=ago(d), distance_km=5 * MILE) for d in (0, 2, 4)]
    assert "weekly_over_limit" not in flag_ids(report(at_limit, unit="mi", symptomatic=True))
    over = [*at_limit, Run(day=ago(6), distance_km=0.01 * MILE)]  # 15.01 mi
    rep = report(over, unit="mi", symptomatic=True)
    message, source = flag(rep, "weekly_over_limit")
    assert source == "seed_chiro_runner"
    assert "15.01 mi" in message
    assert "15 mi" in message
    assert "assumed" not in message
    # In km: 15.01 mi = 24.16 km, above 24.14 km.
    message, _ = flag(report(over, symptomatic=True), "weekly_over_limit")
    assert "24.16 km" in message
    assert "24.14 km" in message
    # Not symptomatic: no flag. Unknown: assumed symptomatic, and the message says so.
    assert "weekly_over_limit" not in flag_ids(report(over, symptomatic=False))
    message, _ = flag(report(over, symptomatic=None), "weekly_over_limit")
    assert "assumed" in message


def weeks_of_miles(weekly_miles: list[float]) -> list[Run]:
    """Each week as four equal runs (days 0, 2, 4, 6 of the block); the last week ends TODAY."""
    n = len(weekly_miles)
    return [
        Run(day=ago(7 * (n - 1 - w) + d), distance_km=miles / 4 * MILE, pain_during=0)
        for w, miles in enumerate(weekly_miles)
        for d in (6, 4, 2, 0)
    ]


@pytest.mark.parametrize("symptomatic", [False, None])
def test_a_runner_long_above_15_miles_without_pain_is_not_flagged_any_week(
    symptomatic: bool | None,
) -> None:
    # The seed page's 15 miles (seed_chiro_runner) are a caution for people building up: 22-25
    # miles a week for months, pain-free, is this runner's usual load and never flagged.
    months = [22.0, 25.0, 23.0, 24.0, 25.0, 22.0, 24.0, 23.0, 25.0, 24.0, 22.0, 25.0, 23.0]
    for weeks in range(5, len(months) + 1):
        rep = report(weeks_of_miles(months[:weeks]), unit="mi", symptomatic=symptomatic)
        assert "weekly_over_limit" not in flag_ids(rep), weeks
        assert rep.usual_week is not None


def test_a_jump_from_8_to_18_miles_is_flagged_even_without_pain() -> None:
    # 18 mi against a usual 8 a week: 125% more (said "about 130%"), above 30% over usual.
    rep = report(weeks_of_miles([8.0, 8.0, 8.0, 8.0, 18.0]), unit="mi", symptomatic=False)
    assert rep.usual_week == pytest.approx(8.0)
    message, source = flag(rep, "weekly_over_limit")
    assert source == "expert_judgement"  # the 30% over the usual week, reasoned in running.yaml
    assert "18 mi in the last 7 days, above 15 mi a week" in message
    assert "about 130% more than your usual week (8 mi)" in message
    # The same jump after a single week of 8 miles is flagged too.
    assert "weekly_over_limit" in flag_ids(
        report(weeks_of_miles([8.0, 18.0]), unit="mi", symptomatic=False)
    )


def test_the_usual_week_boundary_is_30_percent_over_it() -> None:
    # Usual 16 mi: 20.8 mi is exactly 30% more (not flagged); 20.9 mi is above.
    at = report(weeks_of_miles([16.0] * 4 + [20.8]), unit="mi", symptomatic=False)
    assert "weekly_over_limit" not in flag_ids(at)
    above = report(weeks_of_miles([16.0] * 4 + [20.9]), unit="mi", symptomatic=False)
    assert "weekly_over_limit" in flag_ids(above)


def test_pain_with_a_usual_week_above_15_miles_is_flagged() -> None:
    rep = report(weeks_of_miles([24.0] * 5), unit="mi", symptomatic=True)
    message, source = flag(rep, "weekly_over_limit")
    assert source == "seed_chiro_runner"
    assert "while your knee hurts" in message


@pytest.mark.parametrize(
    ("longest_km", "expected"),
    [
        (11.0, None),  # (11 - 10) / 10 = exactly 10%: not above
        (11.001, "run_spike_10"),  # 10.01%
        (13.0, "run_spike_10"),  # exactly 30%
        (13.001, "run_spike_30"),  # 30.01%
        (20.0, "run_spike_30"),  # exactly 100%
        (20.001, "run_spike_100"),  # 100.01%
    ],
)
def test_single_run_spike_tiers(longest_km: float, expected: str | None) -> None:
    # frandsen_2025: >10-30% HRR 1.64, >30-100% 1.52, >100% 2.28. Only the strongest tier shows.
    runs = [Run(day=ago(20), distance_km=10.0), Run(day=ago(1), distance_km=longest_km)]
    rep = report(runs, symptomatic=False)
    spikes = [f for f in rep.flags if f.id.startswith("run_spike")]
    assert [f.id for f in spikes] == ([expected] if expected else [])
    if expected:
        assert spikes[0].source == "frandsen_2025"
        assert "10 km" in spikes[0].message  # the previous longest run, named


def test_spike_message_shows_percent_and_threshold() -> None:
    runs = [Run(day=ago(20), distance_km=10.0), Run(day=ago(1), distance_km=11.001)]
    message, _ = flag(report(runs), "run_spike_10")
    assert "about 10% longer" in message  # 10.01%, said as people say it
    assert "within 10%" in message
    assert "Sun 29 Jun" in message


def test_week_over_week_increase_above_30_percent() -> None:
    # nielsen_2014_jospt. Week 1: 10 km on day -13. Week 2: 13 km (30%) or 13.01 km (30.1%).
    for km, fires in ((13.0, False), (13.01, True)):
        daily = [10.0] + [0.0] * 6 + [km] + [0.0] * 6
        rep = report(series(daily), symptomatic=False)
        assert rep.week_over_week_change_pct == pytest.approx((km - 10) / 10 * 100)
        assert ("weekly_increase_over_30" in flag_ids(rep)) is fires
    message, source = flag(rep, "weekly_increase_over_30")
    assert source == "nielsen_2014_jospt"
    assert "about 30% more" in message  # 30.1%
    assert "more than 30%" in message


def test_rolling_ratio_above_1_5_is_flagged_and_called_contested() -> None:
    # gabbett_2016. 21 days of 1 km, then 7 days of 1.8 km: acute 1.8, chronic
    # (21 + 12.6) / 28 = 1.2 -> exactly 1.5, not above. EWMA on that series is about 1.29.
    at = report(series([1.0] * 21 + [1.8] * 7), symptomatic=False)
    assert at.acwr_rolling == pytest.approx(1.5)
    assert at.acwr_ewma is not None
    assert at.acwr_ewma < 1.5
    assert "acwr_over_1_5" not in flag_ids(at)
    # 1.81 km: acute 1.81, chronic (21 + 12.67) / 28 = 1.2025 -> 1.5052
    above = report(series([1.0] * 21 + [1.81] * 7), symptomatic=False)
    assert above.acwr_rolling == pytest.approx(1.81 / 1.2025)
    message, source = flag(above, "acwr_over_1_5")
    assert source == "gabbett_2016"
    assert "about 1.5 times your usual running" in message
    assert "contested" in message
    assert "did not predict" in message


def test_ewma_ratio_alone_can_raise_the_flag() -> None:
    # [1, 5]: a = 0.25 x 5 + 0.75 x 1 = 2; c = 2/29 x 5 + 27/29 = 37/29 -> 58/37 = 1.5676
    rep = report(series([1.0, 5.0]), symptomatic=False)
    assert rep.acwr_rolling is None
    assert rep.acwr_ewma == pytest.approx(58 / 37)
    message, _ = flag(rep, "acwr_over_1_5")
    assert "about 1.6 times" in message
    assert "EWMA" not in message


@pytest.mark.parametrize(
    ("flag_id", "surface"),
    [("mostly_hard_surface", "road_or_concrete"), ("mostly_uneven_surface", "uneven_or_trail")],
)
def test_more_than_half_on_concrete_or_uneven_ground_while_symptomatic(
    flag_id: str, surface: str
) -> None:
    # seed_chiro_runner: hard surfaces such as concrete; uneven surfaces. 5 of 10 km = 50%: not
    # more than half. 5.1 of 10 km = 51%: flagged.
    def runs(km: float) -> list[Run]:
        return [
            Run(day=ago(3), distance_km=km, surface=surface),
            Run(day=ago(1), distance_km=10 - km, surface="grass_or_mixed"),
        ]

    assert flag_id not in flag_ids(report(runs(5.0), symptomatic=True))
    rep = report(runs(5.1), symptomatic=True)
    message, source = flag(rep, flag_id)
    assert source == "seed_chiro_runner"
    assert "51% of your distance in the last 28 days" in message
    assert "more than 50%" in message
    assert flag_id not in flag_ids(report(runs(5.1), symptomatic=False))


def test_pain_during_a_run_above_3_in_the_last_7_days() -> None:
    # expert_judgement: 3/10 ceiling for running (stricter than 5/10 for home exercise).
    def rep_for(pain: int, days_ago: int) -> LoadReport:
        return report([Run(day=ago(days_ago), distance_km=3.0, pain_during=pain)])

    assert "pain_during_run_over_3" not in flag_ids(rep_for(3, 1))
    assert "pain_during_run_over_3" not in flag_ids(rep_for(9, 7))  # 7 days ago: outside
    message, source = flag(rep_for(4, 6), "pain_during_run_over_3")
    assert source == "expert_judgement"
    assert "4/10" in message
    assert "above 3/10" in message


@pytest.mark.parametrize(
    ("before", "during", "next_morning", "fires"),
    [
        (2, 5, 3, True),  # baseline = pain before (2) -> 3 is worse
        (2, 5, 2, False),  # back to baseline
        (None, 3, 4, True),  # no morning log: baseline = pain during (3)
        (None, 3, 3, False),
        (1, 1, None, False),  # next morning not known yet
    ],
)
def test_more_pain_next_morning_than_before(
    before: int | None, during: int, next_morning: int | None, fires: bool
) -> None:
    run = Run(
        day=ago(2),
        distance_km=3.0,
        pain_before=before,
        pain_during=during,
        pain_next_morning=next_morning,
    )
    rep = report([run])
    assert ("worse_next_morning" in flag_ids(rep)) is fires
    if fires:
        _, source = flag(rep, "worse_next_morning")
        assert source == "silbernagel_2007"


def test_symptomatic_from_logged_pain() -> None:
    # window 14 days, pain at least 1/10 counts
    assert symptomatic_from_pain([(ago(3), 0), (ago(1), 0)], today=TODAY, settings=RUNNING) is False
    assert symptomatic_from_pain([(ago(13), 1)], today=TODAY, settings=RUNNING) is True
    assert symptomatic_from_pain([(ago(14), 6)], today=TODAY, settings=RUNNING) is None


def test_bad_runs_are_refused() -> None:
    with pytest.raises(ValueError, match="distance_km"):
        Run(day=TODAY, distance_km=-1.0)
    with pytest.raises(ValueError, match="distance_km"):
        Run(day=TODAY, distance_km=math.nan)
    with pytest.raises(ValueError, match="surface"):
        Run(day=TODAY, distance_km=1.0, surface="sand")
    with pytest.raises(ValueError, match="pain_during"):
        Run(day=TODAY, distance_km=1.0, pain_during=11)


# ------------------------------------------------------------------ JSON contract


def test_json_has_the_contract_keys_at_full_precision() -> None:
    runs = [
        Run(day=ago(20), distance_km=10.0, surface="road_or_concrete"),
        Run(day=ago(1), distance_km=10.0 / 3, surface="track_or_treadmill", pain_during=5),
    ]
    rep = report(runs, unit="mi")
    out = report_to_json(rep)
    text = json.dumps(out, allow_nan=False)
    back = json.loads(text)
    for key in (
        "unit",
        "weekly_totals",
        "week_over_week_change_pct",
        "acwr_rolling",
        "acwr_ewma",
        "longest_run_spike_pct",
        "surface_share",
        "flags",
    ):
        assert key in back
    assert back["unit"] == "mi"
    assert back["weekly_totals"] == rep.weekly_totals  # floats survive unrounded
    assert back["acwr_ewma"] == rep.acwr_ewma
    assert back["acwr_rolling"] is None
    # 3.33 km on day -1 vs 10 km on day -20: (10/3 - 10) / 10 x 100 = -66.67
    assert back["longest_run_spike_pct"] == pytest.approx(-200 / 3)
    assert set(back["surface_share"]) == {*SURFACES, "unknown"}
    assert all(set(f) == {"id", "message", "source"} for f in back["flags"])
    assert "pain_during_run_over_3" in [f["id"] for f in back["flags"]]
    assert set(back["acwr_conventions"]) == {"rolling", "ewma"}


# ------------------------------------------------------------------ properties

_days = st.integers(min_value=0, max_value=60)
_runs = st.lists(
    st.builds(
        Run,
        day=_days.map(ago),
        distance_km=st.floats(min_value=0, max_value=60, allow_nan=False),
        surface=st.sampled_from([*SURFACES, None]),
        pain_during=st.one_of(st.none(), st.integers(0, 10)),
        pain_next_morning=st.one_of(st.none(), st.integers(0, 10)),
        pain_before=st.one_of(st.none(), st.integers(0, 10)),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=70))
def test_weekly_totals_add_up_to_the_series(daily: list[float]) -> None:
    totals = weekly_totals(daily)
    assert len(totals) == math.ceil(len(daily) / 7)
    assert math.fsum(totals) == pytest.approx(math.fsum(daily), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=70),
    st.floats(min_value=0.01, max_value=100),
)
def test_scaling_every_load_leaves_the_ratios_unchanged(daily: list[float], k: float) -> None:
    scaled = [x * k for x in daily]
    for ratio in (acwr_rolling, acwr_ewma):
        before, after = ratio(daily), ratio(scaled)
        if before is None or after is None:
            continue  # a tiny chronic load can underflow to 0 when scaled down
        assert after == pytest.approx(before, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(_runs, st.sampled_from(["km", "mi"]), st.sampled_from([True, False, None]))
def test_every_report_is_strict_json_with_at_most_one_spike_flag(
    runs: list[Run], unit: str, symptomatic: bool | None
) -> None:
    rep = report(runs, unit=unit, symptomatic=symptomatic)
    json.dumps(report_to_json(rep), allow_nan=False)
    assert sum(f.id.startswith("run_spike") for f in rep.flags) <= 1
    shares = sum(rep.surface_share.values())
    assert shares == pytest.approx(1.0) or shares == 0.0
    assert math.fsum(rep.weekly_totals) == pytest.approx(math.fsum(rep.daily), abs=1e-6)
    if symptomatic is False:
        assert not {"mostly_hard_surface", "mostly_uneven_surface"} & set(flag_ids(rep))
        if "weekly_over_limit" in flag_ids(rep):  # without pain only well above the usual week
            assert rep.usual_week is not None
            assert rep.weekly_totals[-1] > rep.usual_week * 1.3


def test_a_few_metres_before_is_no_base_for_a_spike() -> None:
    """A watch started by mistake (20 m) is not the longest run to compare a 5 km run with."""
    runs = [Run(day=ago(3), distance_km=0.02), Run(day=ago(0), distance_km=5.0)]
    assert longest_run_spike_pct(runs, today=TODAY) is None
    runs.append(Run(day=ago(4), distance_km=4.0))
    assert longest_run_spike_pct(runs, today=TODAY) == pytest.approx(25.0)


def test_a_week_of_a_few_metres_is_no_base_for_a_weekly_change() -> None:
    """Hypothesis found an infinite week-over-week rise after a week of 2e-313 km."""
    assert week_over_week_change_pct([2.2250738585e-313, 1.0]) is None
    assert week_over_week_change_pct([0.05, 10.0]) is None
    assert week_over_week_change_pct([0.1, 0.2]) == pytest.approx(100.0)


def test_a_subnormal_distance_still_gives_strict_json() -> None:
    """Found by hypothesis: 5e-324 km before a 1 km run made the spike infinite."""
    runs = [Run(day=ago(1), distance_km=5e-324), Run(day=ago(0), distance_km=1.0)]
    rep = report(runs, unit="km", symptomatic=None)
    json.dumps(report_to_json(rep), allow_nan=False)
