"""A damaged journal (truncated, a page overwritten) is found when opened, said once, never written
to, and export saves what can still be read of it; the same while it is locked."""

import json
import os
import sqlite3

import pytest
from keeping import PASSPHRASE, fill, invoke, text_only  # noqa: F401 (a fixture)

from voicecoach.errors import JournalError
from voicecoach.journal import Journal
from voicecoach.vault import lock
from voicecoach.vault.sealed import rollback_image

PAGE = 4096


pytestmark = pytest.mark.usefixtures("text_only")


def truncated(data: bytes) -> bytes:
    return data[:-1000]


def overwritten(data: bytes) -> bytes:
    """The cell pointers of the second page (a table's root) turned to nonsense."""
    return data[:PAGE + 8] + bytes(b ^ 0x5A for b in data[PAGE + 8:PAGE + 40]) + data[PAGE + 40:]


def a_journal(home, count=60):
    fill(count=count)
    path = home / "journal.sqlite3"
    assert not (home / "journal.sqlite3-wal").exists()  # closed cleanly
    return path


def integrity(data: bytes, pragma: str) -> str:
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(rollback_image(data))  # the header's WAL mark would make it unreadable in memory
        return db.execute(f"PRAGMA {pragma}").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        db.close()


@pytest.mark.parametrize("damage", [truncated, overwritten])
def test_a_damaged_journal_is_said_once_and_never_written(home, damage):
    path = a_journal(home)
    path.write_bytes(damage(path.read_bytes()))
    assert integrity(path.read_bytes(), "integrity_check") != "ok"
    before = path.read_bytes()
    for args in (["history"], ["stats"], ["forget", "--session", "abcd", "--yes"],
                 ["start", "daily-check-in", "--text", "--time-scale", "0", "--log"]):
        result = invoke(*args, input="next\n7\n6\n", env={"VOICECOACH_PASSPHRASE": PASSPHRASE})
        assert result.output.count("is damaged") == 1, (args, result.output)
        assert "not a voicecoach journal" not in result.output
        assert "voicecoach export --output" in result.output
        if args[0] != "start":  # a session still runs, unjournalled, and says so
            assert result.exit_code == 1, (args, result.output)
    result = invoke("lock", env={"VOICECOACH_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 1 and result.output.count("is damaged") == 1
    assert not (home / "lock.json").exists()
    assert path.read_bytes() == before


def test_a_command_without_the_journal_warns_once_after_its_work(home):
    path = a_journal(home)
    path.write_bytes(truncated(path.read_bytes()))
    result = invoke("list", "--json")
    assert result.exit_code == 0
    assert result.output.count("is damaged") == 1 and result.output.rstrip().splitlines()[-1].startswith("Warning:")


@pytest.mark.parametrize("damage", [truncated, overwritten])
def test_export_saves_what_can_still_be_read_and_says_it_may_not_be_all(home, tmp_path, damage):
    path = a_journal(home)
    path.write_bytes(damage(path.read_bytes()))
    before = path.read_bytes()
    target = tmp_path / "sessions.json"
    result = invoke("export", "--output", str(target))
    assert result.exit_code == 1
    warning = [line for line in result.output.splitlines() if "is damaged" in line]
    assert len(warning) == 1 and "could still be read w" in warning[0] and "written" in warning[0]
    sessions = json.loads(target.read_text())["sessions"]
    assert 0 < len(sessions) <= 60 and len({s["id"] for s in sessions}) == len(sessions)
    assert path.read_bytes() == before
    os.rename(path, home / "journal-damaged.sqlite3")  # the way out the message gives
    result = invoke("import", str(target))
    assert result.exit_code == 0 and f"Imported {len(sessions)} session" in result.output


def test_csv_export_of_a_damaged_journal_also_works(home, tmp_path):
    path = a_journal(home)
    path.write_bytes(truncated(path.read_bytes()))
    result = invoke("export", "--format", "csv")
    assert result.exit_code == 1
    assert result.output.startswith("record,session_id,") and result.output.count("\nsession,") >= 1


def test_a_locked_journal_damaged_inside_is_found_and_exported(home, tmp_path, monkeypatch):
    monkeypatch.setenv("VOICECOACH_PASSPHRASE", PASSPHRASE)
    a_journal(home, count=60)
    assert invoke("lock").exit_code == 0
    sealed = home / "journal.sqlite3.locked"
    key = lock.key(home)
    image = lock.unseal(key, sealed.read_bytes())
    sealed.write_bytes(lock.seal(key, truncated(image)))
    before = sealed.read_bytes()
    result = invoke("history")
    assert result.exit_code == 1 and result.output.count("is damaged") == 1
    target = tmp_path / "sessions.json"
    result = invoke("export", "--output", str(target))
    assert result.exit_code == 1 and len(json.loads(target.read_text())["sessions"]) > 0
    assert sealed.read_bytes() == before


def index_damage(data: bytes) -> bytes:
    """Bytes flipped on the first page whose damage quick_check misses and integrity_check finds
    (an index no longer matching its table)."""
    for page in range(1, len(data) // PAGE):
        at = page * PAGE + 1000
        damaged = data[:at] + bytes(b ^ 0xFF for b in data[at:at + 16]) + data[at + 16:]
        if integrity(damaged, "quick_check") == "ok" and integrity(damaged, "integrity_check") != "ok":
            return damaged
    pytest.fail("no page whose damage only integrity_check finds")


def test_after_an_unclean_close_and_before_locking_the_whole_check_runs(home):
    path = a_journal(home, count=200)
    path.write_bytes(index_damage(path.read_bytes()))
    Journal().close()  # a clean close before: the quick check, which this damage passes
    (home / "journal.sqlite3-wal").write_bytes(b"")  # as a process that died mid-write leaves it
    with pytest.raises(JournalError, match="is damaged .* will not write to it"):
        Journal()
    (home / "journal.sqlite3-wal").unlink(missing_ok=True)  # SQLite removed it as the open closed
    result = invoke("lock", env={"VOICECOACH_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 1 and "is damaged" in result.output
    assert not (home / "journal.sqlite3.locked").exists()


def test_damage_the_quick_check_misses_is_found_before_the_first_write(home, tmp_path):
    path = a_journal(home, count=200)
    exported = tmp_path / "sessions.json"
    assert invoke("export", "--output", str(exported)).exit_code == 0
    path.write_bytes(index_damage(path.read_bytes()))
    before = path.read_bytes()
    assert invoke("history").exit_code == 0  # reading goes on: the quick check at open passes it
    for args in (["start", "daily-check-in", "--text", "--time-scale", "0", "--log"],
                 ["import", str(exported)],
                 ["config", "set", "partner-a", "Sam"]):  # writes no journal: unaffected
        result = invoke(*args, input="next\n7\n6\n")
        if args[0] == "config":
            assert result.exit_code == 0 and "is damaged" not in result.output
            continue
        assert result.output.count("is damaged") == 1, (args, result.output)
        assert "will not write to it" in result.output
        assert "Traceback" not in result.output
    assert path.read_bytes() == before


def test_a_journal_missing_one_of_its_tables_is_damaged_and_exported(home, tmp_path):
    """A table dropped by hand or by a tool: every query was a traceback (no such table)."""
    path = a_journal(home, count=5)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE ratings")
    db.commit()
    db.close()
    before = path.read_bytes()
    for args in (["history"], ["stats"], ["start", "daily-check-in", "--text", "--time-scale", "0", "--log"]):
        result = invoke(*args, input="next\n7\n6\n")
        assert "Traceback" not in result.output and not isinstance(result.exception, sqlite3.Error), args
        assert result.output.count("is damaged (its table ratings is missing)") == 1, (args, result.output)
    target = tmp_path / "sessions.json"
    result = invoke("export", "--output", str(target))
    assert result.exit_code == 1 and len(json.loads(target.read_text())["sessions"]) == 5
    assert path.read_bytes() == before
