"""The journal as records to carry: one JSON object a session, with its steps and ratings.

The layout is documented in docs/JOURNAL.md; export writes it and import reads it back.
"""

from datetime import datetime, timezone

# The correlated subqueries read each session's steps and ratings through their primary-key index,
# so they come out in step order without an ORDER BY (which would cost a sort a session).
RECORDS_SQL = """
    SELECT json_object('id', s.id, 'exercise_id', s.exercise_id, 'exercise_title', s.exercise_title,
        'exercise_hash', s.exercise_hash, 'started_at', s.started_at, 'ended_at', s.ended_at,
        'outcome', s.outcome, 'steps_total', s.steps_total, 'steps_done', s.steps_done,
        'solo', json(CASE WHEN s.solo THEN 'true' ELSE 'false' END),
        'steps', (SELECT json_group_array(json_object('index', step_index, 'kind', kind, 'result', result,
                                                      'at', at))
                  FROM steps INDEXED BY sqlite_autoindex_steps_1 WHERE session_id = s.id),
        'ratings', (SELECT json_group_array(json_object('step_index', step_index, 'key', key, 'slot', slot,
                                                        'name', name, 'value', value, 'at', at))
                    FROM ratings INDEXED BY sqlite_autoindex_ratings_1 WHERE session_id = s.id))
    FROM sessions s ORDER BY s.started_at, s.rowid"""


def _csv(column: str) -> str:
    """SQL quoting a text as Python's csv writer does (QUOTE_MINIMAL): only when it holds a comma,
    a quote or a line break. NULL is an empty field."""
    return (f"CASE WHEN {column} GLOB '*[\",\n\r]*' THEN '\"' || replace({column}, '\"', '\"\"') || '\"'"
            f" ELSE ifnull({column}, '') END")


# The CSV layout (transfer.CSV_FIELDS) as text, one session's lines a row: the session line, its
# steps, then its ratings. SQLite writes it (one printf a line), since Python's csv writer takes a
# second at 10,000 sessions. Columns the schema or import fixes (times, outcome, counts, result,
# slot, value) never need quoting; the session id is quoted once a session.
CSV_SQL = f"""
    WITH quoted AS MATERIALIZED (SELECT *, rowid AS number, {_csv('id')} AS qid FROM sessions)
    SELECT printf('session,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,,,,,,,,' || char(10), s.qid, {_csv('s.exercise_id')},
                  {_csv('s.exercise_title')}, {_csv('s.exercise_hash')}, s.started_at, s.ended_at, s.outcome,
                  s.steps_total, s.steps_done, CASE WHEN s.solo THEN 'true' ELSE 'false' END)
      || ifnull((SELECT group_concat(printf('step,%s,,,,,,,,,,%s,%s,%s,,,,,%s' || char(10),
                                            s.qid, step_index, {_csv('kind')}, result, at), '')
                 FROM steps INDEXED BY sqlite_autoindex_steps_1 WHERE session_id = s.id), '')
      || ifnull((SELECT group_concat(printf('rating,%s,,,,,,,,,,%s,,,%s,%s,%s,%s,%s' || char(10),
                                            s.qid, step_index, {_csv('key')}, slot, {_csv('name')}, value, at), '')
                 FROM ratings INDEXED BY sqlite_autoindex_ratings_1 WHERE session_id = s.id), '')
    FROM quoted s ORDER BY s.started_at, s.number"""
RECORD_FIELDS = ("id", "exercise_id", "exercise_title", "exercise_hash", "started_at", "ended_at",
                 "outcome", "steps_total", "steps_done", "solo")


def utc(text) -> str:
    """Any ISO 8601 time with an offset, as the journal writes times: UTC with milliseconds."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a time")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    try:
        return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    except OverflowError:  # year 1 east of UTC, or 9999 west of it
        raise ValueError(f"{text!r} is outside the years a journal keeps") from None


def checked_session(session: dict) -> dict:
    """A session record as a row; one still 'running' elsewhere arrives as interrupted."""
    row = {field: session[field] for field in RECORD_FIELDS}
    if not isinstance(row["id"], str) or len(row["id"]) < 4:
        raise ValueError(f"id {row['id']!r} is not a session id")
    row["started_at"] = utc(row["started_at"])
    row["ended_at"] = None if row["ended_at"] is None else utc(row["ended_at"])
    if not isinstance(row["solo"], bool):
        raise ValueError(f"solo must be true or false, not {row['solo']!r}")
    row["solo"] = int(row["solo"])
    if row["outcome"] == "running":
        row["outcome"], row["ended_at"] = "interrupted", row["ended_at"] or row["started_at"]
    for field in ("exercise_id", "exercise_title", "exercise_hash"):
        if not isinstance(row[field], str):
            raise ValueError(f"{field} must be text")
    for field in ("steps_total", "steps_done"):
        if not isinstance(row[field], int) or isinstance(row[field], bool):
            raise ValueError(f"{field} must be a whole number")
    return row


def insert_record(db, session: dict) -> bool:
    """Insert one exported session with its steps and ratings; False if its id is already here."""
    row = checked_session(session)
    if db.execute("SELECT 1 FROM sessions WHERE id = ?", (row["id"],)).fetchone():
        return False
    declined = row["outcome"] == "declined"
    if declined:  # as Journal.end keeps it: the outcome alone, nothing that could show who declined
        row["steps_done"] = 0
    db.execute(f"INSERT INTO sessions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
               tuple(row.values()))
    if declined:
        return True
    for step in session.get("steps") or []:
        db.execute("INSERT INTO steps (session_id, step_index, kind, result, at) VALUES (?, ?, ?, ?, ?)",
                   (row["id"], step["index"], step["kind"], step["result"], utc(step["at"])))
    for rating in session.get("ratings") or []:
        db.execute("INSERT INTO ratings (session_id, step_index, key, slot, name, value, at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (row["id"], rating["step_index"], rating["key"], rating["slot"], rating["name"],
                    rating["value"], utc(rating["at"])))
    return True
