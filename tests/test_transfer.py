import gzip
import io
import json
import os
import stat
import tarfile
import time

import pytest
from keeping import PASSPHRASE, fill, invoke

from voicecoach import vault
from voicecoach.journal import Journal
from voicecoach.vault import lock


@pytest.fixture(autouse=True)
def quick_scrypt(monkeypatch):
    monkeypatch.setattr(lock, "SCRYPT", {"n": 2**10, "r": 8, "p": 1})
    yield
    lock.forget_keys()


def records(home):
    with Journal(home / "journal.sqlite3") as journal:
        return journal.records()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_json_export_has_the_documented_layout(home, tmp_path):
    (session_id,) = fill(count=1)
    target = tmp_path / "out" / "journal.json"
    result = invoke("export", "--output", str(target))
    assert result.exit_code == 0
    assert result.output == f"Wrote 1 session to {target} (readable by you only, not encrypted).\n"
    assert mode(target) == 0o600
    data = json.loads(target.read_text())
    assert {k: data[k] for k in ("format", "version", "time_zone")} == {
        "format": "voicecoach-journal", "version": 1, "time_zone": "UTC"}
    (session,) = data["sessions"]
    assert list(session) == ["id", "exercise_id", "exercise_title", "exercise_hash", "started_at", "ended_at",
                             "outcome", "steps_total", "steps_done", "solo", "steps", "ratings"]
    assert session["id"] == session_id and session["solo"] is False and session["steps_done"] == 2
    assert session["started_at"].endswith("+00:00")
    assert session["steps"][0] == {"index": 0, "kind": "say", "result": "done", "at": session["steps"][0]["at"]}
    assert [(r["key"], r["slot"], r["name"], r["value"]) for r in session["ratings"]] == [
        ("connection", "A", "Sam", 7), ("connection", "B", "Alex", None)]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_forget_import_gives_back_the_same_history(home, tmp_path, fmt):
    fill(count=4)
    with Journal() as journal:
        journal.end(journal.begin("breathing", "Breathing, \"slow\"", "cd" * 32, 5, solo=True), "declined")
    before = records(home)
    target = tmp_path / f"journal.{fmt}"
    assert invoke("export", "--format", fmt, "-o", str(target)).exit_code == 0
    assert invoke("forget", "--all", "--yes").exit_code == 0
    assert not (home / "journal.sqlite3").exists()

    result = invoke("import", str(target))

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Imported 5 sessions.")
    assert records(home) == before
    again = invoke("import", str(target))
    assert again.output.startswith("Imported 0 sessions (5 already in your journal).")
    assert records(home) == before


def test_csv_has_one_row_per_session_step_and_rating(home):
    fill(count=1)
    lines = invoke("export", "--format", "csv").output.splitlines()
    assert lines[0].startswith("record,session_id,exercise_id")
    assert [line.split(",")[0] for line in lines[1:]] == ["session", "step", "step", "rating", "rating"]


def test_csv_quotes_text_as_a_spreadsheet_reads_it_and_imports_back_the_same(home, tmp_path):
    """SQLite writes the CSV: commas, quotes and line breaks in titles, kinds, keys and names are
    quoted as Python's csv module would, and a running session's missing end is an empty field."""
    import csv

    with Journal(home / "journal.sqlite3") as journal:
        sid = journal.begin("ours,2", 'Say "hi",\nthen\r rest', "h", 2)
        journal.step(sid, 0, 'a "kind", odd')
        journal.rating(sid, 0, "close,ness", "A", 'Sam "S", Jr.\n', None)
        journal.rating(sid, 0, "close,ness", "B", "Alex", 7)
        journal.end(sid, "stopped")
        running = journal.begin("plain", "Plain", "h", 1)
        before = records(home)
        text = invoke("export", "--format", "csv").output
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:11] == ["session", sid, "ours,2", 'Say "hi",\nthen\r rest', "h", before[0]["started_at"],
                            before[0]["ended_at"], "stopped", "2", "1", "false"]
    assert rows[2][11:14] == ["0", 'a "kind", odd', "done"]
    assert [row[14:18] for row in rows[3:5]] == [["close,ness", "A", 'Sam "S", Jr.\n', ""],
                                                 ["close,ness", "B", "Alex", "7"]]
    assert rows[5][1] == running and rows[5][6] == "" and rows[5][7] == "running"
    target = tmp_path / "journal.csv"
    target.write_text(text)
    invoke("forget", "--all", "--yes")
    assert invoke("import", str(target)).exit_code == 0
    again = records(home)
    assert again[0] == before[0]
    assert again[1]["outcome"] == "interrupted"  # what import makes of a session still running


def test_the_whole_archive_round_trip(home, tmp_path):
    fill(count=3)
    (home / "config.yaml").write_text("partner-a: Sam\npartner-b: Alex\n")
    vault.write_private(home / "voice-profile.bin", b"\x00profile")
    vault.write_private(home / "plans" / "plan.json", b'{"at": "21:00"}')
    (home / "exercises").mkdir(mode=0o700)
    (home / "exercises" / "ours.yaml").write_text("id: ours\n")
    before = records(home)
    archive = tmp_path / "all.tar.gz"

    result = invoke("export", "--all", str(archive))

    assert result.exit_code == 0
    assert "holds your journal, settings and private files unencrypted" in result.output
    assert mode(archive) == 0o600
    assert invoke("forget", "--all", "--yes").exit_code == 0
    (home / "config.yaml").unlink()
    (home / "exercises" / "ours.yaml").unlink()

    result = invoke("import", str(archive))

    assert result.exit_code == 0, result.output
    assert "Imported 3 sessions." in result.output
    assert "run 'voicecoach plan install' to set up reminders again" in result.output
    assert records(home) == before
    assert vault.read_private(home / "voice-profile.bin") == b"\x00profile"
    assert vault.read_private(home / "plans" / "plan.json") == b'{"at": "21:00"}'
    assert (home / "config.yaml").read_text() == "partner-a: Sam\npartner-b: Alex\n"
    assert (home / "exercises" / "ours.yaml").read_text() == "id: ours\n"
    for path in (home / "voice-profile.bin", home / "plans" / "plan.json", home / "config.yaml"):
        assert mode(path) == 0o600


def test_an_archive_of_a_locked_journal_opens_elsewhere(home, tmp_path, monkeypatch):
    fill(count=2)
    vault.write_private(home / "voice-profile.bin", b"profile")
    before = records(home)
    monkeypatch.setenv("VOICECOACH_PASSPHRASE", PASSPHRASE)
    assert invoke("lock").exit_code == 0
    archive = tmp_path / "all.tar.gz"
    assert invoke("export", "--all", str(archive)).exit_code == 0

    monkeypatch.setenv("VOICECOACH_HOME", str(tmp_path / "new"))
    monkeypatch.delenv("VOICECOACH_PASSPHRASE")
    result = invoke("import", str(archive))

    assert result.exit_code == 0, result.output
    assert "run 'voicecoach lock' to lock the journal here too" in result.output
    assert records(tmp_path / "new") == before
    assert (tmp_path / "new" / "voice-profile.bin").read_bytes() == b"profile"


def test_an_existing_file_is_kept_and_named(home, tmp_path):
    vault.write_private(home / "voice-profile.bin", b"old")
    archive = tmp_path / "all.tar.gz"
    invoke("export", "--all", str(archive))
    vault.write_private(home / "voice-profile.bin", b"newer")
    result = invoke("import", str(archive))
    assert f"kept this computer's {home / 'voice-profile.bin'}" in result.output
    assert vault.read_private(home / "voice-profile.bin") == b"newer"


def _tar(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_bad_files_are_one_line_status_2_and_import_nothing(home, tmp_path):
    fill(count=1)
    good = json.loads(invoke("export").output)
    cases = {
        "garbage.json": b"\x89PNG not an export",
        "broken.json": b'{"format": "voicecoach-journal",\n "version": 1, ',
        "other.json": b'{"format": "photos"}',
        "newer.json": json.dumps({**good, "version": 99}).encode(),
        "bad-value.json": json.dumps({**good, "sessions": [
            {**good["sessions"][0], "id": "a-new-id"},
            {**good["sessions"][0], "id": "another-id", "outcome": "lost"}]}).encode(),
        "bad.csv": b"record,session_id\nsession,x\n",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    _tar(tmp_path / "escape.tar.gz", {"voicecoach/manifest.json": json.dumps(
        {"format": "voicecoach-archive", "version": 1, "files": [{"path": "data/../../evil"}]}).encode(),
        "voicecoach/data/../../evil": b"x"})
    before = records(home)
    for name in list(cases) + ["escape.tar.gz", "missing.json"]:
        result = invoke("import", str(tmp_path / name))
        assert result.exit_code == 2, name
        assert result.output.count("\n") == 1 and str(tmp_path / name) in result.output, result.output
    assert "newer voicecoach" in invoke("import", str(tmp_path / "newer.json")).output
    assert "session 2 (another-id)" in invoke("import", str(tmp_path / "bad-value.json")).output
    assert records(home) == before
    assert not (tmp_path / "evil").exists()


def test_an_export_that_cannot_be_written_is_one_line(home, tmp_path):
    fill(count=1)
    (tmp_path / "a-file").write_text("")
    blocked = tmp_path / "a-file"
    for args in (["export", "-o", str(blocked / "j.json")], ["export", "--all", str(blocked / "a.tgz")]):
        result = invoke(*args)
        assert result.exit_code == 1
        assert result.output.splitlines()[-1].startswith(f"Error: {tmp_path / 'a-file'}/")
        assert "cannot be written" in result.output


def test_an_imported_declined_session_keeps_only_its_outcome(home, tmp_path):
    """A hand-made or older export with steps and ratings in a declined session: as Journal.end
    would, import keeps none of them, so nothing can show who declined."""
    fill(count=1)
    target = tmp_path / "journal.json"
    assert invoke("export", "--format", "json", "-o", str(target)).exit_code == 0
    data = json.loads(target.read_text())
    sessions = data["sessions"] if isinstance(data, dict) else data
    sessions[0]["outcome"] = "declined"
    target.write_text(json.dumps(data))
    assert invoke("forget", "--all", "--yes").exit_code == 0
    assert invoke("import", str(target)).exit_code == 0
    (session,) = records(home)
    assert session["outcome"] == "declined" and session["steps"] == [] and session["ratings"] == []
    assert session["steps_done"] == 0


def _archive(path, journal: bytes, files, members=None):
    """An archive as export --all writes it, with this journal.json and these manifest entries."""
    manifest = {"format": "voicecoach-archive", "version": 1, "journal": "journal.json", "files": files}
    _tar(path, {"voicecoach/manifest.json": json.dumps(manifest).encode(), "voicecoach/journal.json": journal,
                **(members or {})})


def _hostile_file(home, tmp_path, name) -> bytes:
    """The file named, made from a real export of one session, under a new id that would be added
    if the file were taken; written in tmp_path."""
    fill(count=1)
    good = json.loads(invoke("export").output)
    session = {**good["sessions"][0], "id": "a-new-session"}

    def export(**changes):
        return json.dumps({**good, "sessions": [{**session, **changes}]}).encode()

    path = tmp_path / name
    if name.endswith(".json"):
        path.write_bytes({
            "nested.json": lambda: b'{"format": "voicecoach-journal", "version": 1, "sessions": '
                                   + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "huge-integer.json": lambda: export(steps_total=10**25),
            "huge-rating.json": lambda: export(ratings=[{**session["ratings"][0], "value": 10**25}]),
            "many-digits.json": lambda: export().replace(b'"steps_done": 2', b'"steps_done": ' + b"9" * 5000),
            "year-one.json": lambda: export(started_at="0001-01-01T00:00:00+14:00"),
        }[name]())
    elif name.endswith(".csv"):
        text = invoke("export", "--format", "csv").output.replace(good["sessions"][0]["id"], "a-new-session")
        path.write_text(text.replace("Title ", "T" * (200 << 10), 1))  # a field over csv's 128 KiB
    elif name == "latin1.tar.gz":
        _archive(path, "caf\xe9".encode("latin-1") + export(), [])
    elif name == "files-of-numbers.tar.gz":
        _archive(path, export(), [1, None])
    elif name == "files-not-a-list.tar.gz":
        _archive(path, export(), {"path": "data/x"})
    elif name == "onto-a-folder.tar.gz":
        (home / "plans").mkdir()
        _archive(path, export(), [{"path": "data/plans"}], {"voicecoach/data/plans": b"{}"})
    elif name == "file-and-folder.tar.gz":
        _archive(path, export(), [{"path": "data/notes"}, {"path": "data/notes/a"}],
                 {"voicecoach/data/notes": b"x", "voicecoach/data/notes/a": b"y"})
    return path


@pytest.mark.parametrize("name, said", [
    ("nested.json", "nested too deep"), ("huge-integer.json", "too large"), ("huge-rating.json", "too large"),
    ("many-digits.json", "4300 digits"), ("year-one.json", "'0001-01-01T00:00:00+14:00' is outside"),
    ("long-field.csv", ".csv:1: field larger than field limit"), ("latin1.tar.gz", "journal.json: not UTF-8"),
    ("files-of-numbers.tar.gz", "1 in \"files\" is not a file entry"),
    ("files-not-a-list.tar.gz", "\"files\" must be a list"),
    ("onto-a-folder.tar.gz", "data/plans collides"), ("file-and-folder.tar.gz", "data/notes/a collides"),
])
def test_a_hostile_import_is_one_line_naming_the_file_and_writes_nothing(home, tmp_path, name, said):
    path = _hostile_file(home, tmp_path, name)
    before, files_before = records(home), sorted(p.name for p in home.rglob("*"))
    result = invoke("import", str(path))
    assert result.exit_code == 2, result.output[:300]
    assert result.output.count("\n") == 1 and len(result.output) < 400, result.output[:400]
    assert result.output.startswith(f"Error: {path}") and said in result.output, result.output
    assert records(home) == before
    assert sorted(p.name for p in home.rglob("*")) == files_before


def test_an_archive_that_expands_past_the_cap_is_refused_while_reading(home, tmp_path, monkeypatch):
    """A 1 MB file of gzip members, each a MiB of zeros, expands to a GiB: reading stops at the cap."""
    from voicecoach.journal import transfer

    monkeypatch.setattr(transfer, "MAX_EXPANDED_BYTES", 16 << 20)
    header = tarfile.TarInfo("voicecoach/journal.json")
    header.size = 1 << 30
    zeros = gzip.compress(b"\0" * (1 << 20))
    bomb = tmp_path / "bomb.tar.gz"
    bomb.write_bytes(gzip.compress(header.tobuf()) + zeros * 1024)
    assert bomb.stat().st_size < 2 << 20
    started = time.perf_counter()
    result = invoke("import", str(bomb))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert f"{bomb}: expands to more than 16 MB" in result.output
    assert time.perf_counter() - started < 5
    assert not (home / "journal.sqlite3").exists()
