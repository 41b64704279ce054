"""The live board's pace figures: pure arithmetic over plain values (no Flask, no database).

A wave's rate is the lines its pickers finished over the last hour (or since the wave was released,
when that is less than an hour ago, but never a window shorter than MIN_WINDOW, so that the first
pick of a wave does not project a rate of thousands). The projected finish is now + remaining lines
at that rate; a wave is late when that finish falls after the cut-off of its carriers (the earliest
one, today, in the warehouse's local time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

RATE_WINDOW = timedelta(hours=1)
MIN_WINDOW = timedelta(minutes=5)


def rate_window(now: datetime, released_at: datetime | None) -> timedelta:
    """How long the lines counted for a rate were picked in: the last hour, or since release."""
    if released_at is None:
        return RATE_WINDOW
    return max(MIN_WINDOW, min(RATE_WINDOW, now - released_at))


def lines_per_hour(lines: int, window: timedelta) -> float:
    """Lines finished in `window`, as lines per hour."""
    hours = window.total_seconds() / 3600
    return lines / hours if hours > 0 else 0.0


def projected_finish(now: datetime, remaining_lines: int, rate: float) -> datetime | None:
    """When the last line is done at `rate` lines/hour; now when nothing is left; None without a rate."""
    if remaining_lines <= 0:
        return now
    if rate <= 0:
        return None
    return now + timedelta(hours=remaining_lines / rate)


def cutoff_on(day: date, cutoff: time, zone: tzinfo) -> datetime:
    """The cut-off (a local time of day) on a local day, in UTC."""
    return datetime.combine(day, cutoff, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Pace:
    """A wave's pace against its cut-off."""

    rate: float  # lines per hour, all its pickers together
    remaining_lines: int
    finish: datetime | None  # None: nobody picked in the window, no projection
    cutoff: datetime | None  # None: no carrier of the wave has a cut-off
    late: bool  # the projected finish is after the cut-off (or no rate while lines remain past it)


def pace(now: datetime, *, lines_done_in_window: int, window: timedelta, remaining_lines: int,
         cutoff: datetime | None) -> Pace:
    rate = lines_per_hour(lines_done_in_window, window)
    finish = projected_finish(now, remaining_lines, rate)
    if cutoff is None:
        late = False
    elif finish is None:
        late = now > cutoff  # no pace to judge by: late only once the cut-off has passed
    else:
        late = finish > cutoff
    return Pace(rate=rate, remaining_lines=remaining_lines, finish=finish, cutoff=cutoff, late=late)
