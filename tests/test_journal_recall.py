"""What a session reads from earlier ones: pool items said lately, and the last ratings of a key."""

import pytest

from voicecoach.errors import JournalError
from voicecoach.journal import Journal

HASH = "0" * 64


def session(journal, exercise="daily-check-in", ratings=(), picks=(), solo=False, outcome="completed"):
    session_id = journal.begin(exercise, exercise, HASH, 3, solo=solo)
    for key, slot, value in ratings:
        journal.rating(session_id, 0, key, slot, slot, value)
    for pool, items in picks:
        journal.record_picks(session_id, pool, items)
    if outcome:
        journal.end(session_id, outcome)
    return session_id


def test_recent_picks_are_newest_first_each_once_and_per_exercise():
    with Journal(":memory:") as journal:
        session(journal, picks=[("question", ["a"])])
        session(journal, picks=[("question", ["b", "c"])])
        session(journal, picks=[("question", ["a"]), ("idea", ["x"])])
        session(journal, exercise="other", picks=[("question", ["z"])])
        said = journal.recent_picks("daily-check-in", "question")
        assert said[0] == "a" and sorted(said[1:]) == ["b", "c"]
        assert journal.recent_picks("daily-check-in", "question", limit=1) == ["a"]
        assert journal.recent_picks("daily-check-in", "idea") == ["x"]
        assert journal.recent_picks("other", "question") == ["z"]
        assert journal.recent_picks(None, "question")[0] == "z"  # any exercise's: the therapist's day


def test_picks_belong_to_a_running_session_and_go_with_it():
    with Journal(":memory:") as journal:
        done = session(journal, picks=[("question", ["a"])])
        with pytest.raises(JournalError):
            journal.record_picks(done, "question", ["b"])
        journal._db.execute("DELETE FROM sessions WHERE id = ?", (done,))
        assert journal.recent_picks("daily-check-in", "question") == []


def test_recent_ratings_for_a_key_skip_solo_unanswered_and_running_sessions():
    with Journal(":memory:") as journal:
        session(journal, ratings=[("connection", "A", 2), ("connection", "B", 3)])
        session(journal, ratings=[("connection", "A", 5), ("connection", "B", 9)], exercise="date-night-plan")
        session(journal, ratings=[("connection", "A", 1)], solo=True)
        session(journal, ratings=[("connection", "A", None), ("connection", "B", None)])
        session(journal, ratings=[("calm", "A", 1), ("calm", "B", 1)])
        session(journal, ratings=[("connection", "A", 0), ("connection", "B", 0)], outcome=None)  # running
        assert journal.recent_ratings_for_key("connection") == [{"A": 5, "B": 9}, {"A": 2, "B": 3}]
        assert journal.recent_ratings_for_key("connection", sessions=1) == [{"A": 5, "B": 9}]
        assert journal.recent_ratings_for_key("understood") == []
