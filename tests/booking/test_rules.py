"""Free slots from weekly availability, across clock changes, and the change policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from popliteal.booking import rules
from popliteal.booking.rules import Block, Busy

CHICAGO = "America/Chicago"
TZ = ZoneInfo(CHICAGO)
ALL = ("in_clinic", "virtual", "at_home")
# Far enough before the days asked for that notice and horizon do not cut anything.
EARLY = datetime(2026, 1, 1, tzinfo=UTC)


def slots(
    blocks: list[Block],
    *,
    day: date,
    minutes: int = 60,
    busy: list[Busy] | None = None,
    mode: str = "in_clinic",
    type_modes: tuple[str, ...] = ALL,
    now: datetime = EARLY,
    notice: int = 0,
    horizon: int = 400,
    last_day: date | None = None,
    clinician_id: int | None = None,
) -> list[rules.Slot]:
    return rules.free_slots(
        blocks=blocks,
        busy=busy or [],
        tz=CHICAGO,
        minutes=minutes,
        mode=mode,
        type_modes=type_modes,
        first_day=day,
        last_day=last_day or day,
        now=now,
        min_notice_hours=notice,
        horizon_days=horizon,
        clinician_id=clinician_id,
    )


def local_times(found: list[rules.Slot]) -> list[str]:
    return [s.starts_at.astimezone(TZ).strftime("%H:%M %Z") for s in found]


MONDAY = date(2027, 1, 4)


def test_a_20_minute_visit_steps_every_15_minutes_inside_the_block() -> None:
    found = slots([Block(1, 0, time(8), time(9), ALL)], day=MONDAY, minutes=20)
    assert local_times(found) == ["08:00 CST", "08:15 CST", "08:30 CST"]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=20) for s in found)


def test_a_visit_shorter_than_15_minutes_steps_by_its_own_length() -> None:
    found = slots([Block(1, 0, time(8), time(8, 30), ALL)], day=MONDAY, minutes=10)
    assert local_times(found) == ["08:00 CST", "08:10 CST", "08:20 CST"]


def test_booked_time_is_excluded_as_a_half_open_interval() -> None:
    busy = [
        Busy(1, datetime(2027, 1, 4, 14, 20, tzinfo=UTC), datetime(2027, 1, 4, 14, 40, tzinfo=UTC))
    ]
    found = slots([Block(1, 0, time(8), time(9), ALL)], day=MONDAY, minutes=20, busy=busy)
    # 08:00-08:20 touches the booking at 08:20 but does not overlap it.
    assert local_times(found) == ["08:00 CST"]


def test_another_clinicians_booking_does_not_block() -> None:
    busy = [
        Busy(2, datetime(2027, 1, 4, 14, 0, tzinfo=UTC), datetime(2027, 1, 4, 15, 0, tzinfo=UTC))
    ]
    found = slots([Block(1, 0, time(8), time(9), ALL)], day=MONDAY, minutes=60, busy=busy)
    assert local_times(found) == ["08:00 CST"]


def test_mode_must_be_offered_by_the_type_and_allowed_by_the_block() -> None:
    blocks = [Block(1, 0, time(8), time(9), ("in_clinic",)), Block(2, 0, time(8), time(9), ALL)]
    at_home = slots(blocks, day=MONDAY, mode="at_home")
    assert [s.clinician_id for s in at_home] == [2]
    assert slots(blocks, day=MONDAY, mode="at_home", type_modes=("in_clinic", "virtual")) == []


def test_clinician_filter_and_weekday() -> None:
    blocks = [Block(1, 0, time(8), time(9), ALL), Block(2, 1, time(8), time(9), ALL)]
    assert {s.clinician_id for s in slots(blocks, day=MONDAY, last_day=MONDAY + timedelta(1))} == {
        1,
        2,
    }
    only_two = slots(blocks, day=MONDAY, last_day=MONDAY + timedelta(1), clinician_id=2)
    assert [s.starts_at.astimezone(TZ).date() for s in only_two] == [MONDAY + timedelta(1)]


def test_minimum_notice_and_horizon() -> None:
    blocks = [Block(1, d, time(8), time(12), ALL) for d in range(7)]
    now = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # 09:00 CST on Monday
    found = slots(blocks, day=MONDAY, last_day=MONDAY + timedelta(10), now=now, notice=2, horizon=3)
    assert found[0].starts_at == now + timedelta(hours=2)  # 11:00 CST, the first allowed
    assert max(s.starts_at for s in found) <= now + timedelta(days=3)
    assert min(s.starts_at for s in found) >= now + timedelta(hours=2)
    # Thursday 08:00 CST is more than 3 days after Monday 09:00: out of the horizon.
    assert all(s.starts_at.astimezone(TZ).date() <= date(2027, 1, 7) for s in found)


# -------------------------------------------------------------------- clock changes (Chicago)

SPRING = date(2026, 3, 8)  # 02:00 CST -> 03:00 CDT, a Sunday
FALL = date(2026, 11, 1)  # 02:00 CDT -> 01:00 CST, a Sunday


def test_a_block_keeps_its_wall_times_on_the_spring_forward_day() -> None:
    block = Block(1, 6, time(8), time(10), ALL)
    before = slots([block], day=SPRING - timedelta(7))
    on_the_day = slots([block], day=SPRING)
    assert local_times(before)[0] == "08:00 CST"
    assert local_times(on_the_day)[0] == "08:00 CDT"
    assert before[0].starts_at.hour == 14  # UTC
    assert on_the_day[0].starts_at.hour == 13  # one hour earlier in UTC: same wall time
    assert len(before) == len(on_the_day)


def test_a_block_keeps_its_wall_times_on_the_fall_back_day() -> None:
    block = Block(1, 6, time(8), time(10), ALL)
    before = slots([block], day=FALL - timedelta(7))
    on_the_day = slots([block], day=FALL)
    assert local_times(before)[0] == "08:00 CDT"
    assert local_times(on_the_day)[0] == "08:00 CST"
    assert before[0].starts_at.hour == 13
    assert on_the_day[0].starts_at.hour == 14


def test_the_missing_hour_is_skipped_when_clocks_spring_forward() -> None:
    # 01:00-04:00 wall time is only two real hours on that night.
    found = slots([Block(1, 6, time(1), time(4), ALL)], day=SPRING, minutes=60)
    assert local_times(found) == ["01:00 CST", "01:15 CST", "01:30 CST", "01:45 CST", "03:00 CDT"]
    assert all(s.starts_at.astimezone(TZ).hour != 2 for s in found)
    assert found[-1].ends_at == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)  # 04:00 CDT


def test_a_block_starting_inside_the_missing_hour_starts_when_it_ends() -> None:
    found = slots([Block(1, 6, time(2, 30), time(4), ALL)], day=SPRING, minutes=60)
    assert local_times(found) == ["03:00 CDT"]


def test_the_repeated_hour_is_offered_twice_when_clocks_fall_back() -> None:
    # 01:00-02:00 wall time happens twice: the block is two real hours long.
    found = slots([Block(1, 6, time(1), time(2), ALL)], day=FALL, minutes=60)
    assert local_times(found) == ["01:00 CDT", "01:15 CDT", "01:30 CDT", "01:45 CDT", "01:00 CST"]
    assert len({s.starts_at for s in found}) == len(found)


# -------------------------------------------------------------------- properties

blocks_st = st.lists(
    st.builds(
        lambda c, d, h, m, length, modes: Block(
            c,
            d,
            time(h, m),
            (datetime(2000, 1, 1, h, m, tzinfo=UTC) + timedelta(minutes=length)).time(),
            modes,
        ),
        st.integers(1, 3),
        st.integers(0, 6),
        st.integers(0, 20),
        st.sampled_from([0, 15, 30, 45, 10]),
        st.integers(15, 180),
        st.sampled_from([ALL, ("in_clinic",), ("virtual", "at_home")]),
    ),
    max_size=6,
)
day_st = st.dates(date(2026, 2, 25), date(2026, 11, 10)) | st.sampled_from([SPRING, FALL])


@st.composite
def busy_st(draw: st.DrawFn, start: date) -> list[Busy]:
    base = datetime.combine(start, time(0), tzinfo=UTC)
    out = []
    for _ in range(draw(st.integers(0, 6))):
        offset = draw(st.integers(0, 3 * 24 * 60))
        length = draw(st.integers(5, 120))
        s = base + timedelta(minutes=offset)
        out.append(Busy(draw(st.integers(1, 3)), s, s + timedelta(minutes=length)))
    return out


@settings(max_examples=150, deadline=None)
@given(
    blocks=blocks_st,
    day=day_st,
    minutes=st.sampled_from([10, 20, 30, 45, 60, 90]),
    mode=st.sampled_from(ALL),
    data=st.data(),
    notice=st.integers(0, 48),
    now_offset=st.integers(-3 * 24 * 60, 2 * 24 * 60),
)
def test_slots_are_inside_availability_free_and_within_the_window(
    blocks: list[Block],
    day: date,
    minutes: int,
    mode: str,
    data: st.DataObject,
    notice: int,
    now_offset: int,
) -> None:
    busy = data.draw(busy_st(day - timedelta(days=1)))
    now = datetime.combine(day, time(12), tzinfo=UTC) + timedelta(minutes=now_offset)
    horizon = 2
    found = rules.free_slots(
        blocks=blocks,
        busy=busy,
        tz=CHICAGO,
        minutes=minutes,
        mode=mode,
        type_modes=ALL,
        first_day=day,
        last_day=day + timedelta(days=1),
        now=now,
        min_notice_hours=notice,
        horizon_days=horizon,
    )
    assert len(set(found)) == len(found)
    for slot in found:
        assert slot.ends_at - slot.starts_at == timedelta(minutes=minutes)
        # never overlaps a booking of the same clinician (half-open intervals)
        for b in busy:
            if b.clinician_id == slot.clinician_id:
                assert slot.ends_at <= b.starts_at or b.ends_at <= slot.starts_at
        # inside the booking window
        assert now + timedelta(hours=notice) <= slot.starts_at <= now + timedelta(days=horizon)
        # inside one block of this clinician that allows the mode, in clinic wall time
        start_local = slot.starts_at.astimezone(TZ)
        end_local = slot.ends_at.astimezone(TZ)
        assert start_local.date() in (day, day + timedelta(days=1))
        assert any(
            b.clinician_id == slot.clinician_id
            and mode in b.modes
            and b.weekday == start_local.weekday()
            and end_local.date() == start_local.date()
            and b.start <= start_local.time()
            and end_local.time() <= b.end
            for b in blocks
        ), slot


@settings(max_examples=100, deadline=None)
@given(blocks=blocks_st, day=day_st, minutes=st.sampled_from([15, 20, 60]))
def test_every_slot_is_a_moment_that_exists_on_the_clock(
    blocks: list[Block], day: date, minutes: int
) -> None:
    for slot in slots(blocks, day=day, minutes=minutes):
        local = slot.starts_at.astimezone(TZ)
        # round-trip through wall time gives back the same instant (no phantom times)
        naive = local.replace(tzinfo=None)
        again = naive.replace(tzinfo=TZ, fold=local.fold).astimezone(UTC)
        assert again == slot.starts_at


# -------------------------------------------------------------------- change policy


def test_may_change_up_to_the_notice_period() -> None:
    start = datetime(2027, 1, 5, 16, 0, tzinfo=UTC)
    assert rules.may_change(start, start - timedelta(hours=24), 24)
    assert not rules.may_change(start, start - timedelta(hours=23, minutes=59), 24)


def test_change_refusal_says_why() -> None:
    start = datetime(2027, 1, 5, 16, 0, tzinfo=UTC)
    assert (
        rules.change_refusal(
            starts_at=start, status="booked", now=start - timedelta(days=2), cancel_notice_hours=24
        )
        is None
    )
    late = rules.change_refusal(
        starts_at=start, status="booked", now=start - timedelta(hours=3), cancel_notice_hours=24
    )
    assert late is not None
    assert "24 hours" in late
    assert "cancelled" in (
        rules.change_refusal(
            starts_at=start,
            status="cancelled",
            now=start - timedelta(days=2),
            cancel_notice_hours=24,
        )
        or ""
    )
    assert "past" in (
        rules.change_refusal(
            starts_at=start, status="booked", now=start + timedelta(hours=1), cancel_notice_hours=24
        )
        or ""
    )


def test_emergency_and_urgent_screenings_cannot_book() -> None:
    emergency = rules.screening_refusal(urgency="emergency", status="complete")
    urgent = rules.screening_refusal(urgency="urgent", status="complete")
    assert emergency is not None
    assert "emergency care now" in emergency
    assert urgent is not None
    assert "doctor within the next few days" in urgent
    assert rules.screening_refusal(urgency="conservative", status="complete") is None
    assert rules.screening_refusal(urgency="surgical_consult", status="complete") is None
    assert rules.screening_refusal(urgency="conservative", status="in_progress") is not None


def test_screening_choice_label_on_the_clinic_wall_clock() -> None:
    """16:42 UTC on 10 March 2026 is 11:42 in Chicago (CDT since 8 March)."""
    taken = datetime(2026, 3, 10, 16, 42, tzinfo=UTC)
    same_day = datetime(2026, 3, 11, 4, 0, tzinfo=UTC)  # 23:00 on the 10th in Chicago
    assert rules.screening_choice_label(taken, tz=CHICAGO, now=same_day) == (
        "Use my screening from 11:42 today"
    )
    next_day = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
    assert rules.screening_choice_label(taken, tz=TZ, now=next_day) == (
        "Use my screening from 11:42 yesterday"
    )
    later = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    assert rules.screening_choice_label(taken, tz=CHICAGO, now=later) == (
        "Use my screening from Tue 10 Mar 2026, 11:42"
    )
