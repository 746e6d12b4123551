"""The private journal: which exercises a couple did, how far they got, how they rated them."""

import json
import os
import sqlite3
import uuid
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: liveness falls back to the pid
    fcntl = None

from . import lock, paths, records, vault
from .errors import JournalError, UnknownSession
from .sealed import SEALED_SUFFIX, SealedFile, image_of

FILENAME = "journal.sqlite3"
SEALED_FILENAME = FILENAME + SEALED_SUFFIX
BACKUPS = "backups"  # copies made before a migration, sealed too while locked
ENDINGS = ("completed", "stopped", "declined", "interrupted")
BUSY_TIMEOUT_MS = 5000

MIGRATIONS = []


def migration(fn):
    """Register fn; its name is recorded once it ran, so never rename one that shipped."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db):
    db.execute("""
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            exercise_id TEXT NOT NULL,
            exercise_title TEXT NOT NULL,
            exercise_hash TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT NOT NULL DEFAULT 'running' CHECK (outcome IN
                ('running', 'completed', 'stopped', 'declined', 'interrupted')),
            steps_total INTEGER NOT NULL CHECK (steps_total >= 0),
            steps_done INTEGER NOT NULL DEFAULT 0,
            solo INTEGER NOT NULL DEFAULT 0 CHECK (solo IN (0, 1)),
            pid INTEGER
        )""")
    db.execute("""
        CREATE TABLE steps (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            step_index INTEGER NOT NULL,
            kind TEXT NOT NULL,
            result TEXT NOT NULL CHECK (result IN ('done', 'skipped')),
            at TEXT NOT NULL,
            PRIMARY KEY (session_id, step_index)
        )""")
    db.execute("""
        CREATE TABLE ratings (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            step_index INTEGER NOT NULL,
            key TEXT NOT NULL,
            slot TEXT NOT NULL CHECK (slot IN ('A', 'B')),
            name TEXT NOT NULL,
            value INTEGER CHECK (value IS NULL OR
                (typeof(value) = 'integer' AND value BETWEEN 0 AND 10)),
            at TEXT NOT NULL,
            PRIMARY KEY (session_id, step_index, key, slot)
        )""")
    db.execute("CREATE INDEX sessions_started_at ON sessions(started_at)")


@migration
def m002_question_picks(db):
    """Which items of an exercise's question pools a session said, so the next one can say others."""
    db.execute("""
        CREATE TABLE question_picks (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            pool TEXT NOT NULL,
            item TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (session_id, pool, item)
        )""")


def default_path() -> Path:
    return paths.data_dir() / FILENAME


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _configure(db) -> None:
    """Set on every connection: deleted rows are overwritten with zeros, never left in free pages,
    and sorts or VACUUM never spill into temporary files."""
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")
    db.execute("PRAGMA temp_store = MEMORY")


def _minutes(started_at, ended_at):
    if ended_at is None:
        return None
    seconds = (datetime.fromisoformat(ended_at) - datetime.fromisoformat(started_at)).total_seconds()
    return round(seconds / 60, 1)


def _filters(since, exercise, outcome) -> tuple[str, list]:
    """A WHERE clause on sessions (aliased or not) for the filters that are set."""
    clauses, params = [], []
    if since is not None:
        clauses.append("started_at >= ?")
        params.append(since.astimezone(timezone.utc).isoformat(timespec="milliseconds"))
    if exercise is not None:
        clauses.append("exercise_id = ?")
        params.append(exercise)
    if outcome is not None:
        clauses.append("outcome = ?")
        params.append(outcome)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _pid_alive(pid) -> bool:
    """Only where flock is missing: a reused pid can make a dead session look alive."""
    if not pid:
        return False
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take_lock(path: Path):
    """Hold an exclusive flock: the kernel drops it when the process dies, however it dies."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _drop_lock(path: Path, fd) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)
    os.close(fd)


class Journal:
    """Every write is its own committed transaction, so a crash never loses what came before it.

    While the folder is locked, the journal lives in memory, loaded from one sealed file; each
    write transaction seals the whole database again and replaces that file, under a flock, so no
    plaintext reaches the disk and two processes never lose each other's writes.
    """

    def __init__(self, path: Path | str | None = None):
        memory = str(path) == ":memory:"
        self.path = None if memory else Path(path) if path is not None else default_path()
        self._lock_dir = None if memory else self.path.parent / "running"
        self._locks = {}
        self._sealed = None
        old_umask = os.umask(0o077)
        try:
            if self.path is not None:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                except OSError as error:
                    raise JournalError(f"{self.path.parent}: cannot make the data folder ({error.strerror})") from None
                if lock.is_locked(self.path.parent):
                    self._sealed = SealedFile(self.path, on_load=_configure)
            try:
                self._db = sqlite3.connect(
                    ":memory:" if memory or self._sealed else self.path,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
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
        finally:
            os.umask(old_umask)
        self._make_private()
        self._close_stale_sessions()

    @property
    def locked(self) -> bool:
        return self._sealed is not None

    def _open(self):
        """Check, configure and migrate a freshly connected database."""
        self._refuse_foreign_file()
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _configure(self._db)
        if not self._sealed:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
        self._migrate()
        if self._lock_dir is not None:
            self._lock_dir.mkdir(exist_ok=True, mode=0o700)
            os.chmod(self._lock_dir, 0o700)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Sessions still running here end as interrupted, so none is left 'running' behind us."""
        try:
            for session_id in list(self._locks):
                with suppress(JournalError):  # a full disk: the next open closes it as interrupted
                    self.mark_interrupted(session_id)
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
        """steps_done counts 'done' rows and changes in the same transaction as the step."""
        with self._transaction() as db:
            self._require_running(db, session_id)
            db.execute(
                "INSERT INTO steps (session_id, step_index, kind, result, at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (session_id, step_index) DO UPDATE"
                " SET kind = excluded.kind, result = excluded.result, at = excluded.at",
                (session_id, index, kind, "skipped" if skipped else "done", _now()),
            )
            db.execute(
                "UPDATE sessions SET steps_done = (SELECT COUNT(*) FROM steps"
                " WHERE session_id = :id AND result = 'done') WHERE id = :id",
                {"id": session_id},
            )

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

    def recent_picks(self, exercise_id, pool, limit=50) -> list[str]:
        """Items of this exercise's pool said in earlier sessions, newest first, each once."""
        rows = self._db.execute(
            "SELECT p.item FROM question_picks p JOIN sessions s ON s.id = p.session_id"
            " WHERE s.exercise_id = ? AND p.pool = ? ORDER BY s.started_at DESC, s.rowid DESC",
            (exercise_id, pool))
        return list(dict.fromkeys(item for (item,) in rows))[:limit]

    def recent_ratings_for_key(self, key, sessions=2) -> list[dict]:
        """The last sessions' answers to this rating, done together: {slot: value}, newest first."""
        ids = [session_id for (session_id,) in self._db.execute(
            "SELECT s.id FROM sessions s WHERE s.solo = 0 AND s.outcome != 'running' AND EXISTS"
            " (SELECT 1 FROM ratings r WHERE r.session_id = s.id AND r.key = ? AND r.value IS NOT NULL)"
            " ORDER BY s.started_at DESC, s.rowid DESC LIMIT ?", (key, sessions))]
        rows = self._db.execute(
            f"SELECT session_id, slot, value FROM ratings WHERE key = ? AND session_id IN ({', '.join('?' * len(ids))})"
            " ORDER BY step_index", (key, *ids)).fetchall()
        found: dict[str, dict] = {session_id: {} for session_id in ids}  # newest first
        for session_id, slot, value in rows:
            found[session_id][slot] = value
        return list(found.values())

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

    def sessions(self, limit=None, since=None, exercise=None, outcome=None, with_ratings=True) -> list[dict]:
        """Newest first, with ratings inline, ready for display; since is a datetime (naive: local)."""
        where, params = _filters(since, exercise, outcome)
        chosen = f"FROM sessions {where} ORDER BY started_at DESC, rowid DESC LIMIT ?"
        params = [*params, -1 if limit is None else limit]
        cursor = self._db.execute(f"SELECT * {chosen}", params)
        columns = [c[0] for c in cursor.description]
        result = [dict(zip(columns, row)) for row in cursor]
        ratings = {}
        if with_ratings and result:
            for session_id, key, slot, name, value in self._db.execute(
                    "SELECT session_id, key, slot, name, value FROM ratings"
                    f" WHERE session_id IN (SELECT id {chosen}) ORDER BY step_index, key, slot", params):
                ratings.setdefault(session_id, []).append(
                    {"key": key, "slot": slot, "name": name, "value": value})
        for session in result:
            session["solo"] = bool(session["solo"])
            session["minutes"] = _minutes(session["started_at"], session["ended_at"])
            if with_ratings:
                session["ratings"] = ratings.get(session["id"], [])
        return result

    def ratings(self, since=None, exercise=None, key=None) -> list[dict]:
        """Every answered rating, oldest first, with when and in which exercise it was given.

        A declined session is left out whatever it holds: it must not show who declined.
        """
        where, params = _filters(since, exercise, None)
        where = f"{where} {'AND' if where else 'WHERE'} s.outcome != 'declined' AND r.value IS NOT NULL"
        if key is not None:
            where += " AND r.key = ?"
            params.append(key)
        cursor = self._db.execute(
            "SELECT r.session_id, s.started_at, s.exercise_id, r.step_index, r.key, r.slot, r.name, r.value"
            f" FROM sessions s JOIN ratings r ON r.session_id = s.id {where}"
            " ORDER BY s.started_at, s.rowid, r.step_index, r.key, r.slot", params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor]

    def records(self) -> list[dict]:
        """Every session, oldest first, with its steps and ratings: what an export holds."""
        return [json.loads(text) for text in self.records_json()]

    def records_json(self) -> list[str]:
        """The same as JSON texts, one a session, built by SQLite itself: 10,000 sessions in a
        fraction of the time Python objects would take."""
        return [text for (text,) in self._db.execute(records.RECORDS_SQL)]

    def add_records(self, sessions) -> tuple[int, int]:
        """Add the sessions not already here (same id), all or none; (added, already here).
        Raises ValueError naming the session that is not right."""
        added = 0
        with self._transaction() as db:
            for number, session in enumerate(sessions, 1):
                try:
                    added += records.insert_record(db, session)
                except (KeyError, TypeError, ValueError, AttributeError, sqlite3.IntegrityError) as error:
                    what = f"missing {error}" if isinstance(error, KeyError) else " ".join(str(error).split())
                    which = session.get("id", "?") if isinstance(session, dict) else "?"
                    raise ValueError(f"session {number} ({which}): {what}") from None
        return added, len(sessions) - added

    def find_session(self, ref: str) -> str:
        """The id of the one session whose id starts with ref (at least 4 characters)."""
        ref = ref.strip().lower()
        if len(ref) < 4:
            raise UnknownSession(f"session {ref!r}: give at least the first 4 characters of its id")
        found = [i for (i,) in self._db.execute(
            "SELECT id FROM sessions WHERE id LIKE ? ESCAPE '\\'",
            (ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",))]
        if not found:
            raise UnknownSession(f"no session with id {ref!r} ('voicecoach history' shows them)")
        if len(found) > 1:
            raise UnknownSession(f"{len(found)} sessions have ids starting with {ref!r}; give more of it")
        return found[0]

    def running(self) -> list[str]:
        """Sessions still running in a live process (stale ones were closed when this opened)."""
        return [i for (i,) in self._db.execute("SELECT id FROM sessions WHERE outcome = 'running'")]

    def count_before(self, before: str) -> int:
        """How many sessions started before an ISO time: forgetting none should rewrite nothing."""
        return self._db.execute("SELECT count(*) FROM sessions WHERE started_at < ?",
                                (records.utc(before),)).fetchone()[0]

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
                return
            self._db.execute("VACUUM")
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as error:
            raise JournalError(f"{self.path or 'journal'}: {error}") from None
        if busy:
            raise JournalError(f"{self.path}: another voicecoach is reading the journal; "
                               "close it and run this again to finish erasing")

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
            with self._plain_transaction() as db:
                yield db

    @contextmanager
    def _plain_transaction(self):
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

    def _refuse_foreign_file(self):
        """Read before writing anything: a file that is not ours, or is newer, stays untouched."""
        try:
            tables = {name for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.OperationalError as error:
            raise JournalError(f"{self.path}: cannot read the journal ({error})") from None
        except sqlite3.DatabaseError as error:
            raise JournalError(f"{self.path} is not a voicecoach journal ({error})") from None
        if not tables:
            return
        if "migrations" not in tables:
            raise JournalError(f"{self.path} is not a voicecoach journal (it has other tables)")
        known = {fn.__name__ for fn in MIGRATIONS}
        recorded = {name for (name,) in self._db.execute("SELECT name FROM migrations")}
        if recorded - known:
            raise JournalError(
                f"{self.path} was written by a newer voicecoach; upgrade voicecoach to open it")

    def _migrate(self):
        tables = self._db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'migrations'").fetchone()[0]
        if not tables:
            with self._transaction() as db:
                db.execute("CREATE TABLE IF NOT EXISTS migrations"
                           " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        applied = {name for (name,) in self._db.execute("SELECT name FROM migrations")}
        backed_up = not applied  # a new journal has nothing to keep
        for fn in MIGRATIONS:
            if fn.__name__ in applied:
                continue
            if not backed_up:
                self._back_up(before=fn.__name__)
                backed_up = True
            with self._transaction() as db:
                # Checked inside the transaction: another process may be migrating too.
                if db.execute("SELECT 1 FROM migrations WHERE name = ?", (fn.__name__,)).fetchone():
                    continue
                fn(db)
                db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                           (fn.__name__, _now()))

    def _back_up(self, before: str) -> Path:
        """A whole copy before upgrading, owner-only (sealed while locked); forget removes these."""
        if self.path is None:
            return None
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.parent / BACKUPS / f"{self.path.stem}-{stamp}-before-{before}.sqlite3"
        try:
            vault.write_private(target, image_of(self._db, self.path.parent), folder=self.path.parent)
        except OSError as error:
            raise JournalError(f"{target}: cannot back up the journal before upgrading it ({error.strerror});"
                               " it was left as it was") from None
        return target

    def _make_private(self):
        """SQLite copies the database's mode to -wal and -shm; chmod anyway, in case it was loose."""
        if self.path is None or self._sealed:
            return
        for suffix in ("", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                os.chmod(f"{self.path}{suffix}", 0o600)

    def _lock_path(self, session_id) -> Path:
        return self._lock_dir / f"{session_id}.lock"

    def _lock(self, session_id):
        self._locks[session_id] = None
        if fcntl is not None and self._lock_dir is not None:
            fd = _take_lock(self._lock_path(session_id))
            if fd is None:
                del self._locks[session_id]
                raise JournalError(f"session {session_id} is locked by another process")
            self._locks[session_id] = fd

    def _unlock(self, session_id):
        fd = self._locks.pop(session_id, None)
        if fd is not None:
            _drop_lock(self._lock_path(session_id), fd)

    def _close_stale_sessions(self):
        """A session whose process died (kill, power loss) ends as interrupted at its last activity."""
        if self._lock_dir is None:
            return
        running = self._db.execute("SELECT id, pid FROM sessions WHERE outcome = 'running'").fetchall()
        for session_id, pid in running:
            if fcntl is None:
                if pid != os.getpid() and not _pid_alive(pid):
                    self._interrupt_at_last_activity(session_id)
                continue
            fd = _take_lock(self._lock_path(session_id))
            if fd is None:
                continue  # its process is alive and holds the lock
            try:
                self._interrupt_at_last_activity(session_id)
            finally:
                _drop_lock(self._lock_path(session_id), fd)

    def _interrupt_at_last_activity(self, session_id):
        with self._transaction() as db:
            db.execute(
                "UPDATE sessions SET outcome = 'interrupted', ended_at = (SELECT MAX(at) FROM ("
                " SELECT started_at AS at FROM sessions WHERE id = :id"
                " UNION ALL SELECT at FROM steps WHERE session_id = :id"
                " UNION ALL SELECT at FROM ratings WHERE session_id = :id))"
                " WHERE id = :id AND outcome = 'running'",
                {"id": session_id},
            )
