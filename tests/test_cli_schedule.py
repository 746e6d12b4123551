"""The plan commands as a user types them: bad input is one line and exit 2 with nothing written;
a completed session fulfils its slot; 'today' leads in before it starts."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from voicecoach import runner, voice
from voicecoach.cli.commands import cli
from voicecoach.schedule import plans, reminders

NOW = {"VOICECOACH_NOW": "2026-12-09T20:55", "TZ": "Europe/Berlin"}  # a Wednesday evening


def run(*args, input=None, env=NOW):
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def test_bad_input_is_one_line_exit_2_and_nothing_written(home):
    for args, named in ((["box-breathing", "--at", "25:00"], "'25:00'"),
                        (["box-breathing", "--at", "21:00", "--days", ""], "no days"),
                        (["box-breathing", "--at", "21:00", "--days", "mon,fryday"], "'fryday'"),
                        (["box-breathing", "--at", "21:00", "--every", "fortnightly"], "'fortnightly'"),
                        (["no-such-exercise", "--at", "21:00"], "no-such-exercise")):
        result = run("plan", "add", *args)
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1 and named in result.output
    assert sorted(p.name for p in home.iterdir()) == ["safety-note-shown"]
    assert run("plan", "remove", "3").exit_code == 2
    assert run("program", "start", "no-such-program").output.startswith("Error: 'no-such-program': no such program")


def test_add_list_pause_resume_remove():
    assert run("plan", "add", "daily-check-in", "--at", "21:00", "--days", "weekdays").output == \
        "Planned: Daily check-in, weekdays at 21:00.\n"
    run("plan", "add", "date-night-plan", "--at", "19:00", "--days", "fri", "--every", "2-weeks")
    assert run("plan", "list").output == ("  1  Daily check-in, weekdays at 21:00\n"
                                          "  2  Plan a date night, every 2 weeks on fri at 19:00\n")
    run("plan", "pause", "2")
    assert "(paused)" in run("plan", "list").output
    assert [slot["key"] for slot in reminders.read()["slots"]] == [1]
    run("plan", "pause")
    assert "The plan is paused" in run("due").output
    run("plan", "resume")
    run("plan", "resume", "2")
    assert len(reminders.read()["slots"]) == 2
    assert run("plan", "remove", "1").output == "Removed: Daily check-in, weekdays at 21:00.\n"
    assert [e.exercise for e in plans.load().entries] == ["date-night-plan"]


def test_a_completed_session_fulfils_its_slot_but_not_without_the_journal():
    run("plan", "add", "daily-check-in", "--at", "21:00")
    result = run("start", "daily-check-in", "--text", "--time-scale", "0", "--no-log", "--no-listen", input="")
    assert result.exit_code == 0, result.output
    assert reminders.read()["done"] == []  # --no-log: the plan cannot know, and says nothing wrong
    assert "21:00  Daily check-in                     now" in run("due").output
    result = run("start", "daily-check-in", "--text", "--time-scale", "0", "--log", "--no-listen", input="")
    assert result.exit_code == 0, result.output
    assert reminders.read()["done"] == ["1@2026-12-09"]
    assert "21:00  Daily check-in                     done" in run("due").output


def test_a_rehearsal_leaves_the_plan_and_the_stats_as_they_were():
    run("plan", "add", "box-breathing", "--at", "21:30")
    run("config", "set", "prepare-seconds", "0")
    result = run("today", "--solo", "--text", "--time-scale", "0.01", "--no-listen", input="")
    assert result.exit_code == 0, result.output
    assert "A rehearsal (--time-scale 0.01): not kept in your journal" in result.output
    assert reminders.read()["done"] == []
    assert "  21:30  Box breathing                      later\n" in run("due").output
    assert "Box breathing" not in run("stats").output


def test_today_leads_in_then_starts_the_next_planned_exercise():
    run("plan", "add", "box-breathing", "--at", "21:30")
    run("config", "set", "prepare-seconds", "20")
    result = run("today", "--text", "--time-scale", "0", "--log", "--no-listen", input="")
    assert result.exit_code == 0, result.output
    assert "get comfortable first" in result.output and "We begin in 20 seconds" in result.output
    assert "Completed: Box breathing." in result.output
    assert run("next").output == "Nothing more is planned for today. Next: Box breathing, Thursday 21:30.\n"


def test_closeness_reminders_need_both_yes():
    run("plan", "add", "closeness-without-pressure", "--at", "21:30")
    result = run("plan", "closeness-reminders", "on", "--text", "--time-scale", "0.01", input="yes\nno\n")
    assert result.output.count("Answer yes or no; no reason is needed.") == 2 and "Press y" not in result.output
    assert result.output.endswith("  That's fine. Closeness exercises stay without reminders.\n")
    assert "Not today" not in result.output  # a session's decline line, not a setting's
    assert reminders.read()["slots"] == [] and not plans.load().closeness_reminders
    run("plan", "closeness-reminders", "on", "--text", "--time-scale", "0.01", input="yes\nyes\n")
    assert len(reminders.read()["slots"]) == 1
    assert run("plan", "closeness-reminders", "off").output == "Reminders for closeness exercises are off.\n"
    assert reminders.read()["slots"] == []


def test_plan_resume_brings_back_each_paused_entry_and_says_which():
    run("plan", "add", "daily-check-in", "--at", "21:00")
    run("plan", "add", "box-breathing", "--at", "22:00")
    run("plan", "pause", "2")
    run("plan", "pause")
    assert run("plan", "resume").output == ("The plan is back on.\n"
                                            "Entry 2, Box breathing, daily at 22:00, is back on.\n")
    assert "paused" not in run("plan", "list").output
    assert len(reminders.read()["slots"]) == 2
    assert run("plan", "resume").output == "Nothing was paused; the plan is on.\n"


def test_plan_resume_leaves_a_paused_programs_entries_to_program_resume():
    run("program", "start", "first-week")
    run("program", "pause")
    assert "stays paused, with its entries: 'voicecoach program resume'" in run("plan", "resume").output
    assert all(entry.paused for entry in plans.load().entries)


def test_a_program_uses_the_couples_own_entry_instead_of_doubling_it():
    run("plan", "add", "daily-check-in", "--at", "21:00")
    result = run("program", "start", "rebuilding-trust")
    assert "Your Daily check-in, daily at 21:00, is already planned; the program uses it." in result.output
    assert [e.exercise for e in plans.load().entries].count("daily-check-in") == 1
    assert run("plan", "add", "daily-check-in", "--at", "07:30").output.splitlines()[1] == \
        "It is also planned daily at 21:00 (entry 1); 'voicecoach plan remove 1' if one is enough."
    run("plan", "remove", "3")
    assert "daily at 21:00" in run("program", "status").output
    assert "is your own and stays on" in run("program", "pause").output
    assert not plans.load().entries[0].paused
    run("program", "resume")
    run("program", "stop", "--yes")
    [entry] = plans.load().entries
    assert (entry.exercise, entry.rhythm.at, entry.paused, entry.program) == ("daily-check-in", "21:00", False, None)


SPEECH = Path(__file__).resolve().parent.parent.parent / "shared" / "speech" / "words"


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_today_runs_hands_free_with_recordings_and_solo(home, monkeypatch):
    """'today' takes start's --audio-in and --solo: a recording answers the rating, alone."""
    monkeypatch.setattr(runner, "_open_voice", lambda settings, audio_out, time_scale:
                        (voice.TextVoice(time_scale, settings.rate_wpm), None))
    real_ears = runner._open_ears
    monkeypatch.setattr(runner, "_open_ears", lambda audio_in, listen, playing: real_ears(audio_in, False, playing))
    (home / "exercises").mkdir(mode=0o700)
    (home / "exercises" / "calm-rating.yaml").write_text(
        "id: calm-rating\ntitle: Calm rating\nminutes: 1\nsolo: true\nsteps:\n"
        "  - rate: {ask: '{speaker}, how calm?', key: calm, limit: 10}\n")
    run("plan", "add", "calm-rating", "--at", "21:00")
    run("config", "set", "prepare-seconds", "0")
    result = run("today", "--solo", "--log", "--partner", "B", "--audio-in", str(SPEECH / "two" / "sc1_2f813234_nohash_1.wav"),
                 input="")
    assert result.exit_code == 0, result.output
    assert "Partner B, how calm?" in result.output and "  > two" in result.output
    [session] = json.loads(run("history", "--json").output)
    assert session["ratings"] == [{"key": "calm", "slot": "B", "name": "Partner B", "value": 2}]
    assert reminders.read()["done"] == ["1@2026-12-09"]
    result = run("today", "--solo")
    assert result.exit_code == 0 and result.output.startswith("Nothing more is planned for today.")


def test_today_solo_refuses_an_exercise_for_two():
    run("plan", "add", "daily-check-in", "--at", "21:00")
    result = run("today", "--solo", "--text", "--no-listen", input="")
    assert result.exit_code == 2 and "daily-check-in, planned now, is for two" in result.output


def test_due_plan_list_and_program_status_fit_80_columns_with_titles_whole():
    long_days = ("--days", "mon,tue,wed,thu,fri,sat", "--every", "2-weeks")
    for exercise_id, at in (("stress-reducing-conversation", "20:15"), ("muscle-relaxation-short", "20:45"),
                            ("daily-check-in", "21:00")):
        run("plan", "add", exercise_id, "--at", at, *long_days)
    run("program", "start", "rebuilding-trust")  # uses the check-in above, with its long rhythm
    saturday = {**NOW, "VOICECOACH_NOW": "2026-12-12T22:50", "COLUMNS": "80"}
    for command, titles in ((["due"], ("Stress-reducing conversation", "Muscle relaxation, short form")),
                            (["plan", "list"], ("Stress-reducing conversation", "Muscle relaxation, short form")),
                            (["program", "status"], ("Daily check-in", "Resonance breathing"))):
        output = run(*command, env=saturday).output
        assert max(len(line) for line in output.splitlines()) <= 80, output
        assert all(title in output for title in titles), output
    assert "  Stress-reducing conversation: Wed, Thu, Fri at 20:15\n" in run("due", env=saturday).output


def _at_once(commands):
    """Run voicecoach commands in separate processes, all at once; their exit codes."""
    import os
    import subprocess
    import sys

    from keeping import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [subprocess.Popen([sys.executable, "-m", "voicecoach", *command], env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for command in commands]
    return [(child.wait(timeout=120), child.stderr.read()) for child in children]


def test_plan_adds_and_settings_changed_at_once_are_all_kept(home):
    """Each command reads, changes and writes its file under the folder's lock: none is lost."""
    from voicecoach import config
    from voicecoach.schedule import plans

    adds = [["plan", "add", "daily-check-in", "--at", f"20:{minute:02d}"] for minute in range(8)]
    assert all(code == 0 for code, _ in _at_once(adds))
    assert sorted(entry.rhythm.at for entry in plans.load().entries) == [f"20:{minute:02d}" for minute in range(8)]
    sets = [["config", "set", key, value] for key, value in [("partner-a", "Sam"), ("partner-b", "Alex"),
                                                             ("partner-a-say", "Sammy"), ("helplines", "Relate"),
                                                             ("prepare-seconds", "12"), ("streaks", "off")]]
    assert all(code == 0 for code, _ in _at_once(sets))
    settings = config.as_dict(config.load())
    assert (settings["partner-a"], settings["partner-b"], settings["partner-a-say"], settings["helplines"],
            settings["prepare-seconds"], settings["streaks"]) == ("Sam", "Alex", "Sammy", "Relate", 12, False)


@pytest.mark.parametrize("name, content", [
    ("plan.json", "[" * 100_000), ("program.json", "[" * 100_000), ("reminders.json", "[" * 100_000),
    ("program.json", "[1, 2]"), ("program.json", '{"id": "first-week", "week": "two"}'),
])
def test_a_damaged_plan_or_program_file_is_one_line(home, name, content):
    (home / name).write_text(content)
    for command in (["due"], ["program", "status"], ["plan", "list"]):
        result = run(*command)
        assert "Traceback" not in result.output and not isinstance(result.exception, (RecursionError, TypeError,
                                                                                        KeyError, AttributeError))
    result = run("due") if name != "program.json" else run("program", "status")
    assert result.exit_code != 0 and result.output.strip().count("\n") == 0
    assert result.output.startswith(f"Error: {home / name}: cannot be read")


def _plan_with(**rhythm) -> str:
    entry = {"key": 1, "exercise": "daily-check-in", "paused": False, "program": None, "touch": False,
             "rhythm": {"at": "20:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "every": 1,
                        "unit": "days", "start": "2026-12-07", **rhythm}}
    return json.dumps({"entries": [entry], "paused": False, "closeness_reminders": False, "next_key": 2})


@pytest.mark.parametrize("name, content, commands", [
    ("plan.json", _plan_with(start="NaN-NaN-NaN"), [["due"], ["plan", "list"]]),
    ("plan.json", _plan_with(every=0), [["due"]]),
    ("plan.json", _plan_with(days=["someday"]), [["due"]]),
    ("plan.json", _plan_with(at="25:99"), [["due"]]),
    ("plan.json", _plan_with(at=None), [["due"]]),
    ("plan.json", _plan_with().replace('"key": 1', '"key": 1e400'), [["due"]]),
    ("program.json", json.dumps({"id": "first-week", "week": 10**25, "since": "2026-12-07", "done": {},
                                 "paused": False, "finished": False}), [["program", "status"]]),
    ("reminders.json", json.dumps({"done": [1, 2], "slots": []}), [["remind"]]),
    ("reminders.json", "[1, 2]", [["remind"]]),
    ("reminders.json", json.dumps({"slots": [{"key": 1, "rhythm": {"at": "20:00", "days": "NaN"}}]}), [["remind"]]),
])
def test_a_plan_program_or_reminders_file_with_values_of_the_wrong_kind_is_one_line(home, name, content, commands):
    """The shape was checked, not the values: a date, a time or a week that could not be used was a
    traceback in the middle of 'due', 'remind' or a session's end (the sweep's json-nan and
    json-types-wrong cases)."""
    (home / name).write_text(content)
    (home / name).chmod(0o600)  # a looser one draws a warning line first, once a process
    for command in commands:
        result = run(*command)
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.exception)
        assert result.exit_code != 0 and result.output.strip().count("\n") == 0, (command, result.output)
        assert result.output.startswith(f"Error: {home / name}: cannot be read"), (command, result.output)


def test_uninstall_removes_only_voicecoachs_own_units_whatever_reminders_json_names(home, tmp_path):
    """The record of what was installed is a plain file: a name in it is removed only if it is one of
    the two units install writes."""
    from voicecoach.schedule import install

    units = tmp_path / "systemd"
    units.mkdir()
    (units / "voicecoach-remind.timer").write_text("[Timer]\n")
    (tmp_path / "photo.jpg").write_text("mine")
    record = {"kind": "systemd", "folder": str(units), "units": ["voicecoach-remind.timer", "../photo.jpg"]}
    removed = install.uninstall(record, systemctl=lambda *args: None)
    assert removed == [str(units / "voicecoach-remind.timer")] and (tmp_path / "photo.jpg").read_text() == "mine"


def test_a_folder_or_link_among_the_session_locks_is_left_alone_or_one_line(home, tmp_path):
    """running/ holds voicecoach's lock files; a folder named like one made forget a traceback
    (IsADirectoryError), and a link out of it would have been opened and removed."""
    assert run("history").exit_code == 0  # the journal and running/ exist
    (home / "running" / "odd.lock").mkdir()
    (tmp_path / "mine.txt").write_text("mine")
    (home / "running" / "link.lock").symlink_to(tmp_path / "mine.txt")
    result = run("forget", "--all", "--yes")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert (tmp_path / "mine.txt").read_text() == "mine"
    from voicecoach.errors import JournalError
    from voicecoach.journal import liveness

    with pytest.raises(JournalError, match="odd.lock: cannot be used as a session's lock"):
        liveness._take_lock(home / "running" / "odd.lock")


def test_a_file_where_the_running_folder_belongs_is_one_line(home):
    (home / "running").write_text("not a folder")
    result = run("history")
    assert result.exit_code != 0 and result.output.strip() == (
        f"Error: {home / 'running'} is a file, where voicecoach keeps a folder of that name; move it away")
