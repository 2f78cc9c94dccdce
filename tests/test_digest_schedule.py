"""Schedules run at the local wall-clock time in the channel's zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.digest.schedule import Schedule, ScheduleError, next_run, parse_schedule


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def local(when: datetime, tz: str) -> str:
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def runs(schedule: Schedule, start: datetime, n: int) -> list[datetime]:
    out, t = [], start
    for _ in range(n):
        t = next_run(schedule, t)
        out.append(t)
    return out


@pytest.mark.parametrize(
    "tz, start, expected_utc_hours",
    [
        # New York springs forward on 8 Mar 2026: 08:00 EST = 13:00 UTC, then 08:00 EDT = 12:00 UTC.
        ("America/New_York", utc(2026, 3, 6, 14), [13, 12, 12, 12]),
        # London springs forward on 29 Mar 2026: 08:00 GMT = 08:00 UTC, then BST = 07:00 UTC.
        ("Europe/London", utc(2026, 3, 27, 9), [8, 7, 7, 7]),
        # Sydney leaves daylight time on 5 Apr 2026: 08:00 AEDT = 21:00 UTC the day before, then AEST = 22:00.
        ("Australia/Sydney", utc(2026, 4, 2, 22), [21, 22, 22, 22]),
        # Kolkata has no daylight time: always 02:30 UTC.
        ("Asia/Kolkata", utc(2026, 3, 27, 3), [2, 2, 2, 2]),
    ],
)
def test_daily_digest_keeps_local_time_across_dst(tz, start, expected_utc_hours):
    schedule = Schedule(mode="daily", at_time="08:00", tz=tz)
    times = runs(schedule, start, 4)
    assert [t.hour for t in times] == expected_utc_hours
    assert all(local(t, tz)[11:16] == "08:00" for t in times)
    assert all((b - a).days in (0, 1) and b > a for a, b in zip(times, times[1:]))


def test_time_in_spring_forward_gap_runs_at_first_valid_instant_after():
    # 02:30 does not exist in New York on 8 Mar 2026 (02:00 -> 03:00).
    schedule = Schedule(mode="daily", at_time="02:30", tz="America/New_York")
    first, second, third = runs(schedule, utc(2026, 3, 7, 12), 3)
    assert local(first, "America/New_York") == "2026-03-08 03:00 EDT"
    assert local(second, "America/New_York") == "2026-03-09 02:30 EDT"
    assert first < second < third


def test_time_repeated_at_fall_back_runs_once():
    # 01:30 happens twice in New York on 1 Nov 2026; the digest runs at the first one only.
    schedule = Schedule(mode="daily", at_time="01:30", tz="America/New_York")
    first, second = runs(schedule, utc(2026, 10, 31, 12), 2)
    assert first == utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert local(second, "America/New_York") == "2026-11-02 01:30 EST"


def test_weekly_runs_on_its_day_in_its_zone():
    schedule = Schedule(mode="weekly", at_time="09:00", weekday=0, tz="America/New_York")
    times = runs(schedule, utc(2026, 10, 28), 3)  # spans the 1 Nov change
    assert [local(t, "America/New_York") for t in times] == [
        "2026-11-02 09:00 EST", "2026-11-09 09:00 EST", "2026-11-16 09:00 EST",
    ]


def test_sydney_gap_in_october_moves_to_three_oclock():
    # Sydney springs forward on 4 Oct 2026: 02:00 -> 03:00.
    schedule = Schedule(mode="daily", at_time="02:15", tz="Australia/Sydney")
    first = next_run(schedule, utc(2026, 10, 3, 12))
    assert local(first, "Australia/Sydney") == "2026-10-04 03:00 AEDT"


def test_next_run_is_strictly_after_now():
    schedule = Schedule(mode="daily", at_time="08:00", tz="UTC")
    assert next_run(schedule, utc(2026, 1, 1, 8)) == utc(2026, 1, 2, 8)
    assert next_run(schedule, utc(2026, 1, 1, 7, 59)) == utc(2026, 1, 1, 8)


def test_instant_alerts_have_no_next_run():
    assert next_run(Schedule(mode="instant", min_score=0.7), utc(2026, 1, 1)) is None


@pytest.mark.parametrize(
    "words, expected",
    [
        ([], Schedule("daily", "08:00", None, "UTC")),
        (["daily", "8:05", "Europe/London"], Schedule("daily", "08:05", None, "Europe/London")),
        (["weekly", "mon", "09:00", "America/New_York"], Schedule("weekly", "09:00", 0, "America/New_York")),
        (["weekly", "Friday"], Schedule("weekly", "08:00", 4, "UTC")),
        (["instant"], Schedule("instant", None, None, "UTC", 0.7)),
        (["instant", "0.9"], Schedule("instant", None, None, "UTC", 0.9)),
    ],
)
def test_schedule_words_parse(words, expected):
    assert parse_schedule(words) == expected


@pytest.mark.parametrize(
    "words, says",
    [
        (["daily", "25:99"], "not a time of day"),
        (["daily", "08:00", "Mars/Olympus"], "not a time zone"),
        (["daily", "08:00", "../../etc/passwd"], "not a time zone"),
        (["weekly", "someday", "09:00"], "not a day of the week"),
        (["hourly"], "not a schedule"),
        (["instant", "7"], "not a score"),
    ],
)
def test_bad_schedules_explain_themselves(words, says):
    with pytest.raises(ScheduleError, match=says):
        parse_schedule(words)
