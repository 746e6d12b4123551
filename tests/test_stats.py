import json
import os
import stat
import struct
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from past_sessions import record

from voicecoach import exercise
from voicecoach.cli import stats_view
from voicecoach.cli.commands import cli
from voicecoach.journal import Journal, stats

TODAY = date(2026, 11, 26)  # a Thursday
MONDAY = date(2026, 11, 23)


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "160"})


def session(day: date, exercise_id="daily-check-in", outcome="completed", minutes=10.0, hour=20):
    return {"started_at": datetime(day.year, day.month, day.day, hour).astimezone().isoformat(),
            "exercise_id": exercise_id, "exercise_title": exercise_id.capitalize(), "outcome": outcome,
            "minutes": minutes, "steps_done": 3, "steps_total": 5}


def rating(day: date, key, slot, value, session_id=None, step_index=4):
    return {"session_id": session_id or f"{day}-{key}", "step_index": step_index,
            "started_at": datetime(day.year, day.month, day.day, 20).astimezone().isoformat(),
            "exercise_id": "daily-check-in", "key": key, "slot": slot,
            "name": {"A": "Sam", "B": "Alex"}[slot], "value": value}


def test_slope_is_least_squares_over_the_recent_weeks_with_values():
    assert stats.slope([1, 2, 3]) == pytest.approx(1.0)
    assert stats.slope([5, None, 5, 5]) == pytest.approx(0.0)
    assert stats.slope([2, None, None, 8]) is None  # two weeks are too few
    assert stats.slope([0, None, 2, None, 4]) == pytest.approx(1.0)  # quiet weeks keep their place
    # Only the last eight weeks count: an old fall does not hide a recent rise.
    assert stats.slope([10, 10, 10, 10] + [1, 2, 3, 4, 5, 6, 7, 8]) == pytest.approx(1.0)


def test_local_day_follows_the_local_clock():
    for stamp in ("2026-11-26T23:30:00.000+00:00", "2026-03-29T00:59:59.999+00:00",
                  "2026-10-25T01:30:00.000+00:00", "2026-06-01T22:15:00.000+02:00"):
        assert stats.local_day(stamp) == datetime.fromisoformat(stamp).astimezone().date()


def test_trends_in_words():
    assert [stats.rating_trend(s) for s in (0.5, 0.05, -0.05, -0.3, None)] == [
        "rising", "steady", "steady", "lower lately", "too soon to tell"]
    assert [stats.gap_trend(s) for s in (-0.5, 0.0, 0.4, None)] == [
        "closing", "about the same", "wider lately", "too soon to tell"]


def test_every_week_of_the_window_is_listed_practised_or_not():
    weeks = stats.window(TODAY, 3)
    assert weeks == [date(2026, 11, 9), date(2026, 11, 16), MONDAY]
    rows = stats.by_week(stats.dated([session(date(2026, 11, 10), minutes=12.5),
                                      session(date(2026, 11, 11), outcome="stopped", minutes=4),
                                      session(MONDAY)]), weeks)
    assert rows == [
        {"week": "2026-11-09", "sessions": 2, "minutes": 16.5, "completed": 1},
        {"week": "2026-11-16", "sessions": 0, "minutes": 0.0, "completed": 0},
        {"week": "2026-11-23", "sessions": 1, "minutes": 10.0, "completed": 1},
    ]


def test_practice_days_count_days_not_sessions_and_a_gap_resets_nothing():
    weeks = stats.window(TODAY, 2)
    sessions = stats.dated([
        session(date(2026, 11, 17)),
        session(MONDAY), session(MONDAY, "box-breathing", hour=8),  # two on one day: one practice day
        # Tuesday missed
        session(date(2026, 11, 25), outcome="stopped"), session(TODAY, outcome="interrupted"),
    ])
    assert stats.practice_days(sessions, weeks, closeness=set()) == {date(2026, 11, 16): 1, MONDAY: 3}


def test_closeness_exercises_and_declined_sessions_never_count_toward_practice_days():
    closeness = stats.closeness(exercise.all_exercises()[0])
    assert closeness == {"sensate-focus-1", "closeness-without-pressure"}
    sessions = stats.dated([session(MONDAY, "sensate-focus-1"), session(TODAY, "closeness-without-pressure"),
                            session(date(2026, 11, 24), "hurt-conversation", outcome="declined")])
    assert stats.practice_days(sessions, [MONDAY], closeness) == {MONDAY: 0}
    summary = stats.summary([session(MONDAY, "sensate-focus-1")], [], TODAY, 1, closeness)
    assert summary["weeks"][0]["sessions"] == 1  # still practice in the weekly sums, just not a "day"
    assert summary["streak"] == {"practice_days_this_week": 0}


def test_rating_series_per_partner_with_weekly_means_and_trend():
    weeks = stats.window(TODAY, 4)
    ratings = stats.dated([rating(week + timedelta(days=d), "connection", "A", 4 + i + d)
                           for i, week in enumerate(weeks) for d in (0, 1)]
                          + [rating(MONDAY, "connection", "B", 6)])
    sam, alex = stats.rating_series(ratings, weeks)
    assert (sam["key"], sam["slot"], sam["name"]) == ("connection", "A", "Sam")
    assert [w["mean"] for w in sam["weeks"]] == [4.5, 5.5, 6.5, 7.5]
    assert [w["count"] for w in sam["weeks"]] == [2, 2, 2, 2]
    assert sam["latest"] == 7.5 and sam["slope_per_week"] == 1.0 and sam["trend"] == "rising"
    assert [w["mean"] for w in alex["weeks"]] == [None, None, None, 6.0]
    assert alex["trend"] == "too soon to tell"


def test_the_gap_pairs_answers_to_the_same_question_and_says_whether_it_closes():
    weeks = stats.window(TODAY, 4)
    ratings = []
    for i, week in enumerate(weeks):
        ratings += [rating(week, "trust", "A", 8, session_id=f"s{i}"),
                    rating(week, "trust", "B", 2 + 2 * i, session_id=f"s{i}")]  # gaps 6, 4, 2, 0
    ratings.append(rating(MONDAY, "calm", "A", 7, session_id="solo"))  # no partner answer: no gap
    [gap] = stats.gap_series(stats.dated(ratings), weeks)
    assert gap["key"] == "trust"
    assert [w["mean"] for w in gap["weeks"]] == [6.0, 4.0, 2.0, 0.0]
    assert gap["latest"] == 0.0 and gap["slope_per_week"] == -2.0 and gap["trend"] == "closing"


def test_summary_without_streaks_has_no_practice_days():
    summary = stats.summary([session(MONDAY)], [], TODAY, 2, set(), streaks=False)
    assert summary["streak"] is None
    assert all("practice_days" not in week for week in summary["weeks"])
    assert summary["totals"] == {"sessions": 1, "completed": 1, "minutes": 10.0}
    assert summary["from"] == "2026-11-16" and summary["to"] == "2026-11-26"


def test_practice_day_wording_is_gentle():
    assert stats_view.practice_days_line(4) == "4 practice days this week."
    assert stats_view.practice_days_line(1) == "1 practice day this week."
    quiet = stats_view.practice_days_line(0)
    assert "fine" in quiet
    for word in ("missed", "broke", "lost", "only", "streak", "again", "failed"):
        assert word not in quiet.lower()


def test_sparkline_draws_quiet_weeks_as_dots():
    assert stats_view.sparkline([0, 5, None, 10], 10) == "▁▅·█"


@pytest.fixture
def journal_of_this_month():
    """Three weeks of a couple's practice up to today, rising ratings, a declined closeness session."""
    today = date.today()
    with Journal() as journal:
        for back in range(20, -1, -2):
            day = today - timedelta(days=back)
            when = datetime(day.year, day.month, day.day, 7, 0)
            record(journal, "daily-check-in", when, minutes=12,
                   ratings=[("connection", "A", 5 + (20 - back) // 5), ("connection", "B", 3 + (20 - back) // 4)])
        record(journal, "closeness-without-pressure", datetime(today.year, today.month, today.day, 6, 0),
               outcome="declined", done=3, total=23, ratings=[("closeness", "B", 2)])
        yield journal


def test_stats_json_shape(journal_of_this_month):
    result = invoke("stats", "--weeks", "4", "--json")
    assert result.exit_code == 0
    summary = json.loads(result.output)
    assert set(summary) == {"from", "to", "totals", "weeks", "exercises", "ratings", "gaps", "streak"}
    assert len(summary["weeks"]) == 4
    assert set(summary["weeks"][0]) == {"week", "sessions", "minutes", "completed", "practice_days"}
    assert summary["totals"]["sessions"] == 12 and summary["totals"]["completed"] == 11
    assert [e["exercise"] for e in summary["exercises"]] == ["daily-check-in", "closeness-without-pressure"]
    assert {(s["key"], s["name"]) for s in summary["ratings"]} == {("connection", "Sam"), ("connection", "Alex")}
    assert set(summary["ratings"][0]) == {"key", "slot", "name", "weeks", "latest", "slope_per_week", "trend"}
    assert [g["key"] for g in summary["gaps"]] == ["connection"]
    assert summary["streak"]["practice_days_this_week"] >= 1
    assert "closeness" not in result.output.replace("closeness-without-pressure", "")


def test_stats_on_screen_and_streaks_off(journal_of_this_month):
    text = invoke("stats", "--weeks", "4").output
    assert "Practice in the last 4 weeks" in text
    assert "practice days" in text  # the column, and this week's line
    assert "Daily check in" in text  # the title as recorded
    assert "connection" in text and "Sam" in text and "Alex" in text
    assert "How far apart your answers" in text
    assert invoke("config", "set", "streaks", "off").output.strip() == "streaks = off"
    text = invoke("stats", "--weeks", "4").output
    assert "practice day" not in text
    assert json.loads(invoke("stats", "--json").output)["streak"] is None
    assert invoke("config", "set", "streaks", "ON").exit_code == 0
    assert "practice day" in invoke("stats").output


def test_an_empty_journal_shows_quiet_weeks_without_fuss():
    text = invoke("stats", "--weeks", "3").output
    assert "0 sessions" in text and text.count(" 0 ") >= 3
    assert "Which exercises" not in text
    totals = json.loads(invoke("stats", "--json").output)["totals"]
    assert totals == {"sessions": 0, "completed": 0, "minutes": 0.0} and isinstance(totals["minutes"], float)


@pytest.mark.parametrize("value, expected", [("on", True), ("off", False), ("true", True), ("False", False)])
def test_config_streaks_takes_on_off_true_false(value, expected):
    assert invoke("config", "set", "streaks", value).exit_code == 0
    assert json.loads(invoke("config", "show", "--json").output)["streaks"] is expected


def test_config_streaks_rejects_anything_else_in_one_line():
    result = invoke("config", "set", "streaks", "sometimes")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["Error: streaks must be on or off, not 'sometimes'"]


def test_bad_weeks_is_refused(journal_of_this_month):
    assert invoke("stats", "--weeks", "0").exit_code == 2


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_chart_is_written_owner_only(journal_of_this_month, tmp_path):
    pytest.importorskip("matplotlib")
    chart = tmp_path / "progress.png"
    result = invoke("stats", "--weeks", "4", "--png", str(chart))
    assert result.exit_code == 0 and f"Wrote {chart}" in result.output
    data = chart.read_bytes()
    width, height = _png_size(data)
    assert 1200 <= width <= 2400 and 900 <= height <= 4000
    assert 20_000 < len(data) < 2_000_000
    assert stat.S_IMODE(os.stat(chart).st_mode) == 0o600


def test_png_chart_of_an_empty_journal_is_still_a_chart(tmp_path):
    pytest.importorskip("matplotlib")
    chart = tmp_path / "empty.png"
    assert invoke("stats", "--png", str(chart)).exit_code == 0
    assert _png_size(chart.read_bytes())[0] >= 1200


def test_png_without_matplotlib_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = invoke("stats", "--png", str(tmp_path / "chart.png"))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: charts need matplotlib: pip install 'voicecoach[charts]' (or pip install matplotlib)"]
    assert not (tmp_path / "chart.png").exists()


def test_png_into_a_missing_folder_is_one_line(tmp_path):
    pytest.importorskip("matplotlib")
    result = invoke("stats", "--png", str(tmp_path / "nowhere" / "chart.png"))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "cannot write the chart" in result.output


def test_closeness_ids_read_from_the_tag_lines_match_loading_every_exercise(home):
    """The quick scan agrees with a full load, for the library and for the couple's own files,
    written with a flow list, a block list (loaded whole), or reusing a built-in id (ignored)."""
    library = exercise.builtin_files()
    assert stats.closeness_ids(library) == stats.closeness(exercise.all_exercises()[0])
    base = (library[0].parent / "box-breathing.yaml").read_text()
    own = home / "exercises"
    own.mkdir()
    (own / "a.yaml").write_text(base.replace("id: box-breathing", "id: our-touch")
                                .replace("tags: [relaxation, breathing, self-care]", "tags: [ours, touch]"))
    (own / "b.yaml").write_text(base.replace("id: box-breathing", "id: our-hold")
                                .replace("tags: [relaxation, breathing, self-care]", "tags:\n  - touch\n  - ours"))
    (own / "c.yaml").write_text(base.replace("tags: [relaxation, breathing, self-care]", "tags: [touch]"))
    every = exercise.builtin_files() + exercise.user_files()
    assert stats.closeness_ids(every) == stats.closeness(exercise.all_exercises()[0]) == {
        "sensate-focus-1", "closeness-without-pressure", "our-touch", "our-hold"}


def test_stats_loads_no_exercise_code_nor_yaml_for_library_files(home):
    """The tag lines are enough for the library's files: stats never pays for importing the exercise
    package and yaml (a fifth of its time as a process)."""
    code = ("import sys; from click.testing import CliRunner; from voicecoach.cli.commands import cli; "
            "assert CliRunner().invoke(cli, ['stats']).exit_code == 0; "
            "print(sorted(m for m in sys.modules if m == 'yaml' or m.startswith('voicecoach.exercise')))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_weeks_before_the_very_first_session_are_left_out():
    first = session(date(2026, 11, 17), minutes=0.4)  # a Tuesday, two weeks into a 12-week window
    summary = stats.summary([first, session(MONDAY)], [], TODAY, 12, set(), began=first["started_at"])
    assert [week["week"] for week in summary["weeks"]] == ["2026-11-16", "2026-11-23"]
    older = stats.summary([session(MONDAY)], [], TODAY, 12, set(), began="2025-01-01T20:00:00+00:00")
    assert len(older["weeks"]) == 12  # practice began long before: the whole window


def test_a_week_of_under_half_a_minute_shows_0_and_no_bar():
    from rich.console import Console

    summary = stats.summary([session(MONDAY, minutes=0.3)], [], TODAY, 1, set())
    console = Console(width=120, record=True, color_system=None)
    console.print(stats_view.render(summary))
    row = next(line for line in console.export_text().splitlines() if line.startswith("Mon 23 Nov 2026"))
    assert "█" not in row and " 0 " in row


@pytest.mark.parametrize("name, magic", [("chart.jpg", b"\xff\xd8\xff"), ("chart.svg", b"<?xml"), ("chart.pdf", b"%PDF")])
def test_the_chart_is_written_in_the_format_its_name_asks_for(journal_of_this_month, tmp_path, name, magic):
    pytest.importorskip("matplotlib")
    chart = tmp_path / name
    assert invoke("stats", "--weeks", "4", "--png", str(chart)).exit_code == 0
    assert chart.read_bytes().startswith(magic) and stat.S_IMODE(os.stat(chart).st_mode) == 0o600


def test_a_chart_name_of_another_format_is_one_line_before_any_work(tmp_path):
    result = invoke("stats", "--png", str(tmp_path / "chart.gif"))
    assert result.exit_code != 0 and result.output.strip() == (
        f"Error: {tmp_path / 'chart.gif'}: the chart is written as .png, .jpg, .svg or .pdf, not .gif")
