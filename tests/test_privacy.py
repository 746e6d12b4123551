import os
import sqlite3

import pytest
from keeping import PASSPHRASE, fill, invoke, modes, run_child, snapshot, text_only  # noqa: F401 (a fixture)

from voicecoach import vault
from voicecoach.journal import Journal
from voicecoach.journal import schema as journal_schema
from voicecoach.vault import lock

pytestmark = pytest.mark.usefixtures("text_only")


def m999_test_only(db):
    """A migration from a later version, to make voicecoach upgrade (and back up) a journal."""


def start(*extra):
    return invoke("start", "daily-check-in", "--text", "--time-scale", "0", "--log", *extra, input="next\n7\n6\n")


def test_every_file_and_folder_voicecoach_makes_is_owner_only(home, tmp_path, monkeypatch):
    old = os.umask(0o022)  # as a careless shell would have it; voicecoach sets its own
    try:
        assert start().exit_code == 0
        invoke("config", "set", "partner-a", "Sam")
        vault.write_private(home / "profiles" / "voice.bin", b"x")
        invoke("export", "-o", str(home / "exports" / "j.json"))
        monkeypatch.setenv("VOICECOACH_PASSPHRASE", PASSPHRASE)
        invoke("lock")
        assert start().exit_code == 0
        invoke("unlock")
        monkeypatch.setattr(journal_schema, "MIGRATIONS", journal_schema.MIGRATIONS + [m999_test_only])
        Journal().close()  # a migration, so a backup
    finally:
        os.umask(old)
    found = modes(home)
    assert {"journal.sqlite3", "config.yaml", "backups", "profiles/voice.bin", "exports/j.json"} <= set(found)
    loose = {name: oct(mode) for name, mode in found.items()
             if mode != (0o700 if (home / name).is_dir() else 0o600)}
    assert loose == {}


def test_loose_modes_are_repaired_at_start_with_one_line(home):
    fill(count=1)
    vault.write_private(home / "plans" / "plan.json", b"{}")
    os.chmod(home / "journal.sqlite3", 0o644)
    os.chmod(home / "plans", 0o755)
    os.chmod(home / "plans" / "plan.json", 0o666)
    result = invoke("list", "--json")
    assert result.exit_code == 0
    warnings = [line for line in result.output.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "made them yours only" in warnings[0] and "3 of voicecoach's" in warnings[0]
    assert modes(home)["journal.sqlite3"] == 0o600
    assert modes(home)["plans"] == 0o700 and modes(home)["plans/plan.json"] == 0o600
    assert "Warning" not in invoke("list", "--json").output


def test_a_no_log_session_leaves_no_trace(home):
    fill(count=2)
    before = snapshot(home)
    result = start("--no-log")
    assert result.exit_code == 0 and "Not logged." in result.output
    assert snapshot(home) == before


def test_secure_delete_is_on_for_every_connection(home, monkeypatch):
    fill(count=1)
    with Journal() as plain, Journal(":memory:") as memory:
        for journal in (plain, memory):
            assert journal._db.execute("PRAGMA secure_delete").fetchone()[0] == 1
            assert journal._db.execute("PRAGMA temp_store").fetchone()[0] == 2  # memory
    monkeypatch.setenv("VOICECOACH_PASSPHRASE", PASSPHRASE)
    invoke("lock")
    with Journal() as locked:
        assert locked._db.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_a_journal_of_the_first_schema_is_backed_up_then_upgraded(home, monkeypatch):
    every = list(journal_schema.MIGRATIONS)
    monkeypatch.setattr(journal_schema, "MIGRATIONS", every[:1])
    (session_id,) = fill(count=1)  # the journal as the first schema (m001 alone) left it
    calls = []

    def m999_test_only(db):
        calls.append(db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
        db.execute("ALTER TABLE sessions ADD COLUMN note TEXT")

    monkeypatch.setattr(journal_schema, "MIGRATIONS", every + [m999_test_only])
    with Journal() as journal:
        assert [s["id"] for s in journal.records()] == [session_id]
        ran = [r[0] for r in journal._db.execute("SELECT name FROM migrations")]
    assert calls == [1] and ran == [fn.__name__ for fn in every] + ["m999_test_only"]
    (backup,) = (home / "backups").iterdir()
    first_upgrade = (every[1:] + [m999_test_only])[0].__name__
    assert backup.name.startswith("journal-") and backup.name.endswith(f"-before-{first_upgrade}.sqlite3")
    old = sqlite3.connect(backup)
    assert [r[0] for r in old.execute("SELECT name FROM migrations")] == ["m001_initial"]
    assert old.execute("SELECT id FROM sessions").fetchall() == [(session_id,)]
    Journal().close()
    assert len(list((home / "backups").iterdir())) == 1  # once, not at every open


@pytest.mark.parametrize("kind", ["corrupt", "newer"])
def test_a_corrupt_or_newer_journal_is_one_line_and_left_as_it_was(home, kind):
    path = home / "journal.sqlite3"
    if kind == "corrupt":
        path.write_bytes(b"not a database at all\n" * 100)
        os.chmod(path, 0o600)
        expected = f"Error: {path} is not a voicecoach journal"
    else:
        fill(count=1)
        db = sqlite3.connect(path)
        db.execute("INSERT INTO migrations VALUES ('m999_from_the_future', 'later')")
        db.commit()
        db.close()
        expected = f"Error: {path} was written by a newer voicecoach; upgrade voicecoach to open it"
    content = path.read_bytes()
    for args in (["history"], ["export"], ["forget", "--session", "abcd", "--yes"], ["lock"]):
        result = invoke(*args, env={"VOICECOACH_PASSPHRASE": "long enough"})
        assert result.exit_code == 1, args
        assert expected in result.output and result.output.count("\n") <= 2, result.output
    assert path.read_bytes() == content
    result = start()
    assert result.exit_code == 0 and "This session will not be journalled" in result.output
    assert path.read_bytes() == content
    assert not lock.is_locked(home)


def test_a_journal_that_cannot_be_opened_still_runs_the_session(home):
    (home / "journal.sqlite3").mkdir(mode=0o700)  # as root, a read-only folder cannot be made
    result = start()
    assert result.exit_code == 0, result.output
    assert "This session will not be journalled" in result.output
    assert "Completed: Daily check-in." in result.output


def test_a_data_folder_that_cannot_be_made_is_one_line(tmp_path):
    from voicecoach.errors import JournalError

    (tmp_path / "a-file").write_text("")
    with pytest.raises(JournalError, match="cannot make the data folder"):
        Journal(tmp_path / "a-file" / "home" / "journal.sqlite3")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_data_folder_still_runs_the_session(home):
    fill(count=1)
    os.chmod(home, 0o500)
    try:
        result = start()
    finally:
        os.chmod(home, 0o700)
    assert result.exit_code == 0 and "This session will not be journalled" in result.output


FULL_DISK = """
    import os, resource, signal, sys
    from voicecoach.journal import Journal
    Journal().close()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails like a full disk
    size = os.path.getsize(os.path.join(os.environ["VOICECOACH_HOME"], "journal.sqlite3"))
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    sys.argv = ["voicecoach", "start", "daily-check-in", "--text", "--time-scale", "0", "--log", "--no-listen"]
    from voicecoach.cli.commands import main
    main()
"""


def test_a_full_disk_is_said_once_and_the_session_goes_on(home):
    home.mkdir(exist_ok=True)
    child = run_child(FULL_DISK)
    out, err = child.communicate("next\n7\n6\n", timeout=120)
    assert "Traceback" not in err, err
    assert child.returncode == 0, err
    assert "Completed: Daily check-in." in out
    said = (out + err).count("journal")
    assert said >= 1 and ("could not be written" in out or "will not be journalled" in out), out
    assert sqlite3.connect(home / "journal.sqlite3").execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_without_serialize_as_in_python_3_10_the_image_is_made_through_a_copy(home, tmp_path):
    from voicecoach.journal import image_of

    (session_id,) = fill(count=1)

    class OldConnection:  # sqlite3 of Python 3.10: backup() but no serialize()
        def __init__(self, db):
            self.backup = db.backup

    with Journal() as journal:
        image = image_of(OldConnection(journal._db), tmp_path)
    assert list(tmp_path.iterdir()) == [home]  # the copy is gone
    (tmp_path / "copy.sqlite3").write_bytes(image)
    assert sqlite3.connect(tmp_path / "copy.sqlite3").execute("SELECT id FROM sessions").fetchall() == [(session_id,)]


def test_temporary_files_a_crash_left_are_erased_at_start_but_never_a_live_one(home):
    fill(count=1)
    vault.write_private(home / "profiles" / "voice.bin", b"x")  # a private file of ours, in a folder of ours
    stale = [home / ".journal.sqlite3.k3x_9q2a.tmp", home / "profiles" / ".voice.bin.0abcdefg.tmp"]
    live = home / ".plan.json.zz9_aaaa.tmp"  # a write in progress in another process
    users = home / "exercises" / ".mine.yaml.abcdefgh.tmp"  # the user's own folder: not ours
    for path in stale + [live, users]:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"plaintext")
    an_hour_ago = os.stat(live).st_mtime - 3600
    for path in stale + [users]:
        os.utime(path, (an_hour_ago, an_hour_ago))

    result = invoke("list", "--json")

    assert result.exit_code == 0
    notes = [line for line in result.stderr.splitlines() if "temporary" in line]
    assert notes == [f"Removed 2 temporary files that an interrupted write left behind: {stale[0]}, {stale[1]}"]
    assert not any(path.exists() for path in stale) and live.exists() and users.exists()


def test_a_settings_write_that_is_cut_short_leaves_the_old_settings_and_no_temporary(home, monkeypatch):
    from voicecoach import config

    config.save(config.Settings(partner_a="Sam"))

    def cut(fd):
        raise KeyboardInterrupt  # Ctrl-C in the middle of the write

    monkeypatch.setattr(os, "fsync", cut)
    with pytest.raises(KeyboardInterrupt):
        config.save(config.Settings(partner_a="Robin"))
    assert sorted(path.name for path in home.iterdir()) == ["config.yaml", "safety-note-shown"]
    assert config.load().partner_a == "Sam"


def test_a_settings_temporary_a_crash_left_in_the_config_folder_is_erased_at_start(tmp_path, monkeypatch):
    """Without VOICECOACH_HOME the settings have their own folder (~/.config/voicecoach), swept too."""
    from voicecoach import config, paths

    monkeypatch.delenv("VOICECOACH_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    saved = config.save(config.Settings(partner_a="Sam"))
    assert saved.parent == paths.config_dir() != paths.data_dir()
    stale = saved.parent / ".config.yaml.k3x_9q2a.tmp"  # as vault.write_atomically names it
    stale.write_bytes(b"partner-a: Robin\n")
    stale.chmod(0o600)
    os.utime(stale, (0, 0))

    result = invoke("list", "--json")

    assert result.exit_code == 0
    assert f"Removed 1 temporary file that an interrupted write left behind: {stale}" in result.stderr
    assert not stale.exists() and saved.exists()


def test_a_shared_home_folder_keeps_the_users_own_files_untouched(home):
    """VOICECOACH_HOME may be a folder with other files in it: voicecoach changes, sweeps and forgets
    only what it wrote there, never the user's notes, photos or their editors' temporary files."""
    notes, photo = home / "notes.txt", home / "photos" / "holiday.jpg"
    editors = home / ".notes.txt.abcd_123.tmp"  # named as our temporaries are, but of another file
    photo.parent.mkdir()
    for path, mode in ((notes, 0o644), (photo, 0o644), (editors, 0o644), (photo.parent, 0o755)):
        if not path.is_dir():
            path.write_bytes(b"mine " + path.name.encode())
        path.chmod(mode)
    os.utime(editors, (0, 0))
    before = {path: (path.read_bytes() if path.is_file() else None, os.stat(path).st_mode)
              for path in (notes, photo, editors, photo.parent)}
    assert start().exit_code == 0
    os.chmod(home / "journal.sqlite3", 0o644)  # ours, loosened by another program: tightened

    listed = invoke("list", "--json")
    forgot = invoke("forget", "--all", "-y")

    assert listed.exit_code == 0 and "temporary" not in listed.stderr
    assert "1 of voicecoach's" in listed.output
    assert forgot.exit_code == 0 and not (home / "journal.sqlite3").exists()
    after = {path: (path.read_bytes() if path.is_file() else None, os.stat(path).st_mode) for path in before}
    assert after == before
    assert str(notes) not in forgot.output and "photos" not in forgot.output


def test_every_name_voicecoach_writes_under_is_one_of_its_own():
    """The sweeps and forget --all go by paths.OWN_NAMES: a new file of ours must be named there."""
    from voicecoach import config, paths, profile, safety
    from voicecoach.journal import BACKUPS, FILENAME, SEALED_FILENAME
    from voicecoach.schedule import plans, programs, reminders

    names = {config.FILENAME, lock.SETTINGS, profile.FILENAME, safety.MARKER, vault.INDEX, FILENAME,
             SEALED_FILENAME, BACKUPS, plans.FILENAME, programs.STATE_FILE, reminders.FILENAME, "running"}
    assert names <= paths.OWN_NAMES
