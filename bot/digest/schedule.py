"""When a subscription runs next: wall-clock times in the channel's IANA time zone.

Pure functions on plain data. Daylight-saving rules: a local time that does not
exist (the spring-forward gap) runs at the first valid instant after it; a local
time that happens twice (fall-back) runs once, at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES: tuple[str, ...] = ("daily", "weekly", "instant")
DEFAULT_TIME = "08:00"
DEFAULT_TZ = "UTC"
DEFAULT_ALERT_SCORE = 0.7

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


class ScheduleError(ValueError):
    """What the user typed is not a schedule; the message says how to fix it."""


@dataclass(frozen=True)
class Schedule:
    mode: str  # daily | weekly | instant
    at_time: str | None = None  # "HH:MM"
    weekday: int | None = None  # 0 = Monday
    tz: str = DEFAULT_TZ
    min_score: float | None = None  # instant only

    def describe(self) -> str:
        if self.mode == "instant":
            return f"instant alerts (score ≥ {self.min_score:.2f})"
        if self.mode == "weekly":
            return f"weekly on {WEEKDAYS[self.weekday or 0].capitalize()} at {self.at_time} {self.tz}"
        return f"daily at {self.at_time} {self.tz}"


def parse_time(text: str) -> str:
    match = _TIME_RE.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError(f"“{text[:20]}” is not a time of day: use 24-hour HH:MM, e.g. 08:00 or 17:30.")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_zone(text: str) -> str:
    name = text.strip()
    if name.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(
            f"“{name[:40]}” is not a time zone: use an IANA name such as Europe/London, America/New_York or Asia/Shanghai."
        ) from None
    return name


def parse_weekday(text: str) -> int:
    key = text.strip().lower()[:3]
    if len(text.strip()) < 3 or key not in WEEKDAYS:
        raise ScheduleError(f"“{text[:20]}” is not a day of the week: use mon, tue, wed, thu, fri, sat or sun.")
    return WEEKDAYS.index(key)


def parse_schedule(words: list[str] | tuple[str, ...]) -> Schedule:
    """`daily [HH:MM] [Zone]`, `weekly [day] [HH:MM] [Zone]`, `instant [min score]`; nothing means daily 08:00 UTC."""
    words = [w for w in words if w]
    if not words:
        return Schedule(mode="daily", at_time=DEFAULT_TIME, tz=DEFAULT_TZ)
    mode, rest = words[0].lower(), words[1:]
    if mode == "instant":
        if len(rest) > 1:
            raise ScheduleError("Instant alerts take at most a minimum score, e.g. `instant 0.8`.")
        score = DEFAULT_ALERT_SCORE
        if rest:
            try:
                score = float(rest[0])
            except ValueError:
                score = -1.0
            if not 0.0 <= score <= 1.0:
                raise ScheduleError(f"“{rest[0][:20]}” is not a score: use a number from 0 to 1, e.g. `instant 0.8`.")
        return Schedule(mode="instant", min_score=score)
    if mode not in ("daily", "weekly"):
        raise ScheduleError(f"“{words[0][:20]}” is not a schedule: use daily, weekly or instant.")
    weekday = None
    if mode == "weekly":
        weekday = 0
        if rest and not _TIME_RE.match(rest[0]):
            weekday = parse_weekday(rest[0])
            rest = rest[1:]
    at_time = DEFAULT_TIME
    if rest and (":" in rest[0] or rest[0].isdigit()):
        at_time = parse_time(rest[0])
        rest = rest[1:]
    tz = DEFAULT_TZ
    if rest:
        tz = parse_zone(rest[0])
        rest = rest[1:]
    if rest:
        raise ScheduleError(f"Unexpected “{' '.join(rest)[:40]}” after the schedule.")
    return Schedule(mode=mode, at_time=at_time, weekday=weekday, tz=tz)


def zone(name: str):
    return timezone.utc if name == "UTC" else ZoneInfo(name)


def local_to_utc(day: date, at: time, tz_name: str) -> datetime:
    """The UTC instant of a local wall-clock time; gap times move to the end of the gap, repeated times take the first."""
    tz = zone(tz_name)
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    if first.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) == naive:
        return first.astimezone(timezone.utc)
    # In a gap: fold=1 reads the time with the offset after the change, which lands
    # before the gap; walk forward to the first instant whose wall clock reaches it.
    instant = naive.replace(tzinfo=tz, fold=1).astimezone(timezone.utc).replace(second=0, microsecond=0)
    for _ in range(24 * 60):
        if instant.astimezone(tz).replace(tzinfo=None) >= naive:
            return instant
        instant += timedelta(minutes=1)
    return first.astimezone(timezone.utc)  # pragma: no cover - no zone has a gap this long


def next_run(schedule: Schedule, after: datetime) -> datetime | None:
    """The first scheduled instant strictly after `after` (UTC), or None for instant alerts."""
    if schedule.mode == "instant":
        return None
    hh, mm = (int(x) for x in (schedule.at_time or DEFAULT_TIME).split(":"))
    at = time(hh, mm)
    start = after.astimezone(zone(schedule.tz)).date() - timedelta(days=1)
    for offset in range(16):
        day = start + timedelta(days=offset)
        if schedule.mode == "weekly" and day.weekday() != (schedule.weekday or 0):
            continue
        candidate = local_to_utc(day, at, schedule.tz)
        if candidate > after:
            return candidate
    raise AssertionError("no run found within 16 days")  # pragma: no cover
