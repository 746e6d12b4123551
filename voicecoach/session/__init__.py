"""The session engine: a state machine that turns an exercise and what happens into actions.

It never speaks, listens, sleeps or writes. A runner tells it what happened (a cue was heard,
a sound finished, the clock reached a deadline) with the time on a monotonic clock, and
performs the actions it answers with. Each step runs as a small generator that yields what it
waits for; pause, repeat, skip and stop are handled here, around the steps.

May import: exercise, cues, errors, and pure standard modules; nothing that does I/O.
"""

from voicecoach.session.actions import (
    AdjustVoice,
    Finish,
    Hush,
    Listen,
    Outcome,
    PlayChime,
    RecordPick,
    RecordRating,
    Speak,
    State,
    StepDone,
    View,
)
from voicecoach.session.engine import (
    CONFIRM_STOP_LINE,
    DECLINE_LINE,
    MAX_VISITS_PER_STEP,
    NAVIGATION,
    STILL_PAUSED_LINE,
    STOP_SILENCE_SECONDS,
    Session,
)
from voicecoach.session.picks import choose_picks, typical_picks
from voicecoach.session.steps import CONFIRM_SECONDS, CONFIRM_TURN_END_LINE, CONFIRM_TURN_END_SECONDS, UNCONFIRMED_LINE
from voicecoach.session.therapist import (
    FAR_APART,
    HELPLINES_LINE,
    THERAPIST_LINE,
    THERAPIST_POOL,
    TROUBLED_SESSIONS,
    troubled,
)
from voicecoach.session.timing import estimate_seconds, plan_seconds

__all__ = [
    "AdjustVoice", "Finish", "Hush", "Listen", "Outcome", "PlayChime", "RecordPick", "RecordRating", "Speak",
    "State", "StepDone", "View",
    "CONFIRM_STOP_LINE", "DECLINE_LINE", "MAX_VISITS_PER_STEP", "NAVIGATION", "STILL_PAUSED_LINE",
    "STOP_SILENCE_SECONDS", "Session",
    "choose_picks", "typical_picks",
    "CONFIRM_SECONDS", "CONFIRM_TURN_END_LINE", "CONFIRM_TURN_END_SECONDS", "UNCONFIRMED_LINE",
    "FAR_APART", "HELPLINES_LINE", "THERAPIST_LINE", "THERAPIST_POOL", "TROUBLED_SESSIONS", "troubled",
    "estimate_seconds", "plan_seconds",
]
