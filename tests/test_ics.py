"""The plan as an iCalendar file, parsed back with the icalendar library."""

from datetime import date, datetime, timedelta

import icalendar
from click.testing import CliRunner

from voicecoach.cli.commands import cli

NOW = {"VOICECOACH_NOW": "2026-12-09T12:00", "TZ": "Europe/Berlin"}


def add(runner, *args):
    result = runner.invoke(cli, ["plan", "add", *args], env=NOW)
    assert result.exit_code == 0, result.output


def events(path):
    return icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")


def test_export_writes_recurrence_rules_with_discreet_titles(tmp_path):
    runner = CliRunner()
    add(runner, "daily-check-in", "--at", "21:00", "--days", "weekdays")
    add(runner, "box-breathing", "--at", "07:30", "--every", "2-days")
    add(runner, "date-night-plan", "--at", "19:00", "--days", "sun", "--every", "2-weeks")
    add(runner, "closeness-without-pressure", "--at", "21:30")
    out = tmp_path / "plan.ics"
    result = runner.invoke(cli, ["plan", "export", "--ics", str(out)], env=NOW)
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    found = events(out)
    assert len(found) == 3  # closeness is left out: nobody asked for its reminders
    assert {str(e["SUMMARY"]) for e in found} == {"Practice time"}
    rules = [e["RRULE"] for e in found]
    assert rules[0]["FREQ"] == ["WEEKLY"] and rules[0]["BYDAY"] == ["MO", "TU", "WE", "TH", "FR"]
    assert rules[1]["FREQ"] == ["DAILY"] and rules[1]["INTERVAL"] == [2]
    assert rules[2]["FREQ"] == ["WEEKLY"] and rules[2]["INTERVAL"] == [2] and rules[2]["BYDAY"] == ["SU"]
    first = found[0].decoded("DTSTART")
    assert first.replace(tzinfo=None) == datetime(2026, 12, 9, 21, 0)
    assert str(first.tzinfo) == "Europe/Berlin"
    assert found[0].decoded("DURATION") == timedelta(minutes=12)
    assert found[2].decoded("DTSTART").date() == date(2026, 12, 13)
    assert b"VTIMEZONE" in out.read_bytes()


def test_titles_only_when_asked(tmp_path):
    runner = CliRunner()
    add(runner, "daily-check-in", "--at", "21:00")
    out = tmp_path / "plan.ics"
    runner.invoke(cli, ["plan", "export", "--ics", str(out), "--titles"], env=NOW)
    assert [str(e["SUMMARY"]) for e in events(out)] == ["Daily check-in"]
