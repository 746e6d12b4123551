"""Programs over simulated weeks: a week moves on only when its sessions are done and both
partners, each asked privately, are ready; pause and stop blame nobody."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from voicecoach import exercise as ex
from voicecoach import schedule
from voicecoach.cli.commands import cli
from voicecoach.errors import ExerciseError, ScheduleError
from voicecoach.schedule import plans, programs, reminders

BERLIN = ZoneInfo("Europe/Berlin")
TOUCH = {"closeness-without-pressure", "sensate-focus-1"}


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def env(moment):
    return {"VOICECOACH_NOW": moment, "TZ": "Europe/Berlin"}


def started(program_id="rebuilding-trust", today=date(2026, 12, 7)):
    program = programs.find(program_id)
    plan = plans.load()
    state = programs.start(plan, program, today, TOUCH)
    schedule.save_plan(plan)
    programs.save_state(state)
    return program


def test_built_in_programs_use_real_exercises_over_enough_weeks():
    ids = {e.id for e in ex.all_exercises()[0]}
    found = {p.id: p for p in programs.all_programs()[0]}
    assert set(found) >= {"rebuilding-trust", "first-week"}
    trust = found["rebuilding-trust"]
    assert len(trust.weeks) >= 6
    used = {item.exercise for week in trust.weeks for item in week.practice}
    assert used <= ids
    assert {"daily-check-in", "hurt-conversation", "closeness-without-pressure", "date-night-plan"} <= used
    assert any(e.startswith(("box", "resonance", "muscle")) for e in used)


def test_a_program_file_with_an_unknown_exercise_names_file_and_line(tmp_path):
    bad = tmp_path / "mine.yaml"
    bad.write_text("id: mine\ntitle: Mine\nweeks:\n  - title: One\n    practice:\n"
                   "      - {exercise: daily-chek-in, at: '21:00'}\n")
    with pytest.raises(ExerciseError) as caught:
        programs.load_file(bad)
    assert str(caught.value).startswith(f"{bad}:6: unknown exercise 'daily-chek-in' (did you mean 'daily-check-in'?)")
    result = CliRunner().invoke(cli, ["check", str(bad)])
    assert result.exit_code == 2 and f"{bad}:6: unknown exercise" in result.output
    good = programs.builtin_files()
    assert CliRunner().invoke(cli, ["check", *map(str, good)]).exit_code == 0


def test_a_broken_program_of_your_own_is_skipped_with_its_line(home):
    (home / "programs").mkdir()
    (home / "programs" / "ours.yaml").write_text("id: ours\ntitle: Ours\nweeks: nope\n")
    result = CliRunner().invoke(cli, ["program", "list"])
    assert result.exit_code == 0 and "rebuilding-trust" in result.stdout
    assert result.stderr == f"Skipped: {home / 'programs' / 'ours.yaml'}:3: weeks should be a list with at least one week\n"


def test_start_plans_the_first_week_and_only_one_program_runs():
    started()
    plan = plans.load()
    assert [(e.exercise, e.rhythm.at, e.program) for e in plan.entries] == [
        ("daily-check-in", "20:30", "rebuilding-trust"), ("resonance-breathing", "21:30", "rebuilding-trust")]
    with pytest.raises(ScheduleError, match="already under way"):
        programs.start(plan, programs.find("first-week"), date(2026, 12, 7), TOUCH)


def test_a_week_moves_on_only_with_its_sessions_and_both_ready():
    program = started()
    for day in range(7, 13):
        schedule.session_completed("daily-check-in", at(f"2026-12-{day:02d}T20:40"), BERLIN)
    schedule.session_completed("hurt-conversation", at("2026-12-12T19:00"), BERLIN)  # not this week's practice
    state, plan = programs.load_state(), plans.load()
    assert programs.sessions_left(state, program) == 1
    assert programs.move_on(state, plan, program, date(2026, 12, 13), True, TOUCH) == "not-yet"
    schedule.session_completed("resonance-breathing", at("2026-12-11T21:30"), BERLIN)
    state = programs.load_state()
    before = dict(state)
    assert programs.move_on(state, plan, program, date(2026, 12, 13), False, TOUCH) == "staying"
    assert state == before  # a "not today" leaves no trace: no count, no name
    assert programs.move_on(state, plan, program, date(2026, 12, 13), True, TOUCH) == "moved"
    assert state["week"] == 2 and state["done"] == {}
    assert {e.exercise for e in plan.entries} == {"daily-check-in", "speaker-listener", "muscle-relaxation-short"}


def test_closeness_weeks_are_not_reminded_unless_both_opted_in():
    program = started()
    state, plan = programs.load_state(), plans.load()
    state.update(week=5)
    programs.plan_week(plan, program, 5, date(2026, 12, 7), TOUCH)
    schedule.save_plan(plan)
    touch_keys = {e.key for e in plan.entries if e.touch}
    assert touch_keys and not touch_keys & {slot["key"] for slot in reminders.read()["slots"]}


def test_pause_and_stop_take_the_reminders_with_them():
    started()
    runner = CliRunner()
    result = runner.invoke(cli, ["program", "pause"], env=env("2026-12-08T12:00"))
    assert "paused, with its reminders" in result.output
    assert reminders.read()["slots"] == [] and all(e.paused for e in plans.load().entries)
    schedule.session_completed("daily-check-in", at("2026-12-08T20:30"), BERLIN)
    assert programs.load_state()["done"] == {}  # paused: nothing counts, nothing is expected
    runner.invoke(cli, ["program", "resume"], env=env("2026-12-08T12:00"))
    assert len(reminders.read()["slots"]) == 2
    result = runner.invoke(cli, ["program", "stop", "--yes"], env=env("2026-12-08T12:00"))
    assert result.output == ("Rebuilding trust is stopped; its 2 practice times left your plan. "
                             "You can start it again whenever it feels right.\n")
    assert plans.load().entries == [] and reminders.read()["slots"] == []
    assert programs.load_state() is None
    assert runner.invoke(cli, ["program", "status"]).exit_code == 2


def test_continue_asks_each_partner_privately(monkeypatch):
    program = started("first-week")
    state = programs.load_state()
    state["done"] = {"daily-check-in": 6}
    programs.save_state(state)
    runner = CliRunner()
    result = runner.invoke(cli, ["program", "continue", "--text", "--time-scale", "0.01"], input="yes\nno\n", env=env("2026-12-13T21:00"))
    assert result.exit_code == 0, result.output
    assert "  That's fine. There is no hurry.\nYou'll stay with week 1 for now." in result.output
    assert "Answer yes, or no if not yet" in result.output and "Press y" not in result.output
    after = result.output.split("(answered)")[-1]
    assert "Partner A" not in after and "Partner B" not in after  # nobody is named for a "not yet"
    assert "Not today: " not in after and "--no-log" not in after  # a private question is not summed up as a session
    assert programs.load_state() == state
    result = runner.invoke(cli, ["program", "continue", "--text", "--time-scale", "0.01"], input="yes\nyes\n", env=env("2026-12-13T21:00"))
    assert f"{program.title} is complete." in result.output
    assert all(e.program is None for e in plans.load().entries)  # the routines stay theirs
    assert "complete" in runner.invoke(cli, ["program", "status"]).output


def test_continue_before_the_sessions_are_done_asks_nothing():
    started()
    result = CliRunner().invoke(cli, ["program", "continue", "--text", "--time-scale", "0.01"], input="yes\nyes\n",
                                env=env("2026-12-08T21:00"))
    assert result.output == "This week asks for 7 more sessions first. Take your time.\n"
    assert programs.load_state()["week"] == 1


@pytest.mark.parametrize("practice", ["      - box-breathing\n", "      - [box-breathing]\n"])
def test_a_practice_that_is_not_a_mapping_is_one_line_not_a_traceback(tmp_path, practice):
    bad = tmp_path / "mine.yaml"
    bad.write_text("id: mine\ntitle: Mine\nweeks:\n  - title: One\n    practice:\n" + practice)
    result = CliRunner().invoke(cli, ["check", str(bad)])
    assert result.exit_code == 2 and "should be a mapping" in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, AttributeError)


def test_a_plan_file_of_an_unexpected_shape_is_one_line():
    from voicecoach import paths

    (paths.data_dir() / plans.FILENAME).write_text('{"entries": [{"exercise": "x"}]}')
    result = CliRunner().invoke(cli, ["plan", "list"])
    assert result.exit_code != 0 and "cannot be read (unexpected content" in result.output
    assert not isinstance(result.exception, (KeyError, TypeError))


def test_stop_asks_first_and_refuses_without_a_terminal_unless_told_yes(monkeypatch):
    from voicecoach.cli import schedule as cli_schedule

    started()
    runner = CliRunner()
    refused = runner.invoke(cli, ["program", "stop"], env=env("2026-12-08T12:00"))
    assert refused.exit_code == 2 and "add --yes" in refused.output and programs.load_state() is not None
    monkeypatch.setattr(cli_schedule, "_at_terminal", lambda: True)
    kept = runner.invoke(cli, ["program", "stop"], input="n\n", env=env("2026-12-08T12:00"))
    assert "Stop Rebuilding trust at week 1 of" in kept.output and "goes on" in kept.output
    assert programs.load_state() is not None and plans.load().entries
    stopped = runner.invoke(cli, ["program", "stop"], input="y\n", env=env("2026-12-08T12:00"))
    assert "is stopped" in stopped.output and programs.load_state() is None
