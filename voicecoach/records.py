"""The journal as records to carry: one JSON object a session, with its steps and ratings.

The layout is documented in docs/JOURNAL.md; export writes it and import reads it back.
"""

from datetime import datetime, timezone

RECORDS_SQL = """
    SELECT json_object('id', s.id, 'exercise_id', s.exercise_id, 'exercise_title', s.exercise_title,
        'exercise_hash', s.exercise_hash, 'started_at', s.started_at, 'ended_at', s.ended_at,
        'outcome', s.outcome, 'steps_total', s.steps_total, 'steps_done', s.steps_done,
        'solo', json(CASE WHEN s.solo THEN 'true' ELSE 'false' END),
        'steps', (SELECT json_group_array(json_object('index', step_index, 'kind', kind, 'result', result,
                                                      'at', at))
                  FROM (SELECT * FROM steps WHERE session_id = s.id ORDER BY step_index)),
        'ratings', (SELECT json_group_array(json_object('step_index', step_index, 'key', key, 'slot', slot,
                                                        'name', name, 'value', value, 'at', at))
                    FROM (SELECT * FROM ratings WHERE session_id = s.id ORDER BY step_index, key, slot)))
    FROM sessions s ORDER BY s.started_at, s.rowid"""
RECORD_FIELDS = ("id", "exercise_id", "exercise_title", "exercise_hash", "started_at", "ended_at",
                 "outcome", "steps_total", "steps_done", "solo")


def utc(text) -> str:
    """Any ISO 8601 time with an offset, as the journal writes times: UTC with milliseconds."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a time")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


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
    db.execute(f"INSERT INTO sessions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
               tuple(row.values()))
    for step in session.get("steps") or []:
        db.execute("INSERT INTO steps (session_id, step_index, kind, result, at) VALUES (?, ?, ?, ?, ?)",
                   (row["id"], step["index"], step["kind"], step["result"], utc(step["at"])))
    for rating in session.get("ratings") or []:
        db.execute("INSERT INTO ratings (session_id, step_index, key, slot, name, value, at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (row["id"], rating["step_index"], rating["key"], rating["slot"], rating["name"],
                    rating["value"], utc(rating["at"])))
    return True
