"""The journal's tables, and how an older journal file is checked, backed up and upgraded to them."""

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from voicecoach import vault
from voicecoach.errors import JournalError
from voicecoach.journal import damage
from voicecoach.vault.sealed import image_of

BACKUPS = "backups"  # copies made before a migration, sealed too while locked

MIGRATIONS = []


def migration(fn):
    """Register fn; its name is recorded once it ran, so never rename one that shipped."""
    MIGRATIONS.append(fn)
    return fn


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Upgrades:
    """Journal's part that reads a file's recorded migrations and runs the ones it lacks."""

    def _refuse_foreign_file(self):
        """Read before writing anything: a file that is not ours, or is newer, stays untouched."""
        try:
            tables = {name for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.OperationalError as error:
            raise JournalError(f"{self.path}: cannot read the journal ({error})") from None
        except sqlite3.DatabaseError as error:
            if damage.is_damage(error):
                raise damage.damaged(self.path, str(error)) from None
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


# The migrations, in the order they run: a new one goes at the end of this file.
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

