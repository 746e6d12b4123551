import json
import signal
import threading

import pytest
from keeping import PASSPHRASE, add_session, files_holding, fill, invoke, run_child, session_running_elsewhere, snapshot

from voicecoach import runner, vault, voice
from voicecoach.errors import LockedError
from voicecoach.journal import Journal, locking
from voicecoach.vault import lock, sealed

MARK = "zqxSecretWord"
# What a locked journal must never show in clear: exercise ids and titles, rating keys and names
# (names carry the marker; none shorter than 8 bytes, which random ciphertext could hold by chance).
PRIVATE = (MARK, "daily-check-in", "Daily check-in", "connection", "check-in", "Partner A", "Partner B")


@pytest.fixture(autouse=True)
def quick_scrypt(monkeypatch):
    """Cheap key derivation in tests; the real parameters are written and read the same way."""
    monkeypatch.setattr(lock, "SCRYPT", {"n": 2**10, "r": 8, "p": 1})
    yield
    lock.forget_keys()


@pytest.fixture(autouse=True)
def text_only(monkeypatch):
    monkeypatch.setattr(runner, "_open_voice", lambda s, out, scale: (voice.TextVoice(scale, s.rate_wpm), None))
    monkeypatch.setattr(runner, "_open_ears", lambda audio_in, listen, playing: (None, None))


@pytest.fixture
def passphrase(monkeypatch):
    monkeypatch.setenv("VOICECOACH_PASSPHRASE", PASSPHRASE)


def records(path=None):
    with Journal(path) as journal:
        return journal.records()


def start(*extra):
    return invoke("start", "daily-check-in", "--text", "--time-scale", "0", "--log", *extra, input="next\n7\n6\n")


def test_locked_no_private_plaintext_in_any_file_and_unlock_gives_it_back(home, passphrase):
    fill(count=2, marker=MARK)
    vault.write_private(home / "voice-profile.bin", f"takes of {MARK}".encode())
    assert start().exit_code == 0
    invoke("config", "set", "partner-a", "Samantha")  # settings stay readable: see docs/JOURNAL.md
    assert start().exit_code == 0

    result = invoke("lock")

    assert result.exit_code == 0, result.output
    assert "If you forget this passphrase, your journal" in result.output
    assert files_holding(home, *PRIVATE) == []
    assert not (home / "journal.sqlite3").exists()
    for _ in range(2):
        assert "Saved in your journal." in start().output
    with Journal() as journal:
        add_session(journal, MARK)
        assert journal.locked
    vault.write_private(home / "plan-state.json", f'{{"next": "{MARK}"}}'.encode())
    assert files_holding(home, *PRIVATE) == []
    assert files_holding(home, "Samantha") == [home / "config.yaml"]  # the name as a setting, not a rating
    locked_view = records()
    assert len(locked_view) == 7
    assert vault.read_private(home / "voice-profile.bin") == f"takes of {MARK}".encode()

    result = invoke("unlock")

    assert result.exit_code == 0, result.output
    assert not lock.is_locked(home) and not (home / "journal.sqlite3.locked").exists()
    assert records() == locked_view
    assert (home / "voice-profile.bin").read_bytes() == f"takes of {MARK}".encode()
    assert (home / "plan-state.json").read_bytes() == f'{{"next": "{MARK}"}}'.encode()


def test_without_a_passphrase_the_session_runs_unjournalled_and_touches_nothing(home, passphrase, monkeypatch):
    fill(count=1)
    invoke("lock")
    lock.forget_keys()
    monkeypatch.delenv("VOICECOACH_PASSPHRASE")
    before = snapshot(home)

    result = start()

    assert result.exit_code == 0
    assert ("This session will not be journalled: the journal is locked: set VOICECOACH_PASSPHRASE "
            "or run voicecoach at a terminal.") in result.output
    assert "Not logged." in result.output
    assert snapshot(home) == before
    history = invoke("history")
    assert history.exit_code == 1 and history.output.count("\n") == 1


def test_a_wrong_passphrase_is_one_line(home, passphrase, monkeypatch):
    fill(count=1)
    invoke("lock")
    lock.forget_keys()
    monkeypatch.setenv("VOICECOACH_PASSPHRASE", "not the right one")
    for command in ("history", "unlock"):
        result = invoke(command)
        assert result.exit_code == 2
        assert result.output == ("Error: wrong passphrase: the journal stays locked (from VOICECOACH_PASSPHRASE)\n")


def test_lock_asks_twice_and_refuses_a_mismatch_or_a_short_one(home, monkeypatch):
    fill(count=1)
    monkeypatch.setattr(lock, "at_terminal", lambda: True)
    for answers, message in ((["first one!", "second one"], "the two passphrases differ"),
                             (["short"], "at least 8 characters")):  # said before it is asked again
        asked = iter(answers)
        monkeypatch.setattr(lock.getpass, "getpass", lambda prompt, asked=asked: next(asked))
        result = invoke("lock")
        assert result.exit_code == 1 and message in result.output and "nothing was locked" in result.output
        assert not lock.is_locked(home)
    prompts = []
    monkeypatch.setattr(lock.getpass, "getpass", lambda prompt: prompts.append(prompt) or PASSPHRASE)
    assert invoke("lock").exit_code == 0
    assert prompts == ["New passphrase (at least 8 characters): ", "The same passphrase again: "]
    lock.forget_keys()
    assert len(records()) == 1  # asked once more, at the "terminal"
    assert prompts[-1] == "Passphrase for your journal: "


def test_vault_seals_while_locked_and_lock_state_says_so(home, passphrase):
    vault.write_private(home / "profile.bin", b"before")
    assert locking.lock_state()["locked"] is False
    invoke("lock")
    state = locking.lock_state()
    assert state["locked"] is True and state["journal"] == str(home / "journal.sqlite3.locked")
    assert lock.is_sealed((home / "profile.bin").read_bytes())
    vault.write_private(home / "profile.bin", b"after")
    assert lock.is_sealed((home / "profile.bin").read_bytes())
    assert vault.read_private(home / "profile.bin") == b"after"
    settings = json.loads((home / "lock.json").read_text())
    assert settings["kdf"] == "scrypt" and settings["cipher"] == "AES-256-GCM"
    lock.forget_keys()
    (home / "lock.json").write_text(json.dumps({**settings, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="}))
    with pytest.raises(LockedError, match="wrong passphrase"):
        vault.read_private(home / "profile.bin")


WRITER = """
    import sys
    from voicecoach.journal import Journal
    with Journal() as journal:
        sys.stdout.write("ready\\n"); sys.stdout.flush()
        sys.stdin.readline()
        for n in range(int(sys.argv[1])):
            session_id = journal.begin("x", "X", "ab" * 32, 2)
            journal.step(session_id, 0, "say")
            journal.rating(session_id, 1, "calm", "A", "Sam", n % 11)
            journal.end(session_id, "completed")
"""


@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked"])
def test_two_processes_writing_at_once_lose_nothing(home, passphrase, locked):
    fill(count=1)
    if locked:
        invoke("lock")
    children = [run_child(WRITER, 25) for _ in range(2)]
    try:
        for child in children:
            assert child.stdout.readline() == "ready\n"
        for child in children:  # both opened before either writes: each must see the other's writes
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
    finally:
        for child in children:
            child.kill()
            child.wait()
    sessions = records()
    assert len(sessions) == 51
    assert sum(len(s["steps"]) + len(s["ratings"]) for s in sessions) == 51 * 2 + 1 + 1


KILLED = """
    import os, signal
    from voicecoach.journal import Journal
    journal = Journal()
    session_id = journal.begin("daily-check-in", "Daily check-in", "ab" * 32, 5)
    journal.step(session_id, 0, "say")
    journal._sealed._timer.join()  # the step is sealed a moment later, without close()
    print(session_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_locked_session_killed_midway_is_closed_as_interrupted(home, passphrase):
    invoke("lock")
    child = run_child(KILLED)
    out, _ = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    (session,) = records()
    assert (session["id"], session["outcome"], session["steps_done"]) == (out.strip(), "interrupted", 1)
    assert files_holding(home, *PRIVATE) == []


def test_a_migration_while_locked_keeps_a_sealed_backup(home, passphrase, monkeypatch):
    fill(count=1, marker=MARK)
    invoke("lock")
    from voicecoach.journal import schema as journal_schema

    def m999_test_only(db):
        pass

    monkeypatch.setattr(journal_schema, "MIGRATIONS", journal_schema.MIGRATIONS + [m999_test_only])
    Journal().close()
    (backup,) = (home / "backups").iterdir()
    assert lock.is_sealed(backup.read_bytes())
    assert files_holding(home, *PRIVATE) == []
    invoke("unlock")
    assert backup.read_bytes().startswith(b"SQLite format 3\0")


@pytest.mark.parametrize("command", ["lock", "unlock"])
def test_lock_and_unlock_wait_for_a_running_session(home, passphrase, command):
    fill(count=1)
    if command == "unlock":
        invoke("lock")
    with session_running_elsewhere():
        before = snapshot(home)
        result = invoke(command)
        assert result.exit_code == 1
        assert f"a session is running; {command} the journal when it has ended" in result.output
        assert {k: v for k, v in snapshot(home).items() if "-wal" not in k and "-shm" not in k} == {
            k: v for k, v in before.items() if "-wal" not in k and "-shm" not in k}
    assert [s["outcome"] for s in records()] == ["completed", "completed"]


def test_lock_takes_the_journal_image_once(home, passphrase, monkeypatch):
    fill(count=1)
    images = []
    real = Journal.image
    monkeypatch.setattr(Journal, "image", lambda journal: images.append(1) or real(journal))
    assert invoke("lock").exit_code == 0
    assert len(images) == 1
    invoke("unlock")
    assert len(records()) == 1


OPENED_BEFORE_THE_LOCK = """
    import sys
    from voicecoach.errors import JournalError
    from voicecoach.journal import Journal
    with Journal() as journal:
        print("open", flush=True)
        sys.stdin.readline()  # the journal is locked meanwhile
        try:
            session_id = journal.begin("daily-check-in", "Daily check-in", "ab" * 32, 2)
            journal.step(session_id, 0, "say")
            journal.end(session_id, "completed")
            print("journalled")
        except JournalError as error:
            print(error)
"""


def test_a_session_that_opened_the_journal_before_the_lock_writes_nothing_after_it(home, passphrase):
    fill(count=1)
    child = run_child(OPENED_BEFORE_THE_LOCK)
    try:
        assert child.stdout.readline() == "open\n"
        assert invoke("lock").exit_code == 0
        out, err = child.communicate("\n", timeout=60)
        assert child.returncode == 0, err
    finally:
        child.kill()
        child.wait()
    assert "the journal was locked meanwhile" in out  # not journalled into the sealed-away file, and said
    assert not (home / "journal.sqlite3").exists() and files_holding(home, *PRIVATE) == []
    assert len(records()) == 1


def test_forgetting_while_locked_needs_the_passphrase_and_keeps_the_rest_sealed(home, passphrase, monkeypatch):
    with Journal() as journal:
        gone = add_session(journal, MARK)
        kept = add_session(journal, "")
    invoke("lock")
    result = invoke("forget", "--session", gone, "--yes")
    assert result.exit_code == 0, result.output
    assert f"rewrote {home / 'journal.sqlite3.locked'}" in result.output
    assert files_holding(home, *PRIVATE) == []
    invoke("unlock")
    assert [s["id"] for s in records()] == [kept]
    assert files_holding(home, MARK) == []


def test_locked_forget_before_opens_the_journal_once_and_asks_before_it_writes(home, passphrase, monkeypatch):
    with Journal() as journal:
        add_session(journal, MARK, started_at="2024-01-05T20:00:00.000+00:00")
        kept = add_session(journal, "")
    invoke("lock")
    loads = []
    real = sealed.SealedFile.load
    monkeypatch.setattr(sealed.SealedFile, "load", lambda file, db: loads.append(file) or real(file, db))
    before = snapshot(home)
    assert invoke("forget", "--before", "2025-01-01").exit_code == 2  # no --yes, no terminal
    assert snapshot(home) == before
    loads.clear()
    result = invoke("forget", "--before", "2025-01-01", "--yes")
    assert result.exit_code == 0 and "Forgot 1 session." in result.output
    assert len(loads) == 1
    assert [s["id"] for s in records()] == [kept] and files_holding(home, *PRIVATE) == []


def test_locked_writes_are_sealed_together_and_all_on_disk_after_close(home, passphrase, monkeypatch):
    invoke("lock")
    monkeypatch.setattr(sealed, "SEAL_DELAY", 3600)  # only close() seals in this test
    written = []
    real_write = vault.write_atomically
    monkeypatch.setattr(vault, "write_atomically", lambda path, data: (written.append(path), real_write(path, data)))
    with Journal() as journal:
        session_id = journal.begin("daily-check-in", "Daily check-in", "ab" * 32, 5)
        for index in range(5):
            journal.step(session_id, index, "say")
            journal.rating(session_id, index, "calm", "A", "Sam", index)
        assert written == []  # eleven writes, no seal yet
        journal.end(session_id, "completed")
    assert len(written) == 1
    (session,) = records()
    assert (session["outcome"], session["steps_done"], len(session["ratings"])) == ("completed", 5, 5)


INTERRUPTED = """
    import os, signal, time
    from voicecoach.vault import sealed
    from voicecoach.cli.entry import interrupt as _interrupt
    from voicecoach.journal import Journal
    sealed.SEAL_DELAY = 3600  # nothing is sealed by the timer: only the interruption can save the step
    for taken in (signal.SIGINT, signal.SIGTERM):  # as voicecoach's entry takes them, even where a
        signal.signal(taken, _interrupt)           # shell started us with Ctrl-C ignored (a job in '&')
    with Journal() as journal:
        session_id = journal.begin("daily-check-in", "Daily check-in", "ab" * 32, 5)
        journal.step(session_id, 0, "say")
        print(session_id, flush=True)
        os.kill(os.getpid(), signal.SIG{name})
        time.sleep(60)
"""


@pytest.mark.parametrize("name", ["INT", "TERM"])
def test_ctrl_c_or_sigterm_seals_the_writes_still_waiting(home, passphrase, name):
    invoke("lock")
    child = run_child(INTERRUPTED.replace("{name}", name))
    out, err = child.communicate(timeout=60)
    assert "KeyboardInterrupt" in err
    (session,) = records()
    assert (session["id"], session["outcome"], session["steps_done"]) == (out.strip(), "interrupted", 1)
    assert files_holding(home, *PRIVATE) == []


ENDS_WITHOUT_CLOSE = """
    from voicecoach.journal import Journal
    journal = Journal()
    journal.add_records([{"id": "ended-without-close", "exercise_id": "x", "exercise_title": "X",
                          "exercise_hash": "h", "started_at": "2026-01-01T20:00:00+00:00",
                          "ended_at": "2026-01-01T20:10:00+00:00", "outcome": "completed",
                          "steps_total": 1, "steps_done": 1, "solo": False}])
"""


def test_a_process_that_ends_without_closing_the_journal_still_seals_its_writes(home, passphrase):
    invoke("lock")
    child = run_child(ENDS_WITHOUT_CLOSE)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert [s["id"] for s in records()] == ["ended-without-close"]


def test_after_a_failed_seal_the_next_write_is_sealed_again(home, passphrase, monkeypatch):
    """A full disk for a moment: the timer's seal fails, and the next write starts another, so the
    session does not go on in memory alone until close."""
    invoke("lock")
    monkeypatch.setattr(sealed, "SEAL_DELAY", 0.01)
    real_write = vault.write_atomically
    failures = []

    def full_once(path, data):
        if not failures:
            failures.append(path)
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(vault, "write_atomically", full_once)
    with Journal() as journal:
        session_id = journal.begin("daily-check-in", "Daily check-in", "ab" * 32, 5)
        for _ in range(200):  # the timer's seal fails on its own thread
            if failures:
                break
            threading.Event().wait(0.01)
        journal.step(session_id, 0, "say")
        sealed_file = journal._sealed
        for _ in range(200):
            if sealed_file._waiting is None:
                break
            threading.Event().wait(0.01)
        assert sealed_file._waiting is None  # sealed again, without waiting for close()
        journal.end(session_id, "completed")
    (session,) = records()
    assert session["steps_done"] == 1


WRITING_WHEN_THE_LOCK_COMES = """
    import sys
    from voicecoach import paths, vault
    real = vault.write_atomically
    def slow(path, data):  # the folder was found unlocked; the lock comes before the bytes land
        if path.name == "plan-state.json":
            print("checked", flush=True)
            sys.stdin.readline()
        real(path, data)
    vault.write_atomically = slow
    vault.write_private(paths.data_dir() / "plan-state.json", b"next: MARK")
""".replace("MARK", MARK)


def test_a_private_file_written_as_the_lock_comes_is_sealed_not_left_plain(home, passphrase):
    fill(count=1)
    child = run_child(WRITING_WHEN_THE_LOCK_COMES)
    locking = threading.Thread(target=invoke, args=("lock",))
    try:
        assert child.stdout.readline() == "checked\n"
        locking.start()
        locking.join(timeout=1.0)  # unguarded, the lock is done by now, before the write lands
        out, err = child.communicate("\n", timeout=60)
        assert child.returncode == 0, err
        locking.join(timeout=60)
    finally:
        child.kill()
        child.wait()
    assert lock.is_locked(home)
    assert files_holding(home, MARK) == []
    assert vault.read_private(home / "plan-state.json") == f"next: {MARK}".encode()


def test_threads_entering_and_leaving_the_folders_flock_at_once_always_hold_it(tmp_path):
    """The doctor and the sealing timer use the flock from threads: with every line of lock.py
    giving way to another thread, each thread inside `exclusive` holds the folder's flock, and
    none is left held after."""
    import fcntl
    import os
    import time

    def held_by_us() -> bool:  # another open of the folder cannot take the flock while we hold it
        fd = os.open(tmp_path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def give_way(frame, event, arg):
        def each_line(frame, event, arg):
            if event == "line":
                time.sleep(0.0001)  # lets another thread run here
            return each_line
        return each_line if frame.f_code.co_filename == lock.__file__ else None

    problems = []

    def enter_and_leave():
        try:
            for _ in range(50):
                with lock.exclusive(tmp_path):
                    if not held_by_us():
                        problems.append("inside without the flock")
        except Exception as error:  # noqa: BLE001 - the test reports it
            problems.append(repr(error))

    threading.settrace(give_way)
    try:
        threads = [threading.Thread(target=enter_and_leave) for _ in range(4)]
        for thread in threads:
            thread.start()
    finally:
        threading.settrace(None)
    for thread in threads:
        thread.join(timeout=30)
    assert problems == [] and not held_by_us()
