"""A time to come back to a conversation after a time-out: within a day, at a waking hour.

Pure functions of the local time they are given, so the session engine stays free of clocks.
"""

from datetime import datetime, time, timedelta

COOL_DOWN = timedelta(hours=2)  # long enough for feelings to settle (at least twenty minutes)
EARLIEST = time(9, 0)
LATEST = time(21, 0)  # a hard conversation is kinder well before bedtime
EVENING = time(19, 0)
DAY_TURNS_AT = 5  # at 1 a.m. people still say "tomorrow" of the coming day
WITHOUT_CLOCK = "this time tomorrow"  # for a recording played at an unknown hour


def offer(now: datetime) -> datetime:
    """The first half hour at least two hours away that is a waking hour, else the coming evening."""
    soon = now + COOL_DOWN
    soon += timedelta(minutes=-soon.minute % 30, seconds=-soon.second, microseconds=-soon.microsecond)
    if soon.date() == now.date() and EARLIEST <= soon.time() <= LATEST:
        return soon
    day = now.date() if soon.time() < EARLIEST and soon.date() == now.date() else now.date() + timedelta(days=1)
    return datetime.combine(day, EVENING)  # under 24 hours away: only reached late in the evening or at night


def spoken(at: datetime, now: datetime) -> str:
    """How a person says it: "8:30 this evening", "7 tomorrow evening"."""
    hour = at.hour % 12 or 12
    clock = f"{hour}:{at.minute:02d}" if at.minute else f"{hour}"
    part = "morning" if at.hour < 12 else "afternoon" if at.hour < 17 else "evening"
    shift = timedelta(hours=DAY_TURNS_AT)
    today = (at - shift).date() == (now - shift).date()
    return f"{clock} {'this' if today else 'tomorrow'} {part}"
