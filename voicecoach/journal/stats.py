"""Progress a couple can see, as pure sums over what the journal returns, so each figure is testable.

Weeks start on Monday in local time. Every week of the window is listed, practised or not: a
quiet week is a row like any other, never a gap to explain.
"""

import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache

TREND_WEEKS = 8
"""The trend is the slope over this many most recent weeks of the window."""
STEADY_POINTS_PER_WEEK = 0.1
"""A slope smaller than this (rating points a week) is said as steady."""
FEWEST_WEEKS_FOR_A_TREND = 3
PRACTICE = ("completed", "stopped", "interrupted")
"""Outcomes in which some practice happened; a declined session is not counted as one."""
CLOSENESS_TAG = "touch"
"""Exercises with this tag never count toward practice days: closeness must never feel owed."""


def local_day(stamp: str) -> date:
    """The local calendar day of a stored time (UTC, as the journal writes them)."""
    moment = datetime.fromisoformat(stamp)
    if stamp.endswith("+00:00"):
        return (moment + _local_offset(stamp[:13])).date()
    return moment.astimezone().date()


@cache
def _local_offset(utc_hour: str) -> timedelta:
    """The local clock's offset during one UTC hour: a journal has few hours, and astimezone is slow."""
    return datetime.fromisoformat(f"{utc_hour}:00:00+00:00").astimezone().utcoffset()


@cache
def week_of(day: date) -> date:
    """The Monday that starts the day's week."""
    return day - timedelta(days=day.weekday())


def dated(records: list[dict]) -> list[dict]:
    """Copies of sessions or ratings with their local "day" and "week", worked out once each."""
    result = []
    for record in records:
        day = local_day(record["started_at"])
        result.append({**record, "day": day, "week": week_of(day)})
    return result


def window(today: date, weeks: int) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first, this week last."""
    first = week_of(today) - timedelta(weeks=weeks - 1)
    return [first + timedelta(weeks=i) for i in range(weeks)]


def slope(values: list) -> float | None:
    """Least-squares slope per week over the recent weeks that have a value; None if too few."""
    recent = values[-TREND_WEEKS:]
    points = [(x, y) for x, y in enumerate(recent) if y is not None]
    if len(points) < FEWEST_WEEKS_FOR_A_TREND:
        return None
    return statistics.linear_regression(*zip(*points)).slope


def rating_trend(change: float | None) -> str:
    if change is None:
        return "too soon to tell"
    if change > STEADY_POINTS_PER_WEEK:
        return "rising"
    if change < -STEADY_POINTS_PER_WEEK:
        return "lower lately"
    return "steady"


def gap_trend(change: float | None) -> str:
    if change is None:
        return "too soon to tell"
    if change < -STEADY_POINTS_PER_WEEK:
        return "closing"
    if change > STEADY_POINTS_PER_WEEK:
        return "wider lately"
    return "about the same"


def _mean(values):
    return round(sum(values) / len(values), 1) if values else None


def _latest(values):
    return next((v for v in reversed(values) if v is not None), None)


def practice_days(sessions: list[dict], weeks: list[date], closeness: set) -> dict:
    """Distinct local days with practice, per week; closeness exercises never count toward this."""
    days = defaultdict(set)
    for session in sessions:
        if session["outcome"] in PRACTICE and session["exercise_id"] not in closeness:
            days[session["week"]].add(session["day"])
    return {week: len(days[week]) for week in weeks}


def by_week(sessions: list[dict], weeks: list[date]) -> list[dict]:
    """Sessions, minutes and completed sessions in each week of the window."""
    rows = {week: {"week": week.isoformat(), "sessions": 0, "minutes": 0.0, "completed": 0} for week in weeks}
    for session in sessions:
        row = rows.get(session["week"])
        if row is None:
            continue
        row["sessions"] += 1
        row["minutes"] += session["minutes"] or 0
        row["completed"] += session["outcome"] == "completed"
    for row in rows.values():
        row["minutes"] = round(row["minutes"], 1)
    return list(rows.values())


def by_exercise(sessions: list[dict]) -> list[dict]:
    """Which exercises, most practised first."""
    rows = {}
    for session in sessions:  # newest first, so each title is the latest one
        row = rows.setdefault(session["exercise_id"], {
            "exercise": session["exercise_id"], "title": session["exercise_title"],
            "sessions": 0, "completed": 0, "minutes": 0.0})
        row["sessions"] += 1
        row["completed"] += session["outcome"] == "completed"
        row["minutes"] += session["minutes"] or 0
    for row in rows.values():
        row["minutes"] = round(row["minutes"], 1)
    return sorted(rows.values(), key=lambda row: (-row["sessions"], row["exercise"]))


def _weekly(values_by_week: dict, weeks: list[date]) -> list[dict]:
    return [{"week": week.isoformat(), "mean": _mean(values_by_week.get(week, [])),
             "count": len(values_by_week.get(week, []))} for week in weeks]


def rating_series(ratings: list[dict], weeks: list[date]) -> list[dict]:
    """Each rating key per partner: the weekly average, the latest, and the trend in words."""
    values = defaultdict(lambda: defaultdict(list))
    names = {}
    for rating in ratings:  # oldest first, so the name kept is the latest one
        if rating["week"] >= weeks[0]:
            values[rating["key"], rating["slot"]][rating["week"]].append(rating["value"])
            names[rating["key"], rating["slot"]] = rating["name"]
    result = []
    for key, slot in sorted(values):
        weekly = _weekly(values[key, slot], weeks)
        change = slope([w["mean"] for w in weekly])
        result.append({"key": key, "slot": slot, "name": names[key, slot], "weeks": weekly,
                       "latest": _latest([w["mean"] for w in weekly]),
                       "slope_per_week": None if change is None else round(change, 2),
                       "trend": rating_trend(change)})
    return result


def gap_series(ratings: list[dict], weeks: list[date]) -> list[dict]:
    """How far apart the two partners' answers to the same question were, and whether that is closing."""
    answers = defaultdict(dict)
    for rating in ratings:
        if rating["week"] >= weeks[0]:
            answers[rating["session_id"], rating["step_index"], rating["key"]][rating["slot"]] = rating
    gaps = defaultdict(lambda: defaultdict(list))
    for (_, _, key), answer in answers.items():
        if "A" in answer and "B" in answer:
            gaps[key][answer["A"]["week"]].append(abs(answer["A"]["value"] - answer["B"]["value"]))
    result = []
    for key in sorted(gaps):
        weekly = _weekly(gaps[key], weeks)
        change = slope([w["mean"] for w in weekly])
        result.append({"key": key, "weeks": weekly, "latest": _latest([w["mean"] for w in weekly]),
                       "slope_per_week": None if change is None else round(change, 2),
                       "trend": gap_trend(change)})
    return result


def summary(sessions: list[dict], ratings: list[dict], today: date, weeks: int,
            closeness: set, streaks: bool = True, began: str | None = None) -> dict:
    """Everything 'voicecoach stats' shows, as plain data (also its --json); `began`, when the very
    first session started: the weeks before it are left out (nothing could have happened in them)."""
    span = window(today, weeks)
    if began is not None:
        span = [week for week in span if week >= week_of(local_day(began))] or span[-1:]
    sessions = [s for s in dated(sessions) if s["week"] >= span[0]]
    ratings = dated(ratings)
    weekly = by_week(sessions, span)
    if streaks:
        days = practice_days(sessions, span, closeness)
        for row, week in zip(weekly, span):
            row["practice_days"] = days[week]
    return {
        "from": span[0].isoformat(),
        "to": today.isoformat(),
        "totals": {"sessions": len(sessions),
                   "completed": sum(s["outcome"] == "completed" for s in sessions),
                   "minutes": round(sum((s["minutes"] or 0 for s in sessions), 0.0), 1)},
        "weeks": weekly,
        "exercises": by_exercise(sessions),
        "ratings": rating_series(ratings, span),
        "gaps": gap_series(ratings, span),
        "streak": {"practice_days_this_week": weekly[-1]["practice_days"]} if streaks else None,
    }


def closeness(exercises) -> set:
    """Ids of the closeness exercises, which must never feel owed: they never count toward practice days."""
    return {e.id for e in exercises if CLOSENESS_TAG in e.tags}


_ID_LINE = re.compile(r"^id:[ \t]*([A-Za-z0-9][\w.-]*)[ \t]*$", re.MULTILINE)
_TAGS_LINE = re.compile(r"^tags:[ \t]*\[([\w ,.-]*)\][ \t]*$", re.MULTILINE)


def closeness_ids(paths) -> set:
    """closeness() without loading every exercise (which took most of 'stats'' time): each file's
    top-level `id:` and `tags: [...]` lines are enough; a file written another way is loaded whole.
    An id met twice keeps its first file's tags, as all_exercises() does; a file that would not load
    but says tag touch still counts as closeness, which only ever leaves a day out of a streak."""
    tagged, seen = set(), set()
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        ids, tags = _ID_LINE.findall(text), _TAGS_LINE.findall(text)
        if len(ids) == 1 and len(tags) == 1:
            found, found_tags = ids[0], {tag.strip() for tag in tags[0].split(",")}
        else:
            from voicecoach import exercise  # only here: importing it (and yaml) costs 'stats' a fifth of its time

            try:
                loaded = exercise.load_file(path)
            except exercise.ExerciseError:
                continue
            found, found_tags = loaded.id, set(loaded.tags)
        if found not in seen:
            seen.add(found)
            if CLOSENESS_TAG in found_tags:
                tagged.add(found)
    return tagged
