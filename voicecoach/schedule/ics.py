"""The plan as an iCalendar file with recurrence rules, for a phone's calendar.

Titles are discreet ("Practice time") unless the couple asks for the exercises' names; closeness
exercises are left out unless both partners asked for their reminders.
"""

from datetime import date, datetime, timedelta, timezone

import icalendar

from voicecoach.schedule.plans import DAYS, Plan

DISCREET = "Practice time"
_BYDAY = {day: day[:2].upper() for day in DAYS}


def recurrence(rhythm) -> dict:
    rule = {"FREQ": "DAILY" if rhythm.unit == "days" and rhythm.days == DAYS else "WEEKLY"}
    if rhythm.every > 1:
        rule["INTERVAL"] = rhythm.every
    if rule["FREQ"] == "WEEKLY":
        rule["BYDAY"] = [_BYDAY[day] for day in rhythm.days]
    return rule


def first_day(rhythm, today: date) -> date:
    """The first planned day on or after the later of the rhythm's start and today."""
    day = max(date.fromisoformat(rhythm.start), today) if rhythm.start else today
    for _ in range(7 * 366):
        if rhythm.planned_on(day):
            return day
        day += timedelta(days=1)
    return day


def calendar(plan: Plan, zone, today: date, minutes: dict, titles: dict | None = None) -> icalendar.Calendar:
    """One recurring event a plan entry; `minutes` gives each exercise's length, `titles` its name
    when the couple asked for names."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//voicecoach//practice plan//EN")
    cal.add("version", "2.0")
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    for entry in plan.active():
        if entry.touch and not plan.closeness_reminders:
            continue
        rhythm = entry.rhythm
        event = icalendar.Event()
        event.add("uid", f"voicecoach-{entry.key}-{rhythm.start}@localhost")
        event.add("dtstamp", stamp)
        event.add("summary", titles.get(entry.exercise, entry.exercise) if titles else DISCREET)
        start = datetime.combine(first_day(rhythm, today), datetime.strptime(rhythm.at, "%H:%M").time(),
                                 tzinfo=zone)
        event.add("dtstart", start)
        event.add("duration", timedelta(minutes=round(minutes.get(entry.exercise, 15))))
        event.add("rrule", recurrence(rhythm))
        cal.add_component(event)
    if hasattr(cal, "add_missing_timezones"):
        cal.add_missing_timezones()  # VTIMEZONE, so phones place it in the right zone
    return cal
