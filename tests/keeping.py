"""Helpers for the keeping and erasing tests: a filled journal, byte scans, snapshots."""

import os
import stat
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from voicecoach.cli.commands import cli
from voicecoach.journal import Journal

ROOT = Path(__file__).resolve().parent.parent
HASH = "ab" * 32
PASSPHRASE = "a long test passphrase"


@pytest.fixture
def text_only(monkeypatch):
    """Sessions speak as text and hear nothing; scrypt is cheap, and no key outlives the test."""
    from voicecoach import runner, voice
    from voicecoach.vault import lock

    monkeypatch.setattr(runner, "_open_voice", lambda s, out, scale: (voice.TextVoice(scale, s.rate_wpm), None))
    monkeypatch.setattr(runner, "_open_ears", lambda audio_in, listen, playing: (None, None))
    monkeypatch.setattr(lock, "SCRYPT", {"n": 2**10, "r": 8, "p": 1})
    yield
    lock.forget_keys()


def invoke(*args, input=None, env=None):
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def add_session(journal, marker="", started_at=None, exercise="check-in", outcome="completed"):
    """One session with a step and two ratings; marker goes in the title, key and names."""
    session_id = journal.begin(f"{exercise}{marker}", f"Title {marker}", HASH, 3)
    journal.step(session_id, 0, "say")
    journal.rating(session_id, 1, f"connection{marker}", "A", f"Sam{marker}", 7)
    journal.rating(session_id, 1, f"connection{marker}", "B", f"Alex{marker}", None)
    journal.step(session_id, 1, "rate")
    journal.end(session_id, outcome)
    if started_at:
        with journal._transaction() as db:
            db.execute("UPDATE sessions SET started_at = ?, ended_at = ? WHERE id = ?",
                       (started_at, started_at, session_id))
    return session_id


def fill(path=None, count=3, marker=""):
    with Journal(path) as journal:
        return [add_session(journal, marker) for _ in range(count)]


def files_holding(folder, *needles):
    """Every file under folder whose bytes contain any needle (the -wal and -shm files too)."""
    found = []
    for path in Path(folder).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(needle.encode() in data for needle in needles):
                found.append(path)
    return found


def snapshot(folder):
    """Each file's bytes and mode, and each folder, to show that nothing changed."""
    result = {}
    for path in sorted(Path(folder).rglob("*")):
        info = os.lstat(path)
        content = path.read_bytes() if path.is_file() else None
        result[str(path.relative_to(folder))] = (stat.S_IMODE(info.st_mode), content)
    return result


def modes(folder):
    """{path: mode} of everything under folder."""
    return {str(p.relative_to(folder)): stat.S_IMODE(os.lstat(p).st_mode) for p in Path(folder).rglob("*")}


def run_child(code, *args, env=None, **kwargs):
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, **kwargs)


HOLDING = """
    import sys
    from voicecoach.journal import Journal
    with Journal() as journal:
        session_id = journal.begin("x", "X", "ab" * 32, 2)
        journal.flush()  # on disk before it is said to run
        print(session_id, flush=True)
        sys.stdin.readline()
        journal.end(session_id, "completed")
"""


@contextmanager
def session_running_elsewhere():
    """Another process with a session running; it completes the session when the block ends."""
    child = run_child(HOLDING)
    try:
        session_id = child.stdout.readline().strip()
        yield session_id
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
        child.wait()
