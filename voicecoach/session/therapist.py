"""When ratings stay low or far apart across sessions, the end of one suggests a couples therapist,
at most once a week: the journal remembers the day it was said as a pick of a reserved pool. An
exercise's own line naming one (a gentle path's) counts the same, and within the week its sentence
that names one is left out."""

import re
from datetime import date

TROUBLED_SESSIONS = 3  # this session and the two before it
FAR_APART = 4  # partners' ratings this far apart count, like a low one
THERAPIST_LINE = ("Before you go, one more thing. In this session and the ones before it, your ratings have "
                  "been low, or far apart between you. That happens to many couples, and it is nobody's fault. "
                  "This may be a good time to find a couples therapist to help you both; reaching out to one "
                  "is a real step forward.")
THERAPIST_POOL = "_therapist"  # a pool name no exercise can use (they start with a letter or digit)
QUIET_DAYS = 7  # after the suggestion, a week without it
HELPLINES_LINE = " If you ever need them, the places to turn to that you saved are: {helplines}."
THERAPIST_WORD = "therapist"  # a line of an exercise that says it names professional help
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def without_therapist(line: str) -> str:
    """The line less its sentences that name a therapist: said within the week already, once is enough."""
    return " ".join(part for part in _SENTENCES.split(line) if THERAPIST_WORD not in part.lower())


def troubled(values: dict, low: int) -> bool:
    """One session's ratings: someone's is below `low`, or the two are far apart."""
    given = [v for v in values.values() if v is not None]
    return any(v < low for v in given) or (len(given) == 2 and abs(given[0] - given[1]) >= FAR_APART)


def said_lately(days_said, today: date | None) -> bool:
    """The suggestion was made within the last QUIET_DAYS (any day recorded counts when there is no clock)."""
    if today is None:
        return bool(days_said)
    for text in days_said:
        try:
            if (today - date.fromisoformat(text)).days < QUIET_DAYS:  # a day ahead (clock moved back) counts too
                return True
        except ValueError:
            continue
    return False
