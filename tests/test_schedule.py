"""Plans over simulated weeks on a fixed clock: what is due, what is done, daylight saving."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from voicecoach import exercise as ex
from voicecoach import schedule
from voicecoach.errors import ScheduleError
from voicecoach.schedule import due, plans, prepare, reminders

BERLIN = ZoneInfo("Europe/Berlin")
TITLES = {"daily-check-in": "Daily check-in", "box-breathing": "Box breathing"}


def at(text, zone=BERLIN):
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def make_plan(*items, start=date(2026, 12, 7)):
    """A saved plan of (exercise, at, days, every) items, counting from Monday 7 December 2026."""
    plan = plans.Plan()
    for exercise_id, time_of_day, days, every in items:
        plan.add(exercise_id, plans.rhythm(time_of_day, days, every, start=start))
    schedule.save_plan(plan)
    return plan


def done_marks():
    return reminders.read()["done"]


def test_times_days_and_rhythms_are_read_as_typed():
    assert plans.normal_time("7:05") == "07:05"
    assert plans.parse_days("weekends") == ("sat", "sun")
    assert plans.parse_days("thu,Monday") == ("mon", "thu")
    assert plans.parse_every("2-weeks") == (2, "weeks")
    for bad in ("25:00", "21:60", "9pm", ""):
        with pytest.raises(ScheduleError, match="not a time"):
            plans.parse_time(bad)
    with pytest.raises(ScheduleError, match="no days"):
        plans.parse_days(" , ")
    with pytest.raises(ScheduleError, match="'mnday' is not a day"):
        plans.parse_days("mnday")
    with pytest.raises(ScheduleError, match="without --days"):
        plans.rhythm("21:00", "mon", "2-days")


def test_every_two_days_and_every_other_week():
    every_two = plans.rhythm("21:00", None, "2-days", start=date(2026, 12, 7))
    assert [every_two.planned_on(date(2026, 12, d)) for d in range(6, 12)] == [False, True, False, True, False, True]
    fortnight = plans.rhythm("19:00", "sun", "2-weeks", start=date(2026, 12, 7))
    sundays = [date(2026, 12, 13) + timedelta(weeks=n) for n in range(4)]
    assert [fortnight.planned_on(day) for day in sundays] == [True, False, True, False]


def test_a_time_skipped_by_daylight_saving_fires_at_the_next_minute_that_exists():
    rhythm = plans.rhythm("02:30", "daily", None, start=date(2026, 3, 1))
    moment = rhythm.fires_at(date(2026, 3, 29), BERLIN)  # Berlin skips 02:00-03:00
    assert (moment.hour, moment.minute) == (3, 0)
    assert moment.utcoffset() == timedelta(hours=2)
    assert rhythm.fires_at(date(2026, 3, 30), BERLIN).hour == 2


def test_a_repeated_hour_fires_once():
    rhythm = plans.rhythm("02:30", "daily", None, start=date(2026, 10, 1))
    moment = rhythm.fires_at(date(2026, 10, 25), BERLIN)  # 02:00-03:00 happens twice
    assert moment.utcoffset() == timedelta(hours=2)  # the first time round
    reminders.write({"slots": [{"key": 1, "rhythm": rhythm.__dict__ | {"days": list(rhythm.days)}}],
                     "done": [], "reminded": [], "installed": None})
    sent = []
    first = datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)  # 02:30 CET, an hour later
    assert reminders.remind(first, BERLIN, notify=sent.append) == ["voicecoach: practice planned at 02:30"]
    assert reminders.remind(first + timedelta(minutes=5), BERLIN, notify=sent.append) == []
    assert reminders.remind(second, BERLIN, notify=sent.append) == []
    assert len(sent) == 1


def test_the_spring_change_reminds_at_three():
    make_plan(("daily-check-in", "02:30", "daily", None), start=date(2026, 3, 1))
    sent = []
    assert reminders.remind(at("2026-03-29T03:00"), BERLIN, notify=sent.append) == [
        "voicecoach: practice planned at 03:00"]


def test_a_change_of_time_zone_keeps_the_local_times():
    plan = make_plan(("daily-check-in", "21:00", "daily", None))
    lisbon = ZoneInfo("Europe/Lisbon")
    slot = due.next_slot(plan, [], at("2026-12-08T08:00", lisbon), lisbon)
    assert slot.when == at("2026-12-08T21:00", lisbon)


def test_a_simulated_week_shows_done_and_not_yet_done_never_missed():
    plan = make_plan(("daily-check-in", "21:00", "weekdays", None), ("box-breathing", "21:30", "wed,sun", None))
    schedule.session_completed("daily-check-in", at("2026-12-07T21:20"), BERLIN)  # Monday
    schedule.session_completed("daily-check-in", at("2026-12-08T20:40"), BERLIN)  # Tuesday, a little early
    schedule.session_completed("box-breathing", at("2026-12-09T22:00"), BERLIN)  # Wednesday: check-in not done
    lines = due.report(plans.load(), done_marks(), at("2026-12-10T20:50"), BERLIN, TITLES)  # Thursday
    text = "\n".join(lines)
    assert lines[0] == "Thursday 10 December, 20:50"
    assert "Now:\n  21:00  Daily check-in" in text
    assert "This week: 3 of 7 planned practices done." in text
    assert "Not yet done this week:\n  Daily check-in: Wed at 21:00\n" in text
    assert "missed" not in text.lower() and "fail" not in text.lower()
    assert due.next_slot(plan, done_marks(), at("2026-12-10T20:50"), BERLIN).entry.exercise == "daily-check-in"


def test_a_session_of_an_exercise_not_planned_today_marks_nothing():
    make_plan(("box-breathing", "21:30", "sun", None))
    schedule.session_completed("box-breathing", at("2026-12-08T21:30"), BERLIN)  # a Tuesday
    schedule.session_completed("daily-check-in", at("2026-12-13T21:30"), BERLIN)  # another exercise
    assert done_marks() == []


def test_a_missed_week_is_not_held_against_anyone():
    make_plan(("daily-check-in", "21:00", "daily", None))
    schedule.session_completed("daily-check-in", at("2026-12-07T21:00"), BERLIN)
    # nothing at all in the week of the 14th; the week after starts fresh
    text = "\n".join(due.report(plans.load(), done_marks(), at("2026-12-21T09:00"), BERLIN, TITLES))
    assert "This week: 0 of 7 planned practices done." in text
    assert "Not yet done this week" not in text  # Monday morning: nothing earlier this week
    text = "\n".join(due.report(plans.load(), done_marks(), at("2026-12-16T22:00"), BERLIN, TITLES))
    assert "Not yet done this week:\n  Daily check-in: Mon, Tue at 21:00\n" in text


def test_a_paused_plan_has_nothing_due():
    plan = make_plan(("daily-check-in", "21:00", "daily", None))
    plan.paused = True
    schedule.save_plan(plan)
    assert due.next_slot(plans.load(), [], at("2026-12-08T08:00"), BERLIN) is None
    assert reminders.read()["slots"] == []


def test_the_plan_is_private_and_the_reminders_file_names_no_exercise(home):
    make_plan(("daily-check-in", "21:00", "daily", None))
    assert (home / "plan.json").stat().st_mode & 0o777 == 0o600
    text = (home / "reminders.json").read_text()
    assert (home / "reminders.json").stat().st_mode & 0o777 == 0o600
    assert "21:00" in text and "check-in" not in text and "daily-check" not in text


def test_the_lead_in_is_spoken_and_counted(drive):
    found = ex.find("closeness-without-pressure")  # it jumps to labels: they must still land right
    prepared = prepare.with_lead_in(found, 30)
    assert prepared.minutes == pytest.approx(found.minutes + 0.5)
    assert prepared.index_of("close") == found.index_of("close") + 2
    run = drive(prepared, ["yes", "yes"] + ["I'm done", "7"] * 2)
    assert run.session.outcome.value == "completed"
    assert "get comfortable" in run.said()[0]
    first_step = next(t for t, action in run.log if getattr(action, "text", "").startswith("Sam, is today"))
    assert first_step >= 30
    assert prepare.with_lead_in(found, 0) is found


def test_the_lead_in_says_when_we_begin_as_people_say_it():
    said = {seconds: prepare.in_words(seconds) for seconds in (1, 5, 30, 60, 75, 90, 150, 600)}
    assert said == {1: "in 1 second", 5: "in 5 seconds", 30: "in 30 seconds", 60: "in a minute",
                    75: "in a minute and 15 seconds", 90: "in a minute and a half",
                    150: "in 2 and a half minutes", 600: "in 10 minutes"}
    found = ex.find("box-breathing")
    assert "We begin in a minute and a half;" in prepare.with_lead_in(found, 90).steps[0].text
    alone = prepare.with_lead_in(found, 5, solo="B").steps[0].text
    assert alone.startswith("Let's get comfortable first, {B}. Find your place, put your phone away")
