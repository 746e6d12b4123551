"""A damaged journal (truncated, a page overwritten): found by SQLite's own check when it is opened,
never written to again, and what can still be read of it copied out for an export."""

import sqlite3
from contextlib import suppress
from pathlib import Path

from voicecoach.errors import JournalDamaged

# The tables an export reads, each with an index that holds its rowids: a second way to its rows
# when a page of the table itself is lost.
TABLES = {"sessions": "sessions_started_at", "steps": "sqlite_autoindex_steps_1",
          "ratings": "sqlite_autoindex_ratings_1"}
CORRUPT = 11  # SQLITE_CORRUPT; a file that is no database at all is SQLITE_NOTADB (26)


def is_damage(error: sqlite3.DatabaseError) -> bool:
    """Whether SQLite says a database's pages are damaged, rather than that it is not one."""
    code = getattr(error, "sqlite_errorcode", None)
    return code == CORRUPT if code is not None else "malformed" in str(error)


def check(db, path, whole=False) -> None:
    """quick_check at every open (milliseconds for years of sessions) finds a truncated file and most
    damaged pages; integrity_check, which also compares each index with its table, when whole."""
    try:
        found = db.execute(f"PRAGMA {'integrity_check' if whole else 'quick_check'}(1)").fetchone()[0]
    except sqlite3.DatabaseError as error:
        found = str(error)
    if found != "ok":
        raise damaged(path, found)


def damaged(path, problem: str) -> JournalDamaged:
    """One line: what SQLite found, that nothing is written, and the way out (export, a backup)."""
    from voicecoach.journal.schema import BACKUPS

    problem = " ".join(problem.replace("*** in database main ***", "").split())
    way_out = ("'voicecoach export --output sessions.json' saves what can still be read; then move the file "
               "aside (voicecoach starts a new one) and 'voicecoach import sessions.json'")
    backups = sorted((Path(path).parent / BACKUPS).glob("*.sqlite3")) if path is not None else []
    if backups:
        way_out += f"; an older whole copy is {backups[-1]}"
    return JournalDamaged(f"{path or 'the journal'} is damaged ({problem}); voicecoach will not write to it. "
                          f"{way_out}")


def readable_copy(source, copy) -> None:
    """Copy what can still be read of the damaged database source into the journal copy (a new one,
    in memory). The source is only read."""
    copy.execute("PRAGMA foreign_keys = OFF")
    for table, index in TABLES.items():
        rows = _readable_rows(source, table, index)
        known = {name for (_, name, *_) in copy.execute(f"PRAGMA table_info({table})")}
        for names, values in rows.values():
            common = [i for i, name in enumerate(names) if name in known]
            copy.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(names[i] for i in common)})"
                         f" VALUES ({', '.join('?' * len(common))})", [values[i] for i in common])
    for table in ("steps", "ratings"):  # a step whose session was lost cannot be carried alone
        copy.execute(f"DELETE FROM {table} WHERE session_id NOT IN (SELECT id FROM sessions)")
    copy.execute("PRAGMA foreign_keys = ON")


def _readable_rows(db, table: str, index: str) -> dict:
    """{rowid: (column names, values)}: a scan from each end up to the damage, then each rowid the
    index knows that neither scan reached, one by one."""
    rows = {}

    def take(sql, args=()):
        with suppress(sqlite3.DatabaseError):
            cursor = db.execute(sql, args)
            names = [column[0] for column in cursor.description][1:]
            for rowid, *values in cursor:
                rows.setdefault(rowid, (names, values))

    take(f"SELECT rowid, * FROM {table}")
    take(f"SELECT rowid, * FROM {table} ORDER BY rowid DESC")
    listed = []
    with suppress(sqlite3.DatabaseError):
        for (rowid,) in db.execute(f"SELECT rowid FROM {table} INDEXED BY {index}"):
            listed.append(rowid)
    for rowid in listed:
        if rowid not in rows:
            take(f"SELECT rowid, * FROM {table} WHERE rowid = ?", (rowid,))
    return rows
