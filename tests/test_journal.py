import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from voicecoach import journal as journal_module
from voicecoach.errors import JournalError
from voicecoach.journal import Journal
from voicecoach.journal import liveness as journal_liveness

HASH = "ab" * 32
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("VOICECOACH_HOME", str(home))
    return home


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def raw(path):
    """A plain connection, to look at the file as another program would."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    return db


def run_child(code, *args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, **kwargs,
    )


def test_schema_after_migrations_is_exact():
    with Journal(":memory:") as journal:
        db = journal._db
        objects = {(row[0], row[1]) for row in db.execute(
            "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%'")}
        assert objects == {
            ("table", "migrations"), ("table", "sessions"), ("table", "steps"),
            ("table", "ratings"), ("index", "sessions_started_at"), ("table", "question_picks"),
        }
        columns = {
            table: [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            for table in ("migrations", "sessions", "steps", "ratings", "question_picks")
        }
        assert columns == {
            "migrations": ["name", "applied_at"],
            "sessions": ["id", "exercise_id", "exercise_title", "exercise_hash", "started_at",
                         "ended_at", "outcome", "steps_total", "steps_done", "solo", "pid"],
            "steps": ["session_id", "step_index", "kind", "result", "at"],
            "ratings": ["session_id", "step_index", "key", "slot", "name", "value", "at"],
            "question_picks": ["session_id", "pool", "item", "at"],
        }
        assert [r[0] for r in db.execute("SELECT name FROM migrations")] == ["m001_initial", "m002_question_picks"]
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_pragmas_on_a_file(tmp_path):
    with Journal(tmp_path / "j.sqlite3") as journal:
        db = journal._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_migrations_run_once_across_reopens(tmp_path):
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    before = raw(path).execute("SELECT name, applied_at FROM migrations").fetchall()
    with Journal(path) as journal:
        session_id = journal.begin("x", "X", HASH, 1)
        journal.end(session_id, "completed")
    Journal(path).close()
    after = raw(path).execute("SELECT name, applied_at FROM migrations").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert len(after) == len(journal_module.MIGRATIONS)
    assert len(Journal(path).sessions()) == 1


def test_check_constraints_reject_bad_values():
    with Journal(":memory:") as journal:
        session_id = journal.begin("x", "X", HASH, 3)
        for slot, value in [("C", 5), ("A", 11), ("A", -1), ("A", 5.5), ("A", "seven")]:
            with pytest.raises(JournalError, match="CHECK constraint failed"):
                journal.rating(session_id, 0, "mood", slot, "Sam", value)
        with pytest.raises(sqlite3.IntegrityError):
            journal._db.execute("UPDATE sessions SET outcome = 'lost' WHERE id = ?", (session_id,))
        with pytest.raises(ValueError):
            journal.end(session_id, "running")
        journal.rating(session_id, 0, "mood", "A", "Sam", 0)
        journal.rating(session_id, 0, "mood", "B", "Alex", None)
        assert journal.sessions()[0]["ratings"] == [
            {"key": "mood", "slot": "A", "name": "Sam", "value": 0},
            {"key": "mood", "slot": "B", "name": "Alex", "value": None},
        ]


def test_files_are_owner_only(home):
    old = os.umask(0o022)
    try:
        with Journal() as journal:
            session_id = journal.begin("x", "X", HASH, 1)
            db_path = home / "journal.sqlite3"
            assert journal.path == db_path
            assert mode(home) == 0o700
            assert mode(db_path) == 0o600
            assert mode(f"{db_path}-wal") == 0o600
            assert mode(f"{db_path}-shm") == 0o600
            assert mode(home / "running") == 0o700
            assert mode(home / "running" / f"{session_id}.lock") == 0o600
        assert os.umask(0o022) == 0o022  # restored after opening
    finally:
        os.umask(old)


def test_loose_modes_are_tightened_on_open(tmp_path):
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    os.chmod(path, 0o644)
    with Journal(path):
        assert mode(path) == 0o600
        assert mode(f"{path}-wal") == 0o600
        assert mode(f"{path}-shm") == 0o600


def test_round_trip_newest_first(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        first = journal.begin("daily-check-in", "Daily check-in", HASH, 3)
        journal.step(first, 0, "say")
        journal.rating(first, 1, "connection", "A", "Sam", 7)
        journal.rating(first, 1, "connection", "B", "Alex", None)
        journal.step(first, 1, "rate")
        journal.step(first, 2, "turn", skipped=True)
        journal.end(first, "completed")
        second = journal.begin("breathing", "Breathing", "cd" * 32, 5, solo=True)
        journal.step(second, 0, "breathe")
        journal.end(second, "stopped")
        assert not (tmp_path / "running" / f"{first}.lock").exists()

    with Journal(path) as journal:
        newest, oldest = journal.sessions()
        assert journal.sessions(limit=1) == [newest]
    assert newest["id"] == second and oldest["id"] == first
    assert newest["outcome"] == "stopped" and newest["solo"] is True
    assert newest["steps_total"] == 5 and newest["steps_done"] == 1
    assert newest["ratings"] == []
    assert oldest == {
        "id": first, "exercise_id": "daily-check-in", "exercise_title": "Daily check-in",
        "exercise_hash": HASH, "started_at": oldest["started_at"], "ended_at": oldest["ended_at"],
        "outcome": "completed", "steps_total": 3, "steps_done": 2, "solo": False,
        "pid": os.getpid(), "minutes": 0.0,
        "ratings": [{"key": "connection", "slot": "A", "name": "Sam", "value": 7},
                    {"key": "connection", "slot": "B", "name": "Alex", "value": None}],
    }
    assert oldest["started_at"].endswith("+00:00") and oldest["ended_at"].endswith("+00:00")
    assert oldest["started_at"] <= oldest["ended_at"]


def test_a_step_recorded_twice_counts_once():
    with Journal(":memory:") as journal:
        session_id = journal.begin("x", "X", HASH, 2)
        journal.step(session_id, 0, "say")
        journal.step(session_id, 0, "say")
        journal.step(session_id, 1, "say", skipped=True)
        assert journal.sessions()[0]["steps_done"] == 1


def test_a_step_that_changes_result_moves_the_count_both_ways():
    with Journal(":memory:") as journal:
        session_id = journal.begin("x", "X", HASH, 3)
        journal.step(session_id, 0, "say", skipped=True)
        journal.step(session_id, 1, "say")
        journal.step(session_id, 0, "say")  # gone back to, then done
        assert journal.sessions()[0]["steps_done"] == 2
        journal.step(session_id, 1, "say", skipped=True)  # gone back to, then skipped
        assert journal.sessions()[0]["steps_done"] == 1


def _vm_work_of_one_step(journal, session_id, index):
    """SQLite virtual-machine instructions a journaled step costs (a count, not a clock)."""
    work = [0]

    def count():
        work[0] += 1
        return 0

    journal._db.set_progress_handler(count, 1)
    try:
        journal.step(session_id, index, "say")
    finally:
        journal._db.set_progress_handler(None, 1)
    return work[0]


def test_journaling_a_step_costs_the_same_late_in_a_long_session():
    """A session of thousands of steps must not slow down as it goes (each step once recounted all)."""
    with Journal(":memory:") as journal:
        session_id = journal.begin("x", "X", HASH, 3000)
        early = _vm_work_of_one_step(journal, session_id, 0)
        for index in range(1, 2999):
            journal.step(session_id, index, "say")
        late = _vm_work_of_one_step(journal, session_id, 2999)
        assert late < early * 1.5, (early, late)
        assert journal.sessions()[0]["steps_done"] == 3000


def test_declined_keeps_only_its_outcome():
    with Journal(":memory:") as journal:
        session_id = journal.begin("x", "X", HASH, 4)
        journal.step(session_id, 0, "say")
        journal.rating(session_id, 1, "willing", "B", "Alex", 2)
        journal.end(session_id, "declined")
        (session,) = journal.sessions()
        assert session["outcome"] == "declined"
        assert session["ratings"] == [] and session["steps_done"] == 0
        assert journal._db.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 0
        with pytest.raises(JournalError):
            journal.rating(session_id, 1, "willing", "A", "Sam", 9)


def test_writes_after_end_are_refused():
    with Journal(":memory:") as journal:
        session_id = journal.begin("x", "X", HASH, 2)
        journal.end(session_id, "completed")
        with pytest.raises(JournalError):
            journal.step(session_id, 1, "say")
        with pytest.raises(JournalError):
            journal.end(session_id, "stopped")
        journal.mark_interrupted(session_id)  # harmless after end
        assert journal.sessions()[0]["outcome"] == "completed"


def test_mark_interrupted_and_close_leave_nothing_running(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        stopped = journal.begin("x", "X", HASH, 2)
        journal.mark_interrupted(stopped)
        forgotten = journal.begin("y", "Y", HASH, 2)
    outcomes = {s["id"]: s["outcome"] for s in Journal(path).sessions()}
    assert outcomes == {stopped: "interrupted", forgotten: "interrupted"}
    assert list((tmp_path / "running").iterdir()) == []


SIGKILLED_CHILD = """
    import os, signal, sys
    from voicecoach.journal import Journal
    journal = Journal(sys.argv[1])
    session_id = journal.begin("daily-check-in", "Daily check-in", "ab" * 32, 5)
    journal.step(session_id, 0, "say")
    journal.step(session_id, 1, "breathe")
    print(session_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_sigkilled_session_is_closed_as_interrupted(tmp_path):
    path = tmp_path / "j.sqlite3"
    child = run_child(SIGKILLED_CHILD, path)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    session_id = out.strip()
    assert raw(path).execute("SELECT outcome FROM sessions").fetchone()[0] == "running"
    assert (tmp_path / "running" / f"{session_id}.lock").exists()

    with Journal(path) as journal:
        (session,) = journal.sessions()
        last_step_at = journal._db.execute(
            "SELECT MAX(at) FROM steps WHERE session_id = ?", (session_id,)).fetchone()[0]
    assert session["id"] == session_id
    assert session["outcome"] == "interrupted"
    assert session["steps_done"] == 2
    assert session["ended_at"] == last_step_at
    assert not (tmp_path / "running" / f"{session_id}.lock").exists()
    assert raw(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


WAITING_CHILD = """
    import sys
    from voicecoach.journal import Journal
    with Journal(sys.argv[1]) as journal:
        session_id = journal.begin("x", "X", "ab" * 32, 2)
        print(session_id, flush=True)
        sys.stdin.readline()
        journal.end(session_id, "completed")
"""


def test_session_of_a_live_process_is_left_running(tmp_path):
    path = tmp_path / "j.sqlite3"
    child = run_child(WAITING_CHILD, path)
    try:
        session_id = child.stdout.readline().strip()
        with Journal(path) as journal:
            assert journal.sessions()[0]["outcome"] == "running"
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
        child.wait()
    (session,) = Journal(path).sessions()
    assert (session["id"], session["outcome"]) == (session_id, "completed")


def test_any_alive_tells_a_live_session_from_one_whose_process_died(tmp_path):
    running = tmp_path / "running"
    assert not journal_liveness.any_alive(running)
    child = run_child(WAITING_CHILD, tmp_path / "j.sqlite3")
    try:
        session_id = child.stdout.readline().strip()
        assert journal_liveness.any_alive(running)
    finally:
        child.kill()
        child.wait()
    assert (running / f"{session_id}.lock").exists()  # SIGKILL leaves the file, never the flock
    assert not journal_liveness.any_alive(running)


def test_lock_held_in_this_process_keeps_session_running(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as owner:
        session_id = owner.begin("x", "X", HASH, 2)
        with Journal(path) as other:
            assert other.sessions()[0]["outcome"] == "running"
        owner.step(session_id, 0, "say")
        owner.end(session_id, "completed")
    assert Journal(path).sessions()[0]["outcome"] == "completed"


def test_a_live_pid_without_the_lock_is_still_interrupted(tmp_path):
    """pids are reused: the row names our own, live pid, but nobody holds its lock."""
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    db = raw(path)
    db.execute(
        "INSERT INTO sessions (id, exercise_id, exercise_title, exercise_hash, started_at,"
        " steps_total, pid) VALUES ('s1', 'x', 'X', ?, '2024-01-01T10:00:00.000+00:00', 2, ?)",
        (HASH, os.getpid()))
    db.commit()
    db.close()
    (session,) = Journal(path).sessions()
    assert session["outcome"] == "interrupted"
    assert session["ended_at"] == "2024-01-01T10:00:00.000+00:00"


def test_without_fcntl_the_pid_decides(tmp_path, monkeypatch):
    path = tmp_path / "j.sqlite3"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    monkeypatch.setattr(journal_liveness, "fcntl", None)
    with Journal(path) as journal:
        alive = journal.begin("x", "X", HASH, 1)
        gone = journal.begin("y", "Y", HASH, 1)
        journal._db.execute("UPDATE sessions SET pid = ? WHERE id = ?", (dead.pid, gone))
        assert not (tmp_path / "running" / f"{alive}.lock").exists()
        with Journal(path) as other:
            outcomes = {s["id"]: s["outcome"] for s in other.sessions()}
        assert outcomes == {alive: "running", gone: "interrupted"}


def test_keyboard_interrupt_between_operations(tmp_path):
    path = tmp_path / "j.sqlite3"
    with pytest.raises(KeyboardInterrupt):
        with Journal(path) as journal:
            session_id = journal.begin("x", "X", HASH, 3)
            journal.step(session_id, 0, "say")
            raise KeyboardInterrupt
    db = raw(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    row = db.execute("SELECT outcome, steps_done FROM sessions").fetchone()
    assert tuple(row) == ("interrupted", 1)


class InterruptingConnection:
    """Raises KeyboardInterrupt at the statement that keeps steps_done in sync."""

    def __init__(self, db):
        self.db = db

    def execute(self, sql, *args):
        if sql.startswith("UPDATE sessions SET steps_done"):
            raise KeyboardInterrupt
        return self.db.execute(sql, *args)


def test_keyboard_interrupt_inside_a_write_rolls_it_back(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        session_id = journal.begin("x", "X", HASH, 3)
        journal.step(session_id, 0, "say")
        real = journal._db
        journal._db = InterruptingConnection(real)
        with pytest.raises(KeyboardInterrupt):
            journal.step(session_id, 1, "say")
        journal._db = real
        assert not real.in_transaction
        assert real.execute("SELECT COUNT(*) FROM steps").fetchone()[0] == 1
        journal.step(session_id, 1, "say")
        journal.end(session_id, "completed")
    db = raw(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT steps_done FROM sessions").fetchone()[0] == 2


def test_corrupt_file_is_refused_untouched(tmp_path):
    path = tmp_path / "journal.sqlite3"
    content = b"these are not the pages you are looking for\n" * 200
    path.write_bytes(content)
    with pytest.raises(JournalError) as caught:
        Journal(path)
    message = str(caught.value)
    assert message == f"{path} is not a voicecoach journal (file is not a database)"
    assert "\n" not in message
    assert path.read_bytes() == content


def test_foreign_sqlite_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE photos (id INTEGER)")
    db.commit()
    db.close()
    content = path.read_bytes()
    with pytest.raises(JournalError, match="is not a voicecoach journal"):
        Journal(path)
    assert path.read_bytes() == content


def test_newer_journal_is_refused_untouched(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        journal.end(journal.begin("x", "X", HASH, 1), "completed")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO migrations VALUES ('m999_from_the_future', 'later')")
    db.commit()
    db.close()
    content = path.read_bytes()
    with pytest.raises(JournalError, match="upgrade voicecoach") as caught:
        Journal(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content
