"""Practice plans: which exercise, at what local wall-clock time, on which days.

Times are wall-clock times with no zone stored, so a plan made in Berlin still says 21:00 after a
move to Lisbon. A time that a daylight-saving change skips fires at the next minute that exists;
a repeated hour fires once, the first time round.
"""

import dataclasses
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from voicecoach import paths, vault
from voicecoach.errors import ScheduleError

FILENAME = "plan.json"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SETS = {"daily": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
_DAY_WORDS = {**{day: day for day in DAYS}, **{day + rest: day for day, rest in zip(
    DAYS, ("day", "sday", "nesday", "rsday", "day", "urday", "day"))}}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_EVERY = re.compile(r"^(\d{1,3})[- ]?(day|days|week|weeks)$")


@dataclass(frozen=True)
class Rhythm:
    """When something happens: a local time, on some weekdays, every N days or weeks from a start."""

    at: str
    days: tuple = DAYS
    every: int = 1
    unit: str = "days"
    start: str = ""
    """The ISO date the count of days or weeks starts from."""

    def planned_on(self, day: date) -> bool:
        if DAYS[day.weekday()] not in self.days:
            return False
        start = date.fromisoformat(self.start) if self.start else day
        if day < start:
            return False
        if self.unit == "weeks":
            weeks = ((day - timedelta(days=day.weekday())) - (start - timedelta(days=start.weekday()))).days // 7
            return weeks % self.every == 0
        return (day - start).days % self.every == 0

    def fires_at(self, day: date, zone) -> datetime:
        """The moment of this day's practice: a skipped time moves to the next minute that exists;
        of a repeated hour, the first is taken (fold 0), so it fires once."""
        wall = datetime.combine(day, parse_time(self.at))
        for _ in range(24 * 60):
            aware = wall.replace(tzinfo=zone)
            if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == wall:
                return aware
            wall += timedelta(minutes=1)
        raise ScheduleError(f"{self.at} does not exist on {day} in {zone}")  # no zone skips a day

    def describe(self) -> str:
        """'daily', 'weekdays', 'mon, thu', 'every 2 days', 'every 2 weeks on sun', plus the time."""
        days = next((name for name, chosen in DAY_SETS.items() if chosen == self.days), ", ".join(self.days))
        if self.every == 1:
            return f"{days} at {self.at}"
        every = f"every {self.every} {self.unit}"
        return f"{every} at {self.at}" if self.days == DAYS else f"{every} on {days} at {self.at}"


@dataclass(frozen=True)
class Entry:
    """One practice in the plan; `key` is stable (reminders and done marks use it), its number is not."""

    key: int
    exercise: str
    rhythm: Rhythm
    paused: bool = False
    program: str | None = None
    touch: bool = False
    """A closeness exercise: never reminded unless both partners opted in."""


@dataclass
class Plan:
    entries: list = field(default_factory=list)
    paused: bool = False
    closeness_reminders: bool = False
    """Both partners said, each privately, that reminders of closeness exercises are welcome."""
    next_key: int = 1

    def add(self, exercise: str, rhythm: Rhythm, program: str | None = None, touch: bool = False) -> Entry:
        entry = Entry(self.next_key, exercise, rhythm, program=program, touch=touch)
        self.next_key += 1
        self.entries.append(entry)
        return entry

    def entry(self, number: int) -> Entry:
        """An entry by the number 'plan list' shows (from 1)."""
        if not 1 <= number <= len(self.entries):
            shown = f"1 to {len(self.entries)}" if self.entries else "none yet"
            raise ScheduleError(f"no plan entry {number} (entries: {shown}; see 'voicecoach plan list')")
        return self.entries[number - 1]

    def replace(self, old: Entry, **changes) -> Entry:
        new = dataclasses.replace(old, **changes)
        self.entries[self.entries.index(old)] = new
        return new

    def active(self) -> list:
        return [] if self.paused else [e for e in self.entries if not e.paused]


# ---- reading what people type --------------------------------------------------------------

def parse_time(text: str) -> time:
    match = _TIME.match(str(text).strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ScheduleError(f"{text!r} is not a time of day; use HH:MM from 00:00 to 23:59, like 21:00")
    return time(int(match[1]), int(match[2]))


def normal_time(text: str) -> str:
    return parse_time(text).strftime("%H:%M")


def parse_days(text) -> tuple:
    """'daily', 'weekdays', 'weekends' or a list like 'mon,thu' (or a YAML list) -> days in week order."""
    if isinstance(text, (list, tuple)):
        words = [str(word).strip().lower() for word in text]
    else:
        text = str(text or "").strip().lower()
        if text in DAY_SETS:
            return DAY_SETS[text]
        words = [word.strip() for word in text.split(",") if word.strip()]
    if not words:
        raise ScheduleError("no days given; use daily, weekdays, weekends or a list like mon,thu")
    for word in words:
        if word not in _DAY_WORDS:
            raise ScheduleError(f"{word!r} is not a day; use mon, tue, wed, thu, fri, sat, sun")
    return tuple(day for day in DAYS if day in {_DAY_WORDS[word] for word in words})


def parse_every(text: str) -> tuple:
    """'2-days' or '2-weeks' -> (2, 'days')."""
    match = _EVERY.match(str(text).strip().lower())
    if not match or not 1 <= int(match[1]) <= 365:
        raise ScheduleError(f"{text!r} is not a rhythm; use N-days or N-weeks, like 2-days")
    return int(match[1]), "weeks" if match[2].startswith("week") else "days"


def rhythm(at: str, days=None, every=None, start: date | None = None) -> Rhythm:
    """A checked Rhythm from what a user typed; every N days counts from `start`, so it cannot
    also choose weekdays."""
    count, unit = parse_every(every) if every else (1, "days")
    chosen = parse_days(days) if days is not None else DAYS
    if unit == "days" and count > 1 and days is not None and chosen != DAYS:
        raise ScheduleError(f"--every {every} counts days, so it goes without --days; "
                            "for some weekdays every other week use --every 2-weeks --days ...")
    return Rhythm(normal_time(at), chosen, count, unit, (start or date.today()).isoformat())


# ---- where it is kept ----------------------------------------------------------------------

def path() -> Path:
    return paths.data_dir(create=False) / FILENAME


def load() -> Plan:
    try:
        data = json.loads(vault.read_private(path()))
    except FileNotFoundError:
        return Plan()
    except (OSError, ValueError, RecursionError) as error:  # RecursionError: nested thousands deep
        raise ScheduleError(f"{path()}: cannot be read ({error})") from None
    try:
        _expect(isinstance(data, dict), "not a voicecoach plan")
        entries = [stored_entry(e) for e in data.get("entries", [])]
        plan = Plan(entries, data.get("paused", False), data.get("closeness_reminders", False),
                    data.get("next_key", 1 + max((e.key for e in entries), default=0)))
        _expect(isinstance(plan.paused, bool) and isinstance(plan.closeness_reminders, bool), "a switch is not on or off")
        _expect(_whole(plan.next_key, 1, 2**31), f"next_key is {plan.next_key!r:.40}")
    except (AttributeError, KeyError, TypeError, ValueError) as error:  # edited by hand, damaged, or newer
        raise ScheduleError(f"{path()}: cannot be read (unexpected content: {error})") from None
    return plan


def _expect(holds: bool, problem: str) -> None:
    if not holds:
        raise ValueError(problem)


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def stored_rhythm(raw) -> Rhythm:
    """A Rhythm as plan.json and reminders.json keep it, every value checked (ValueError if one is
    wrong): a file edited by hand or damaged is one line, never a traceback in the middle of 'due'."""
    _expect(isinstance(raw, dict), "a rhythm is not a mapping")
    made = Rhythm(**{**raw, "days": tuple(raw["days"]) if isinstance(raw.get("days"), list) else raw.get("days")})
    _expect(isinstance(made.at, str), f"the time {made.at!r:.40}")
    try:
        parse_time(made.at)
    except ScheduleError as error:
        raise ValueError(str(error)) from None
    _expect(isinstance(made.days, tuple) and made.days and all(day in DAYS for day in made.days),
            f"the days {made.days!r:.60}")
    _expect(_whole(made.every, 1, 365) and made.unit in ("days", "weeks"), f"every {made.every!r:.20} {made.unit!r:.20}")
    _expect(isinstance(made.start, str), f"the start {made.start!r:.40}")
    if made.start:
        date.fromisoformat(made.start)  # ValueError names it
    return made


def stored_entry(raw) -> Entry:
    _expect(isinstance(raw, dict), "an entry is not a mapping")
    made = Entry(**{**raw, "rhythm": stored_rhythm(raw.get("rhythm"))})
    _expect(_whole(made.key, 1, 2**31), f"an entry's key is {made.key!r:.40}")
    _expect(isinstance(made.exercise, str) and isinstance(made.program, (str, type(None))), "an exercise name")
    _expect(isinstance(made.paused, bool) and isinstance(made.touch, bool), "a switch is not on or off")
    return made


def save(plan: Plan) -> None:
    paths.data_dir()  # the folder, owner-only
    vault.write_private(path(), json.dumps(dataclasses.asdict(plan), indent=1).encode())


# ---- the clock ---------------------------------------------------------------------------

def local_zone():
    """The computer's own time zone, as a zoneinfo zone so daylight saving is known."""
    for name in (os.environ.get("TZ", "").lstrip(":"), _zone_of_localtime()):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return datetime.now().astimezone().tzinfo


def _zone_of_localtime() -> str:
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return ""
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""


def now_in(zone, now: datetime | None = None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(zone)
