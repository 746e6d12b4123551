import sqlite3
from datetime import datetime

from keeping import add_session, files_holding, fill, invoke, session_running_elsewhere, snapshot

from voicecoach import vault
from voicecoach.journal import Journal

MARK = "zqxForgetMe"


def sessions(home):
    with Journal(home / "journal.sqlite3") as journal:
        return journal.records()


def test_forget_all_leaves_no_byte_of_the_journal_or_private_files(home):
    fill(count=5, marker=MARK)
    vault.write_private(home / "voice-profile.bin", f"profile of {MARK}".encode())
    vault.write_private(home / "plans" / "state.json", f'{{"who": "{MARK}"}}'.encode())
    (home / "config.yaml").write_text("partner-a: Sam\n")
    (home / "exercises").mkdir(mode=0o700)
    (home / "exercises" / "ours.yaml").write_text("id: ours\n")
    assert files_holding(home, MARK)

    result = invoke("forget", "--all", "--yes")

    assert result.exit_code == 0, result.output
    assert files_holding(home, MARK) == []
    for name in ("journal.sqlite3", "voice-profile.bin", "plans/state.json", "private-files.txt"):
        assert f"removed {home / name}\n" in result.output
        assert not (home / name).exists()
    assert not (home / "journal.sqlite3-wal").exists() and not (home / "plans").exists()
    assert (home / "config.yaml").exists() and (home / "exercises" / "ours.yaml").exists()
    assert "Kept:" in result.output


def test_forget_before_a_date_rewrites_the_journal_without_a_trace(home):
    with Journal() as journal:
        for day in ("2024-01-05", "2024-02-27"):
            add_session(journal, MARK, started_at=f"{day}T20:00:00.000+00:00")
        kept = add_session(journal, "", started_at="2024-03-02T20:00:00.000+00:00")

    result = invoke("forget", "--before", "2024-03-01", "--yes")

    assert result.exit_code == 0, result.output
    assert "Forgot 2 sessions." in result.output
    assert f"rewrote {home / 'journal.sqlite3'}" in result.output
    assert files_holding(home, MARK) == []
    assert [s["id"] for s in sessions(home)] == [kept]


def test_forget_one_session_by_the_start_of_its_id(home):
    with Journal() as journal:
        before = add_session(journal, "")
        gone = add_session(journal, MARK)
        after = add_session(journal, "")

    result = invoke("forget", "--session", gone[:8], "--yes")

    assert result.exit_code == 0, result.output
    assert "Forgot 1 session." in result.output
    assert files_holding(home, MARK) == []
    assert [s["id"] for s in sessions(home)] == [before, after]
    assert sqlite3.connect(home / "journal.sqlite3").execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_forgetting_sessions_also_erases_backups_that_hold_them(home, monkeypatch):
    fill(count=2, marker=MARK)
    from voicecoach.journal import schema as journal_schema

    def m999_test_only(db):
        db.execute("CREATE TABLE later (x)")

    monkeypatch.setattr(journal_schema, "MIGRATIONS", journal_schema.MIGRATIONS + [m999_test_only])
    Journal().close()
    (backup,) = (home / "backups").iterdir()
    assert MARK.encode() in backup.read_bytes()

    result = invoke("forget", "--before", "2999-01-01", "--yes")

    assert f"removed {backup}" in result.output
    assert files_holding(home, MARK) == []


def test_without_yes_and_without_a_terminal_nothing_is_forgotten(home):
    fill(count=2)
    before = snapshot(home)
    result = invoke("forget", "--all")
    assert result.exit_code == 2
    assert result.output == "Nothing was forgotten: to confirm without a terminal, add --yes.\n"
    assert snapshot(home) == before


def test_forget_needs_exactly_one_choice_and_a_known_session(home):
    fill(count=1)
    assert invoke("forget", "--yes").exit_code == 2
    assert invoke("forget", "--all", "--session", "abcd", "--yes").exit_code == 2
    result = invoke("forget", "--session", "ffffffff", "--yes")
    assert result.exit_code == 2 and "no session with id 'ffffffff'" in result.output
    result = invoke("forget", "--before", "2026-13-01", "--yes")
    assert (result.exit_code, result.output) == (
        2, "Error: --before: '2026-13-01' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01\n")


def test_forget_refuses_while_a_session_is_running(home):
    with session_running_elsewhere():
        for args in (["--all"], ["--before", "2999-01-01"]):
            result = invoke("forget", *args, "--yes")
            assert result.exit_code == 1
            assert "a session is running; forget when it has ended" in result.output
    assert [s["outcome"] for s in sessions(home)] == ["completed"]


def test_forget_before_with_nothing_older_says_so_and_rewrites_nothing(home):
    fill(count=2)
    before = snapshot(home)
    result = invoke("forget", "--before", "2020-01-01", "--yes")
    assert (result.exit_code, result.output) == (0, "Nothing older than 2020-01-01 to forget.\n")
    assert snapshot(home) == before and len(sessions(home)) == 2


def test_forget_erases_and_lists_the_temporary_copies_a_crash_left(home):
    """vault.write_atomically stopped mid-write (a crash, a full disk) leaves its temporary file."""
    with Journal() as journal:
        gone = add_session(journal, MARK)
    left = [home / ".journal.sqlite3.k3x_9q2a.tmp", home / ".journal.sqlite3.locked.0abcdefg.tmp"]
    for path in left:
        path.write_bytes(f"a copy of {MARK}".encode())

    result = invoke("forget", "--session", gone, "--yes")

    assert result.exit_code == 0, result.output
    for path in left:
        assert f"removed {path}\n" in result.output and not path.exists()
    assert files_holding(home, MARK) == []

    vault.write_private(home / "profiles" / "voice.bin", b"x")  # a private file of ours, in a folder of ours
    profile_left = home / "profiles" / ".voice.bin.zz9_aaaa.tmp"
    profile_left.write_bytes(MARK.encode())
    result = invoke("forget", "--all", "--yes")
    assert f"removed {profile_left}\n" in result.output and files_holding(home, MARK) == []


def test_history_shows_the_short_id_forget_takes_and_the_question_names_the_session(home, monkeypatch):
    from voicecoach.cli import data as cli_data

    with Journal() as journal:
        kept = add_session(journal, "", started_at="2026-11-02T19:30:00+00:00")
        gone = add_session(journal, MARK, started_at="2026-11-03T20:15:00+00:00")
    listed = invoke("history")
    assert gone[:6] in listed.output and kept[:6] in listed.output and gone[:7] not in listed.output
    monkeypatch.setattr(cli_data, "_interactive", lambda: True)
    answered_no = invoke("forget", "--session", gone[:6], input="n\n")
    assert answered_no.exit_code == 1 and len(sessions(home)) == 2
    local = datetime.fromisoformat("2026-11-03T20:15:00+00:00").astimezone()
    assert f"Delete Title {MARK} on {local:%Y-%m-%d} at {local:%H:%M} ({gone[:6]}) for good?" in answered_no.output
    assert invoke("forget", "--session", gone[:6], input="y\n").exit_code == 0
    assert [s["id"] for s in sessions(home)] == [kept]
