import io
import json
from datetime import datetime

import pytest
from click.testing import CliRunner
from past_sessions import record
from rich.console import Console

from voicecoach.cli import history
from voicecoach.cli.commands import cli
from voicecoach.journal import Journal


def invoke(*args):
    """A wide terminal, so each table row stays on one line."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "160"})


@pytest.fixture
def journal():
    """A small journal: a check-in a day in early November, a stopped, an interrupted and a declined session."""
    with Journal() as journal:
        for day in (2, 3, 4):
            record(journal, "daily-check-in", datetime(2026, 11, day, 20, 0),
                   ratings=[("connection", "A", day + 3), ("connection", "B", None)])
        record(journal, "speaker-listener", datetime(2026, 11, 5, 20, 0), outcome="stopped", done=5, total=9,
               ratings=[("understood", "A", 6), ("understood", "B", 4)])
        record(journal, "box-breathing", datetime(2026, 11, 6, 7, 30), outcome="interrupted", done=0, total=10)
        record(journal, "sensate-focus-1", datetime(2026, 11, 7, 21, 0), outcome="declined", done=2, total=34,
               ratings=[("comfort", "B", 3)])
        yield journal


def test_sessions_filter_by_day_exercise_and_outcome_newest_first(journal):
    exercises = [s["exercise_id"] for s in journal.sessions()]
    assert exercises == ["sensate-focus-1", "box-breathing", "speaker-listener"] + ["daily-check-in"] * 3
    since = [s["exercise_id"] for s in journal.sessions(since=datetime(2026, 11, 5))]
    assert since == ["sensate-focus-1", "box-breathing", "speaker-listener"]
    checkins = journal.sessions(exercise="daily-check-in")
    assert [s["ratings"][0]["value"] for s in checkins] == [7, 6, 5]
    assert [s["exercise_id"] for s in journal.sessions(outcome="stopped")] == ["speaker-listener"]
    both = journal.sessions(since=datetime(2026, 11, 3), exercise="daily-check-in", limit=1)
    assert [s["ratings"][0]["value"] for s in both] == [7]
    assert "ratings" not in journal.sessions(with_ratings=False)[0]
    assert journal.sessions(since=datetime(2026, 12, 1)) == []


def test_ratings_are_answered_ones_oldest_first_and_never_from_a_declined_session(journal):
    ratings = journal.ratings()
    assert [(r["key"], r["slot"], r["value"]) for r in ratings] == [
        ("connection", "A", 5), ("connection", "A", 6), ("connection", "A", 7),
        ("understood", "A", 6), ("understood", "B", 4)]
    assert set(ratings[0]) == {"session_id", "started_at", "exercise_id", "step_index", "key", "slot",
                               "name", "value"}
    assert [r["value"] for r in journal.ratings(since=datetime(2026, 11, 3), key="connection")] == [6, 7]
    assert [r["key"] for r in journal.ratings(exercise="speaker-listener")] == ["understood", "understood"]
    # Even a declined row that somehow kept a rating (an old import, say) is never returned.
    declined = journal.sessions(outcome="declined")[0]["id"]
    journal._db.execute("INSERT INTO ratings VALUES (?, 0, 'comfort', 'B', 'Alex', 3, '2026-11-07')", (declined,))
    assert all(r["session_id"] != declined for r in journal.ratings())


def test_partial_sessions_say_how_far_they_got_kindly():
    stopped = {"outcome": "stopped", "steps_done": 5, "steps_total": 9}
    assert history.how_it_ended(stopped) == "stopped, got through 5 of 9 steps"
    assert history.how_it_ended({**stopped, "outcome": "interrupted", "steps_done": 0}) == "interrupted at the start"
    assert history.how_it_ended({"outcome": "completed", "steps_done": 9, "steps_total": 9}) == "completed"


def test_a_declined_session_shows_only_that_it_was_declined():
    row = {"started_at": "2026-11-07T20:00:00.000+00:00", "exercise_id": "sensate-focus-1", "minutes": 0.4,
           "outcome": "declined", "steps_done": 2, "steps_total": 34,
           "ratings": [{"key": "comfort", "slot": "B", "name": "Alex", "value": 3}]}
    assert history.as_shown(row)["ratings"] == [] and history.as_shown(row)["steps_done"] == 0
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(history.table([row]))
    text = console.file.getvalue()
    assert "declined" in text
    assert "Alex" not in text and "comfort" not in text and "3" not in text.split("declined")[1]
    assert text.splitlines()[1].split()[2:] == ["sensate-focus-1", "declined"]  # after the day and time: no minutes


def test_history_table_shows_local_time_partial_sessions_and_ratings():
    rows = [{"started_at": "2026-11-26T20:30:00.000+00:00", "exercise_id": "daily-check-in", "minutes": 4.5,
             "outcome": "stopped", "steps_done": 3, "steps_total": 13,
             "ratings": [{"name": "Sam", "key": "connection", "value": 7},
                         {"name": "Alex", "key": "connection", "value": None}]}]
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(history.table(rows))
    text = console.file.getvalue()
    local = datetime.fromisoformat(rows[0]["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
    assert local in text
    assert "stopped, got through 3 of 13 steps" in text
    assert "connection: Sam 7, Alex -" in text
    assert "Every step you got through is practice" in text


def test_history_command_filters_and_json(journal):
    result = invoke("history", "--since", "2026-11-04", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [r["exercise_id"] for r in rows] == ["sensate-focus-1", "box-breathing", "speaker-listener",
                                                "daily-check-in"]
    assert rows[0]["outcome"] == "declined" and rows[0]["ratings"] == [] and rows[0]["steps_done"] == 0
    assert rows[2]["steps_done"] == 5 and rows[2]["steps_total"] == 9
    assert {"id", "started_at", "ended_at", "minutes", "outcome", "ratings"} <= set(rows[3])
    only = json.loads(invoke("history", "--exercise", "daily-check-in", "--outcome", "completed", "--json").output)
    assert len(only) == 3 and {r["exercise_id"] for r in only} == {"daily-check-in"}
    assert json.loads(invoke("history", "--outcome", "interrupted", "--json").output)[0]["exercise_id"] == \
        "box-breathing"


def test_history_command_on_screen(journal):
    text = invoke("history").output
    assert "speaker-listener" in text and "stopped, got through 5 of 9 steps" in text
    assert "interrupted at the start" in text
    assert "declined" in text and "comfort" not in text
    assert "No sessions match." in invoke("history", "--since", "2027-01-01").output
    assert "No sessions match." in invoke("history", "--exercise", "imago-dialogue").output


def test_history_on_screen_shows_a_screenful_and_says_how_to_see_more():
    with Journal() as journal:
        for day in range(1, 26):
            record(journal, "daily-check-in", datetime(2026, 10, day, 20, 0))
    text = invoke("history").output
    assert text.count("daily-check-in") == 20
    assert "--limit N" in text
    assert len(json.loads(invoke("history", "--json").output)) == 25
    assert invoke("history", "--limit", "25").output.count("daily-check-in") == 25


@pytest.mark.parametrize("args, line", [
    (["--since", "2026-13-01"], "Error: --since: '2026-13-01' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01"),
    (["--since", "last week"], "Error: --since: 'last week' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01"),
    (["--outcome", "finished"],
     "Error: --outcome: 'finished' is not one of completed, stopped, declined, interrupted"),
    (["--exercise", "daily-checkin"],
     "daily-checkin: no such exercise (did you mean 'daily-check-in'?); 'voicecoach list' shows them all"),
])
def test_bad_filters_are_one_line_and_exit_2(journal, args, line):
    result = invoke("history", *args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [line]


def test_names_are_shown_as_typed_never_as_markup():
    with Journal() as journal:
        record(journal, "daily-check-in", datetime.now(), ratings=[("connection", "A", 7)])
        journal._db.execute("UPDATE ratings SET name = '[bold]Kim[/bold]'")
    assert "connection: [bold]Kim[/bold] 7" in invoke("history").output
    assert "[bold]Kim[/bold]" in invoke("stats").output


def test_history_through_a_pipe_never_cuts_an_exercise_id_short():
    with Journal() as journal:
        record(journal, "closeness-without-pressure", datetime(2026, 11, 8, 20, 0), outcome="stopped", done=2,
               total=9, ratings=[("closeness", "A", 6), ("closeness", "B", 7)])
    result = CliRunner().invoke(cli, ["history"], catch_exceptions=False)  # 80 columns, as through | cat
    assert "closeness-without-pressure " in result.output and "…" not in result.output
