"""Carrying the journal to another computer: exports in a documented layout (docs/JOURNAL.md),
a whole-folder archive, and importing either back without doubling a session."""

import csv
import gzip
import io
import json
import tarfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from voicecoach import __version__, config, paths, vault
from voicecoach.errors import TransferError
from voicecoach.journal import BACKUPS, FILENAME, SEALED_FILENAME, Journal
from voicecoach.journal.store import readable_part
from voicecoach.vault import lock

JOURNAL_FORMAT = "voicecoach-journal"
ARCHIVE_FORMAT = "voicecoach-archive"
VERSION = 1
CSV_FIELDS = ("record", "session_id", "exercise_id", "exercise_title", "exercise_hash", "started_at",
              "ended_at", "outcome", "steps_total", "steps_done", "solo", "step_index", "kind", "result",
              "key", "slot", "name", "value", "at")
# Never carried in an archive: the journal travels as JSON, the rest is this machine's own state.
NOT_CARRIED = {FILENAME, f"{FILENAME}-wal", f"{FILENAME}-shm", SEALED_FILENAME, BACKUPS, "running",
               lock.SETTINGS, vault.INDEX, config.FILENAME}
MAX_IMPORT_BYTES = 256 << 20
"""An export or archive larger than this is refused unread: ten years of daily sessions are a few MB."""
MAX_EXPANDED_BYTES = 256 << 20
"""What an archive may expand to once unzipped (its journal, profile and plans)."""
WARNING = ("This archive holds your journal, settings and private files unencrypted: keep it where only "
           "you can read it, and delete it once it is imported.")


@dataclass
class Imported:
    """What an import did, to tell the user."""

    added: int = 0
    present: int = 0
    files_added: list = field(default_factory=list)
    files_kept: list = field(default_factory=list)
    todo: list = field(default_factory=list)


def journal_sessions(folder: Path | None = None, layout: str | None = None, damaged: bool = False) -> list:
    """Every session in the journal, oldest first: dicts, or texts in an export's layout ("json" or
    "csv"); none without a journal. damaged: the sessions that can still be read of a damaged one."""
    folder = Path(folder or paths.data_dir(create=False))
    if not ((folder / FILENAME).exists() or (folder / SEALED_FILENAME).exists()):
        return []
    with readable_part(folder / FILENAME) if damaged else Journal(folder / FILENAME) as journal:
        return {None: journal.records, "json": journal.records_json, "csv": journal.records_csv}[layout]()


def as_json(sessions: list) -> str:
    """The documented layout, one session a line; sessions are dicts or JSON texts of them."""
    head = json.dumps({"format": JOURNAL_FORMAT, "version": VERSION, "time_zone": "UTC",
                       "exported_at": _now(), "exported_by": f"voicecoach {__version__}"}, indent=1)
    lines = [s if isinstance(s, str) else json.dumps(s, ensure_ascii=False) for s in sessions]
    body = ("[\n", ",\n".join(lines), "\n]") if lines else ("[]",)
    return "".join((head[:-2], ',\n "sessions": ', *body, "\n}\n"))  # one copy of a long journal, not three


def as_csv(sessions: list[str]) -> str:
    """One row per session, step and rating (the 'record' column says which), for spreadsheets;
    sessions are the texts journal_sessions(layout="csv") gives."""
    return ",".join(CSV_FIELDS) + "\n" + "".join(sessions)


def write_export(target: Path, data: str | bytes) -> None:
    """Owner-only and whole: a crash leaves no half export."""
    try:
        vault.write_atomically(Path(target), data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as error:
        raise TransferError(f"{target}: cannot be written ({error.strerror or error})") from None


def export_archive(target: Path, folder: Path | None = None) -> list[str]:
    """Everything voicecoach holds, as one owner-only tar.gz; returns the names inside it."""
    folder = Path(folder or paths.data_dir(create=False))
    private = {p.resolve() for p in vault.private_files(folder)}
    members = {"journal.json": as_json(journal_sessions(folder, layout="json")).encode("utf-8")}
    listed = []
    settings = config.path()
    if settings.is_file():
        members["config/config.yaml"] = _read(settings, Path.read_bytes)
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        name = path.relative_to(folder)
        if (name.parts[0] in NOT_CARRIED or not path.is_file() or path.is_symlink()
                or any(part.startswith(".") for part in name.parts)):
            continue
        secret = path.resolve() in private
        members[f"data/{name.as_posix()}"] = _read(path, vault.read_private if secret else Path.read_bytes)
        listed.append({"path": f"data/{name.as_posix()}", "private": secret})
    manifest = {"format": ARCHIVE_FORMAT, "version": VERSION, "created_at": _now(),
                "created_by": f"voicecoach {__version__}", "locked": lock.is_locked(folder),
                "journal": "journal.json", "config": "config/config.yaml" if "config/config.yaml" in members else None,
                "files": listed}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in [("manifest.json", json.dumps(manifest, indent=2).encode())] + list(members.items()):
            info = tarfile.TarInfo(f"voicecoach/{name}")
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
    write_export(target, buffer.getvalue())
    return ["manifest.json"] + list(members)


def _read(path: Path, reader) -> bytes:
    try:
        return reader(path)
    except OSError as error:
        raise TransferError(f"{path}: cannot be read ({error.strerror or error}); no archive was written") from None


def _read_capped(given, cap: int) -> bytes:
    """At most cap + 1 bytes, a megabyte at a time: read(cap + 1) set aside the whole cap (256 MB)
    for an empty file."""
    chunks, total = [], 0
    while total <= cap and (chunk := given.read(1 << 20)):
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def import_file(source: Path, folder: Path | None = None) -> Imported:
    """Read a JSON or CSV export or an archive back; sessions already here (same id) are skipped."""
    source = Path(source)
    try:
        with open(source, "rb") as given:
            data = _read_capped(given, MAX_IMPORT_BYTES)
    except OSError as error:
        raise TransferError(f"{source}: cannot be read ({error.strerror})") from None
    if len(data) > MAX_IMPORT_BYTES:
        raise TransferError(f"{source}: larger than {MAX_IMPORT_BYTES >> 20} MB, more than any voicecoach export")
    folder = Path(folder or paths.data_dir())
    if data[:2] == b"\x1f\x8b":
        return _import_archive(source, data, folder)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TransferError(f"{source}: not a voicecoach export (neither JSON, CSV nor a .tar.gz archive)") from None
    sessions = _sessions_from_json(text, source) if text.lstrip().startswith("{") else _sessions_from_csv(text, source)
    result = Imported()
    result.added, result.present = _add(sessions, folder, source)
    return result


def _add(sessions, folder: Path, where) -> tuple[int, int]:
    if not sessions:
        return 0, 0
    with Journal(folder / FILENAME) as journal:
        try:
            return journal.add_records(sessions)
        except ValueError as error:
            raise TransferError(f"{where}: {error}; nothing was imported") from None


def _sessions_from_json(text: str, where) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TransferError(f"{where}:{error.lineno}: not valid JSON ({error.msg})") from None
    except (ValueError, RecursionError) as error:  # a number of thousands of digits, lists nested too deep
        why = "lists nested too deep" if isinstance(error, RecursionError) else _short(error)
        raise TransferError(f"{where}: not a voicecoach export ({why})") from None
    if not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT:
        raise TransferError(f"{where}: not a voicecoach journal export (no \"format\": \"{JOURNAL_FORMAT}\")")
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise TransferError(f"{where}: written by a newer voicecoach (version {data.get('version')!r}); "
                            "upgrade voicecoach to import it")
    if not isinstance(data.get("sessions"), list):
        raise TransferError(f"{where}: \"sessions\" must be a list")
    return data["sessions"]


def _sessions_from_csv(text: str, where) -> list[dict]:
    rows = csv.DictReader(io.StringIO(text))
    if not rows.fieldnames or rows.fieldnames[0] != "record" or set(CSV_FIELDS) - set(rows.fieldnames):
        raise TransferError(f"{where}: not a voicecoach export (JSON, CSV with a 'record' column, or an archive)")
    sessions = {}
    line = 1
    for row in _rows(rows, where):
        line = rows.line_num
        try:
            sid = row["session_id"]
            if row["record"] == "session":
                sessions[sid] = {**{k: row[k] or None for k in ("exercise_id", "exercise_title", "exercise_hash",
                                                                 "started_at", "ended_at", "outcome")},
                                 "id": sid, "steps_total": int(row["steps_total"]),
                                 "steps_done": int(row["steps_done"]), "solo": _boolean(row["solo"]),
                                 "steps": [], "ratings": []}
            elif row["record"] == "step":
                sessions[sid]["steps"].append({"index": int(row["step_index"]), "kind": row["kind"],
                                               "result": row["result"], "at": row["at"]})
            elif row["record"] == "rating":
                sessions[sid]["ratings"].append({"step_index": int(row["step_index"]), "key": row["key"],
                                                 "slot": row["slot"], "name": row["name"], "at": row["at"],
                                                 "value": int(row["value"]) if row["value"] else None})
            else:
                raise ValueError(f"record must be session, step or rating, not {row['record']!r}")
        except KeyError:
            raise TransferError(f"{where}:{line}: a step or rating before its session") from None
        except (ValueError, TypeError) as error:
            raise TransferError(f"{where}:{line}: {_short(error)}") from None
    return list(sessions.values())


def _rows(rows: csv.DictReader, where):
    """The CSV's rows; a field longer than the csv module takes (128 KiB) is one line naming the line."""
    try:
        yield from rows
    except csv.Error as error:
        raise TransferError(f"{where}:{rows.line_num}: {error}") from None


def _short(error) -> str:
    """An error or value in one line short enough to read: a hostile file can make either megabytes long."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _boolean(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"solo must be true or false, not {text!r}")
    return text == "true"


class _Capped:
    """The archive's bytes as they are unzipped, refused past MAX_EXPANDED_BYTES: a few megabytes of
    gzip can expand to gigabytes, and tarfile reads on until the end."""

    def __init__(self, raw, where):
        self.raw, self.left, self.where = raw, MAX_EXPANDED_BYTES, where

    def read(self, size=-1):
        chunk = self.raw.read(self.left + 1 if size is None or size < 0 else min(size, self.left + 1))
        self.left -= len(chunk)
        if self.left < 0:
            raise TransferError(f"{self.where}: expands to more than {MAX_EXPANDED_BYTES >> 20} MB, "
                                "more than any voicecoach archive; nothing was imported")
        return chunk


def _import_archive(source: Path, data: bytes, folder: Path) -> Imported:
    """Read members into memory (never extracted by name, so no path escapes the data folder), check
    every one, and only then write: a bad member leaves the journal and the folder as they were."""
    members = {}
    try:
        with tarfile.open(fileobj=_Capped(gzip.GzipFile(fileobj=io.BytesIO(data)), source), mode="r|") as tar:
            for info in tar:
                if info.isfile():
                    members[info.name] = tar.extractfile(info).read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise TransferError(f"{source}: a damaged archive ({_short(error)})") from None
    try:
        manifest = json.loads(members["voicecoach/manifest.json"])
        assert manifest["format"] == ARCHIVE_FORMAT
    except (KeyError, ValueError, AssertionError, TypeError, RecursionError):
        raise TransferError(f"{source}: not a voicecoach archive (no voicecoach/manifest.json)") from None
    if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
        raise TransferError(f"{source}: written by a newer voicecoach; upgrade voicecoach to import it")
    files = _carried_files(source, manifest, members, folder)
    try:
        journal = members.get("voicecoach/journal.json", b"").decode("utf-8")
    except UnicodeDecodeError as error:
        raise TransferError(f"{source}:journal.json: not UTF-8 text (byte {error.start})") from None
    sessions = _sessions_from_json(journal, f"{source}:journal.json")
    result = Imported()
    result.added, result.present = _add(sessions, folder, source)
    settings = members.get("voicecoach/config/config.yaml")
    if settings is not None:
        _place(config.path(create=True), settings, False, result)
    for target, content, private in files:
        _place(target, content, private, result)
    carried = " ".join(str(p) for p in result.files_added + result.files_kept)
    if "plan" in carried or "program" in carried:
        result.todo.append("run 'voicecoach plan install' to set up reminders again (they belong to a machine)")
    if manifest.get("locked"):
        result.todo.append("run 'voicecoach lock' to lock the journal here too (the archive was not locked)")
    result.todo.append(f"delete {source} once you are happy: it holds your private data unencrypted")
    return result


def _carried_files(source: Path, manifest: dict, members: dict, folder: Path) -> list:
    """(target, content, private) for each file the manifest lists, all checked before any is written."""
    entries = manifest.get("files", [])
    if not isinstance(entries, list):
        raise TransferError(f"{source}: manifest.json: \"files\" must be a list, not {_short(repr(entries))}")
    files, names = [], set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise TransferError(f"{source}: manifest.json: {_short(repr(entry))} in \"files\" is not a file entry")
        name = PurePosixPath(str(entry.get("path", "")))
        if name.parts[:1] != ("data",) or ".." in name.parts or len(name.parts) < 2 or name.parts[1] in NOT_CARRIED:
            raise TransferError(f"{source}: refuses the member {str(name)!r} (outside the data folder)")
        content = members.get(f"voicecoach/{name}")
        if content is None:
            raise TransferError(f"{source}: {name} is listed but missing")
        target = folder.joinpath(*name.parts[1:])
        inside = [folder.joinpath(*name.parts[1:end]) for end in range(2, len(name.parts))]
        if (target.is_dir() or any(p.exists() and not p.is_dir() for p in inside)
                or any(str(parent) in names for parent in name.parents) or any(
                    other.startswith(f"{name}/") for other in names)):
            raise TransferError(f"{source}: {name} collides with a folder or file of that name; nothing was imported")
        names.add(str(name))
        files.append((target, content, bool(entry.get("private"))))
    return files


def _place(target: Path, content: bytes, private: bool, result: Imported) -> None:
    """A file this machine lacks is written; one it has with other content is kept and named."""
    if target.exists():
        here = vault.read_private(target) if private else target.read_bytes()
        if here != content:
            result.files_kept.append(target)
        return
    if private:
        vault.write_private(target, content)
    else:
        vault.write_atomically(target, content)
    result.files_added.append(target)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
