"""The Journal itself: opening the file (or its sealed copy), the writes, forgetting and compacting."""

import os
import sqlite3
import uuid
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path

from voicecoach import paths
from voicecoach.errors import JournalError
from voicecoach.journal import damage, records
from voicecoach.journal.liveness import SessionLocks
from voicecoach.journal.queries import Queries
from voicecoach.journal.schema import Upgrades, _now
from voicecoach.vault import lock
from voicecoach.vault.sealed import SEALED_SUFFIX, SealedFile, image_of

FILENAME = "journal.sqlite3"
SEALED_FILENAME = FILENAME + SEALED_SUFFIX
ENDINGS = ("completed", "stopped", "declined", "interrupted")
BUSY_TIMEOUT_MS = 5000


def default_path() -> Path:
    return paths.data_dir() / FILENAME


def _configure(db) -> None:
    """Set on every connection: deleted rows are overwritten with zeros, never left in free pages,
    and sorts or VACUUM never spill into temporary files."""
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")
    db.execute("PRAGMA temp_store = MEMORY")


class Journal(Queries, SessionLocks, Upgrades):
    """Every write is its own committed transaction, so a crash never loses what came before it.

    While the folder is locked, the journal lives in memory, loaded from one sealed file; writes
    are sealed into that file a moment later, a few together, and at close() (see sealed.py), under
    a flock, so no plaintext reaches the disk and two processes never lose each other's writes.
    """

    def __init__(self, path: Path | str | None = None):
        memory = str(path) == ":memory:"
        self.path = None if memory else Path(path) if path is not None else default_path()
        self._lock_dir = None if memory else self.path.parent / "running"
        self._locks = {}
        self._sealed = None
        # A WAL left behind: a process died mid-write, or one is writing now; either way the whole check.
        self._whole_check = not memory and Path(f"{self.path}-wal").exists()
        self._whole_checked = memory  # see _plain_transaction
        old_umask = os.umask(0o077)
        try:
            if self.path is not None:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                except OSError as error:
                    raise JournalError(f"{self.path.parent}: cannot make the data folder ({error.strerror})") from None
            with self._unlocked() as locked:  # a plain file is never made or migrated as lock seals
                if locked:
                    self._sealed = SealedFile(self.path, on_load=_configure)
                self._connect(memory)
        finally:
            os.umask(old_umask)
        self._make_private()
        self._close_stale_sessions()

    def _connect(self, memory: bool) -> None:
        try:
            self._db = sqlite3.connect(
                ":memory:" if memory or self._sealed else self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=not self._sealed,  # locked: sealed on a timer's thread too
            )
        except sqlite3.Error as error:
            raise JournalError(f"{self.path}: cannot open the journal ({error})") from None
        try:
            if self._sealed:
                self._sealed.load(self._db)
            self._open()
        except sqlite3.Error as error:
            self._db.close()
            raise JournalError(f"{self.path}: cannot open the journal ({error})") from None
        except BaseException:
            self._db.close()
            raise

    def _unlocked(self):
        """Plain opens and writes hold the folder's flock, as 'voicecoach lock' does (see
        lock.while_unlocked): a session that began before the lock is seen by it, one after is refused."""
        if self.path is None:
            return nullcontext(False)
        return lock.while_unlocked(self.path.parent)

    @property
    def locked(self) -> bool:
        return self._sealed is not None

    def _open(self):
        """Check, configure and migrate a freshly connected database."""
        self._refuse_foreign_file()
        damage.check(self._db, self.path, whole=self._whole_check)
        self._whole_checked = self._whole_check
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _configure(self._db)
        if not self._sealed:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
        self._migrate()
        self._require_tables()
        if self._lock_dir is not None:
            try:
                self._lock_dir.mkdir(exist_ok=True, mode=0o700)
            except (FileExistsError, NotADirectoryError):
                raise JournalError(f"{self._lock_dir} is a file, where voicecoach keeps a folder of that "
                                   "name; move it away") from None
            os.chmod(self._lock_dir, 0o700)

    def _require_tables(self) -> None:
        """Every table a voicecoach journal has once migrated: one dropped (by hand, by a tool) made
        each query a traceback; the journal is damaged, and export saves what is left."""
        tables = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [table for table in damage.TABLES if table not in tables]
        if missing:
            raise damage.damaged(self.path, f"its table {missing[0]} is missing")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def flush(self) -> None:
        """Locked: seal the writes still waiting in memory now (close() does too); unlocked, every
        write is on disk already."""
        if self._sealed:
            self._sealed.flush()

    def close(self) -> None:
        """Sessions still running here end as interrupted, so none is left 'running' behind us."""
        try:
            for session_id in list(self._locks):
                with suppress(JournalError):  # a full disk: the next open closes it as interrupted
                    self.mark_interrupted(session_id)
        finally:
            try:
                try:
                    self.flush()  # before the session locks go, so none looks abandoned
                except KeyboardInterrupt:  # a second Ctrl-C during the save: finish it, then stop
                    self.flush()
                    raise
            finally:
                for session_id in list(self._locks):
                    self._unlock(session_id)
                self._db.close()

    def begin(self, exercise_id, title, exercise_hash, steps_total, solo=False) -> str:
        """Lock first, then insert, so no other process ever sees this session unlocked."""
        session_id = str(uuid.uuid4())
        self._lock(session_id)
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO sessions (id, exercise_id, exercise_title, exercise_hash,"
                    " started_at, steps_total, solo, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (session_id, exercise_id, title, exercise_hash, _now(), steps_total,
                     int(bool(solo)), os.getpid()),
                )
        except BaseException:
            self._unlock(session_id)
            raise
        return session_id

    def step(self, session_id, index, kind, skipped=False) -> None:
        """steps_done counts 'done' rows and changes in the same transaction as the step. It moves
        by this row's change alone (a step done again after a goto counts once), not by a recount,
        so that journaling a step costs the same in a session of ten steps or ten thousand."""
        result = "skipped" if skipped else "done"
        with self._transaction() as db:
            self._require_running(db, session_id)
            before = db.execute("SELECT result FROM steps WHERE session_id = ? AND step_index = ?",
                                (session_id, index)).fetchone()
            db.execute(
                "INSERT INTO steps (session_id, step_index, kind, result, at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (session_id, step_index) DO UPDATE"
                " SET kind = excluded.kind, result = excluded.result, at = excluded.at",
                (session_id, index, kind, result, _now()),
            )
            change = (result == "done") - (before is not None and before[0] == "done")
            if change:
                db.execute("UPDATE sessions SET steps_done = steps_done + ? WHERE id = ?",
                           (change, session_id))

    def rating(self, session_id, index, key, slot, name, value: int | None) -> None:
        """value None means the partner skipped the question; asking again replaces the answer."""
        with self._transaction() as db:
            self._require_running(db, session_id)
            db.execute(
                "INSERT INTO ratings (session_id, step_index, key, slot, name, value, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, step_index, key, slot)"
                " DO UPDATE SET name = excluded.name, value = excluded.value, at = excluded.at",
                (session_id, index, key, slot, name, value, _now()),
            )

    def record_picks(self, session_id, pool, items) -> None:
        """These items of `pool` were said in this session."""
        with self._transaction() as db:
            self._require_running(db, session_id)
            db.executemany(
                "INSERT OR IGNORE INTO question_picks (session_id, pool, item, at) VALUES (?, ?, ?, ?)",
                [(session_id, pool, item, _now()) for item in items],
            )

    def end(self, session_id, outcome) -> None:
        """A declined session keeps only its outcome: no step or rating that could show who declined."""
        if outcome not in ENDINGS:
            raise ValueError(f"outcome must be one of {', '.join(ENDINGS)}, not {outcome!r}")
        with self._transaction() as db:
            self._require_running(db, session_id)
            if outcome == "declined":
                db.execute("DELETE FROM ratings WHERE session_id = ?", (session_id,))
                db.execute("DELETE FROM steps WHERE session_id = ?", (session_id,))
                db.execute("UPDATE sessions SET steps_done = 0 WHERE id = ?", (session_id,))
            db.execute(
                "UPDATE sessions SET outcome = ?, ended_at = ? WHERE id = ?",
                (outcome, _now(), session_id),
            )
        self._unlock(session_id)

    def mark_interrupted(self, session_id) -> None:
        """For Ctrl-C: safe to call twice or after end(), it only closes a running session."""
        with self._transaction() as db:
            db.execute(
                "UPDATE sessions SET outcome = 'interrupted', ended_at = ?"
                " WHERE id = ? AND outcome = 'running'",
                (_now(), session_id),
            )
        self._unlock(session_id)

    def add_records(self, sessions) -> tuple[int, int]:
        """Add the sessions not already here (same id), all or none; (added, already here).
        Raises ValueError naming the session that is not right."""
        added = 0
        with self._transaction() as db:
            for number, session in enumerate(sessions, 1):
                try:
                    added += records.insert_record(db, session)
                except (KeyError, TypeError, ValueError, AttributeError, OverflowError,
                        sqlite3.IntegrityError) as error:
                    what = (f"missing {error}" if isinstance(error, KeyError) else
                            "a number too large for the journal (over 19 digits)" if isinstance(error, OverflowError)
                            else " ".join(str(error).split()))
                    which = str(session.get("id", "?"))[:40] if isinstance(session, dict) else "?"
                    raise ValueError(f"session {number} ({which}): {what[:160]}") from None
        return added, len(sessions) - added

    def delete_sessions(self, before: str | None = None, session_id: str | None = None) -> int:
        """Delete sessions started before an ISO time (UTC) or one session; then compact(), so the
        rows are gone from the file too (secure_delete zeroes their pages, VACUUM rebuilds)."""
        with self._transaction() as db:
            if session_id is not None:
                count = db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
            else:
                count = db.execute("DELETE FROM sessions WHERE started_at < ?", (records.utc(before),)).rowcount
        self.compact()
        return count

    def compact(self) -> None:
        """Rebuild the file and empty the WAL, so nothing deleted remains in either."""
        try:
            if self._sealed:
                with self._sealed.writing(self._db):
                    self._db.execute("VACUUM")
                self._sealed.flush()  # what was deleted leaves the disk now, not in a moment
                return
            self._db.execute("VACUUM")
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as error:
            raise JournalError(f"{self.path or 'journal'}: {error}") from None
        if busy:
            raise JournalError(f"{self.path}: another voicecoach is reading the journal; "
                               "close it and run this again to finish erasing")

    def check_whole(self) -> None:
        """SQLite's full integrity check (a few hundredths of a second for years of sessions), before
        the journal is sealed or copied whole; JournalDamaged if it fails."""
        damage.check(self._db, self.path, whole=True)
        self._whole_checked = True

    def image(self) -> bytes:
        """The whole journal as SQLite bytes (what lock seals)."""
        return image_of(self._db)

    @contextmanager
    def _transaction(self):
        """BEGIN IMMEDIATE takes the write lock up front; any exception, Ctrl-C too, rolls back."""
        if self._sealed:
            with self._sealed.writing(self._db):
                with self._plain_transaction() as db:
                    yield db
        else:
            with self._unlocked() as locked:
                if locked:
                    raise JournalError(f"{self.path}: the journal was locked meanwhile; "
                                       "this process has stopped writing to it")
                with self._plain_transaction() as db:
                    yield db

    @contextmanager
    def _plain_transaction(self):
        """The first write of a process checks the whole file first: quick_check at open misses an index
        that no longer matches its table, and a write through such an index spreads the damage."""
        if not self._whole_checked:
            self.check_whole()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                with suppress(sqlite3.Error):  # nothing to roll back if BEGIN or COMMIT failed
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:  # a full disk, a lost file: one clear line, never a traceback
            raise JournalError(f"{self.path or 'journal'}: {error}") from None

    def _require_running(self, db, session_id):
        row = db.execute("SELECT outcome FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None or row[0] != "running":
            raise JournalError(f"session {session_id} is not running")

    def _make_private(self):
        """SQLite copies the database's mode to -wal and -shm; chmod anyway, in case it was loose."""
        if self.path is None or self._sealed:
            return
        for suffix in ("", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                os.chmod(f"{self.path}{suffix}", 0o600)


def readable_part(path: Path | str | None = None) -> Journal:
    """What can still be read of a damaged journal (locked or not), copied into a journal in memory;
    the file itself is only read."""
    path = Path(path) if path is not None else default_path()
    try:
        if lock.is_locked(path.parent):
            sealed = path.with_name(SEALED_FILENAME)
            source = sqlite3.connect(":memory:")
            source.deserialize(lock.unseal(lock.key(path.parent), sealed.read_bytes(), where=str(sealed)))
        else:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except (OSError, sqlite3.Error) as error:
        raise JournalError(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})") from None
    copy = Journal(":memory:")
    try:
        damage.readable_copy(source, copy._db)
    finally:
        source.close()
    return copy
