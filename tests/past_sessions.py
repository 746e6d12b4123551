"""Writes sessions into a journal as if they had happened at given local times, for history and stats tests."""

from datetime import datetime, timedelta, timezone

HASH = "ab" * 32


def record(journal, exercise_id, when: datetime, outcome="completed", done=None, total=5, ratings=(),
           minutes=10, solo=False) -> str:
    """when is a naive local time; ratings are (key, slot, value) triples given at the last step reached."""
    session_id = journal.begin(exercise_id, exercise_id.replace("-", " ").capitalize(), HASH, total, solo=solo)
    done = total if done is None else done
    for index in range(done):
        journal.step(session_id, index, "say")
    names = {"A": "Sam", "B": "Alex"}
    for key, slot, value in ratings:
        journal.rating(session_id, max(done - 1, 0), key, slot, names[slot], value)
    journal.end(session_id, outcome)
    started = when.astimezone(timezone.utc)
    journal._db.execute(
        "UPDATE sessions SET started_at = ?, ended_at = ? WHERE id = ?",
        (started.isoformat(timespec="milliseconds"),
         (started + timedelta(minutes=minutes)).isoformat(timespec="milliseconds"), session_id))
    return session_id
