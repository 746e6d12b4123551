"""The journal's reads: history, stats, picks and ratings recalled by a session, export records."""

import json
from datetime import datetime, timezone

from voicecoach.errors import UnknownSession
from voicecoach.journal import records


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


class Queries:
    """Journal's read-only part: each query runs on self._db and writes nothing."""

    def recent_picks(self, exercise_id, pool, limit=50) -> list[str]:
        """Items of this exercise's pool (of any exercise's, when exercise_id is None) said in earlier
        sessions, newest first, each once."""
        rows = self._db.execute(
            "SELECT p.item FROM question_picks p JOIN sessions s ON s.id = p.session_id"
            " WHERE (s.exercise_id = ? OR ? IS NULL) AND p.pool = ? ORDER BY s.started_at DESC, s.rowid DESC",
            (exercise_id, exercise_id, pool))
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

    def records_csv(self) -> list[str]:
        """The CSV export's lines, one text a session (its line, its steps', its ratings'), built by SQLite."""
        return [text for (text,) in self._db.execute(records.CSV_SQL)]

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

    def session(self, session_id: str) -> dict:
        """One session's record (id, exercise, title, started_at, outcome), for a confirmation."""
        row = self._db.execute("SELECT id, exercise_id, exercise_title, started_at, outcome FROM sessions"
                               " WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise UnknownSession(f"no session with id {session_id!r}")
        return dict(zip(("id", "exercise_id", "exercise_title", "started_at", "outcome"), row))

    def first_started(self) -> str | None:
        """When the first session in the journal started (None: there is none)."""
        return self._db.execute("SELECT min(started_at) FROM sessions").fetchone()[0]

    def running(self) -> list[str]:
        """Sessions still running in a live process (stale ones were closed when this opened)."""
        return [i for (i,) in self._db.execute("SELECT id FROM sessions WHERE outcome = 'running'")]

    def count_before(self, before: str) -> int:
        """How many sessions started before an ISO time: forgetting none should rewrite nothing."""
        return self._db.execute("SELECT count(*) FROM sessions WHERE started_at < ?",
                                (records.utc(before),)).fetchone()[0]
