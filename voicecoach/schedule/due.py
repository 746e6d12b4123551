"""What is planned now and today, what is done, and what is not yet done this week.

Nothing here counts failures: a week that went by without practice is simply not mentioned next
week, and what is still open this week is "not yet done".
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from voicecoach.schedule import reminders
from voicecoach.schedule.plans import Entry, Plan
from voicecoach.schedule.text import wrapped

NOW_BEFORE = timedelta(minutes=30)  # a slot counts as "now" from this long before its time...
NOW_AFTER = timedelta(minutes=90)  # ...until this long after


@dataclass(frozen=True)
class Slot:
    """One planned practice on one day."""

    entry: Entry
    day: date
    when: datetime
    done: bool


def slots(plan: Plan, done: list, first: date, last: date, zone) -> list:
    """Every planned slot of the active entries from `first` to `last` (both included), in time order."""
    found = []
    day = first
    while day <= last:
        for entry in plan.active():
            if entry.rhythm.planned_on(day):
                found.append(Slot(entry, day, entry.rhythm.fires_at(day, zone),
                                  reminders.slot_id(entry.key, day) in done))
        day += timedelta(days=1)
    return sorted(found, key=lambda slot: (slot.when, slot.entry.key))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Due:
    now: list
    today: list
    week_done: int
    week_planned: int
    not_yet: list
    """Slots of earlier days this week that were not done."""


def due(plan: Plan, done: list, now: datetime, zone) -> Due:
    local = now.astimezone(zone)
    week = slots(plan, done, week_start(local.date()), local.date() + timedelta(days=6 - local.weekday()), zone)
    today = [s for s in week if s.day == local.date()]
    current = [s for s in today if not s.done and s.when - NOW_BEFORE <= now <= s.when + NOW_AFTER]
    earlier = [s for s in week if not s.done and s.day < local.date()]
    return Due(current, today, sum(s.done for s in week), len(week), earlier)


def next_slot(plan: Plan, done: list, now: datetime, zone) -> Slot | None:
    """What 'voicecoach today' starts: the first of today's slots not yet done."""
    local = now.astimezone(zone)
    return next((s for s in slots(plan, done, local.date(), local.date(), zone) if not s.done), None)


def coming(plan: Plan, done: list, now: datetime, zone) -> Slot | None:
    """The next slot not done, from the one due now to a week ahead."""
    local = now.astimezone(zone)
    ahead = slots(plan, done, local.date(), local.date() + timedelta(days=7), zone)
    return next((s for s in ahead if not s.done and s.when + NOW_AFTER >= now), None)


def slot_for_session(plan: Plan, done: list, exercise_id: str, now: datetime, zone) -> Slot | None:
    """The slot a finished session of this exercise fulfils: today's, not yet done, nearest in time."""
    local = now.astimezone(zone)
    open_today = [s for s in slots(plan, done, local.date(), local.date(), zone)
                  if s.entry.exercise == exercise_id and not s.done]
    return min(open_today, key=lambda s: abs(s.when - now), default=None)


def by_entry(found: list) -> list:
    """Slots grouped by plan entry and time of day, in the order they first come, so a practice
    not yet done on several days is one line, not one a day."""
    groups = {}
    for slot in found:
        groups.setdefault((slot.entry.key, slot.when.strftime("%H:%M")), []).append(slot)
    return list(groups.values())


def report(plan: Plan, done: list, now: datetime, zone, titles: dict) -> list:
    """The lines of 'voicecoach due'."""
    local = now.astimezone(zone)
    found = due(plan, done, now, zone)
    name = lambda slot: titles.get(slot.entry.exercise, slot.entry.exercise)  # noqa: E731
    lines = [local.strftime("%A %d %B, %H:%M")]
    if plan.paused:
        return lines + ["The plan is paused; 'voicecoach plan resume' brings it back."]
    if not plan.entries:
        return lines + ["Nothing is planned yet. 'voicecoach plan add daily-check-in --at 21:00' is a good start."]
    if found.now:
        lines.append("Now:")
        lines += [f"  {s.when.strftime('%H:%M')}  {name(s)}" for s in found.now]
    lines.append("Today:")
    for slot in found.today:
        status = "done" if slot.done else ("now" if slot in found.now else
                                           "not yet done" if slot.when < now else "later")
        lines.append(f"  {slot.when.strftime('%H:%M')}  {name(slot):34} {status}")
    if not found.today:
        lines.append("  nothing planned")
    lines.append(f"This week: {found.week_done} of {found.week_planned} planned practices done.")
    if found.not_yet:
        lines.append("Not yet done this week:")
        for group in by_entry(found.not_yet):
            days = ", ".join(slot.when.strftime("%a") for slot in group)
            lines.append(wrapped(f"{name(group[0])}: {days} at {group[0].when.strftime('%H:%M')}", "    ", "  "))
    ahead = next_slot(plan, done, now, zone)
    if ahead:
        lines.append(f"'voicecoach today' starts {name(ahead)} ({ahead.when.strftime('%H:%M')}).")
    else:
        later = coming(plan, done, now, zone)
        if later:
            lines.append(f"Next: {name(later)}, {later.when.strftime('%A %H:%M')}.")
    return lines
