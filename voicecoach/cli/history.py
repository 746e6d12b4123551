"""Past sessions as a couple reads them: a session cut short still counts, a declined one says only that."""

from datetime import datetime


def as_shown(session: dict) -> dict:
    """What may be shown of a session: a declined one keeps no ratings and no steps, so no one is named."""
    if session["outcome"] != "declined":
        return session
    return {**session, "steps_done": 0, "ratings": []}


def how_it_ended(session: dict) -> str:
    """In words: 'stopped, got through 5 of 9 steps' rather than a bare failure."""
    outcome = session["outcome"]
    if outcome == "running":
        return "still running"
    if outcome in ("stopped", "interrupted") and session.get("steps_total"):
        done = session["steps_done"]
        if done == 0:
            return f"{outcome} at the start"
        return f"{outcome}, got through {done} of {session['steps_total']} steps"
    return outcome


SHORT_ID = 6  # 16 million beginnings: two sessions share one only by rare chance, and then it asks for more


def short_id(session_id: str) -> str:
    """The first characters of a session's id: enough to name it to 'forget --session'."""
    return session_id[:SHORT_ID]


def described(session: dict) -> str:
    """'Daily check-in on 2026-12-07 at 20:14 (3f2a9c1b)': a session as the one to be forgotten."""
    when = datetime.fromisoformat(session["started_at"]).astimezone()
    return f"{session['exercise_title']} on {when:%Y-%m-%d} at {when:%H:%M} ({short_id(session['id'])})"


def ratings_line(ratings: list[dict]) -> str:
    """'connection: Sam 7, Alex -' (a dash where a partner let the question pass)."""
    keys = {}
    for r in ratings:
        keys.setdefault(r["key"], []).append(f"{r['name']} {'-' if r['value'] is None else r['value']}")
    return "; ".join(f"{key}: {', '.join(answers)}" for key, answers in keys.items())


def table(sessions: list[dict]):
    """When, what, how long, how it ended, and the ratings (none for a declined session): a rich Table."""
    from rich.table import Table

    result = Table(box=None, pad_edge=False, caption_justify="left")
    result.add_column("id", no_wrap=True)  # what 'forget --session' takes
    result.add_column("when", no_wrap=True)
    longest = max((len(row["exercise_id"]) for row in sessions), default=0)
    result.add_column("exercise", no_wrap=True, min_width=longest)  # ids are typed back: never cut short
    result.add_column("min", justify="right")
    result.add_column("how it went", overflow="fold")
    result.add_column("ratings", overflow="fold")
    for row in map(as_shown, sessions):
        when = datetime.fromisoformat(row["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
        minutes = "" if row["minutes"] is None or row["outcome"] == "declined" else f"{row['minutes']:.0f}"
        result.add_row(short_id(row.get("id", "")), when, row["exercise_id"], minutes, how_it_ended(row),
                       ratings_line(row["ratings"]))
    if any(row["outcome"] in ("stopped", "interrupted") and row["steps_done"] for row in sessions):
        result.caption = "Every step you got through is practice, even when a session ends early."
    return result
