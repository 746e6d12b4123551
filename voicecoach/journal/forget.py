"""Forgetting for good: the whole data folder, what is older than a date, or one session.

Rows are deleted with secure_delete on, then the journal is rebuilt (VACUUM) and its WAL emptied,
so nothing forgotten stays in the file; backups, which could hold the same rows, are erased, and so
are temporary copies of the journal that a crash mid-write left.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from voicecoach import paths, vault
from voicecoach.errors import JournalError, UnknownSession
from voicecoach.journal import BACKUPS, FILENAME, SEALED_FILENAME, Journal, liveness
from voicecoach.vault import lock

# What forget --all keeps: the couple's settings, their own exercises, and the note that the
# safety message was shown (it holds nothing about them).
KEPT = ("config.yaml", "exercises", "safety-note-shown")


@dataclass
class Forgotten:
    """What a forget did, to list every file to the user."""

    sessions: int = 0
    removed: list = field(default_factory=list)
    rewritten: list = field(default_factory=list)
    kept: list = field(default_factory=list)


def start_of(day: date) -> str:
    """Local midnight at the start of day, as a UTC ISO time: 'before 2025-03-01' means before that
    day began here."""
    return datetime.combine(day, time()).astimezone().isoformat()


def forget_all(folder: Path | None = None) -> Forgotten:
    """Remove everything voicecoach made in the data folder except KEPT, and nothing it did not make
    (paths.OWN_NAMES); refuses while a session runs."""
    folder = Path(folder or paths.data_dir(create=False))
    result = Forgotten()
    if not folder.is_dir():
        return result
    _refuse_while_running(folder)
    for path in vault.own_paths(folder, skip=KEPT):  # deepest first; never a file of the user's
        if path.is_dir() and not path.is_symlink():
            try:
                path.rmdir()
            except OSError:
                pass  # not empty: something was kept inside
            continue
        removed = _unlink(path) if path.is_symlink() else vault.erase(path)
        if removed:
            result.removed.append(path)
    lock.forget_keys()
    result.kept = [folder / name for name in KEPT if (folder / name).exists() and name != "safety-note-shown"]
    return result


def forget_sessions(before: str | None = None, session_ref: str | None = None,
                    folder: Path | None = None, confirm=lambda session: None) -> Forgotten:
    """Delete sessions started before an ISO time, or the one session whose id starts with
    session_ref; the journal is rewritten and every backup erased. confirm is called (it may exit)
    once there is something to forget, with the session's record when it is one, and the journal
    opened once for the whole: a locked one is decrypted once."""
    folder = Path(folder or paths.data_dir(create=False))
    result = Forgotten()
    if not ((folder / FILENAME).exists() or (folder / SEALED_FILENAME).exists()):
        if session_ref:
            raise UnknownSession(f"no session with id {session_ref!r}: the journal is empty")
        return result
    with Journal(folder / FILENAME) as journal:
        if journal.running():
            raise JournalError("a session is running; forget when it has ended")
        if before and not journal.count_before(before):
            return result  # nothing to forget: the journal and its backups stay as they are
        session_id = journal.find_session(session_ref) if session_ref else None
        confirm(journal.session(session_id) if session_id else None)
        result.sessions = journal.delete_sessions(before=before, session_id=session_id)
        written = [folder / SEALED_FILENAME] if journal.locked else [
            folder / f"{FILENAME}{suffix}" for suffix in ("", "-wal")]
    result.rewritten = [path for path in written if path.exists()]
    with lock.exclusive(folder):  # the journal's writers hold it: what temporary copy is left, a crash left
        leftovers = vault.temporary_files(folder / FILENAME)  # the locked journal's too
    for path in leftovers + sorted((folder / BACKUPS).glob("*")):
        if vault.erase(path):
            result.removed.append(path)
    return result


def _refuse_while_running(folder: Path) -> None:
    """A live session holds a flock on running/<id>.lock; erasing under it would lose its end."""
    if liveness.any_alive(folder / "running"):
        raise JournalError("a session is running; forget when it has ended")


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
