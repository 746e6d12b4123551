"""What the engine answers with: the actions a runner performs, the states, and the view of the moment."""

import enum
from dataclasses import dataclass

from voicecoach.cues import Cue, Heard


class Outcome(enum.Enum):
    COMPLETED = "completed"
    STOPPED = "stopped"
    DECLINED = "declined"
    INTERRUPTED = "interrupted"


class State(enum.Enum):
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    CONFIRMING_STOP = "confirming stop"
    FINISHED = "finished"


# ---- actions: what the runner is asked to do --------------------------------------------

@dataclass(frozen=True)
class Speak:
    """Say `speech` aloud (names as they should sound) and show `text` (names as written)."""

    text: str
    speech: str
    id: int


@dataclass(frozen=True)
class PlayChime:
    sound: str
    id: int


@dataclass(frozen=True)
class Hush:
    """Silence whatever is playing, at once."""


@dataclass(frozen=True)
class Listen:
    """From now, these cues make sense; `deadline` is when the wait ends on its own (or None);
    `moment` is what the session waits for (Session.moment), so a playlist plays a clip only where one is meant."""

    accepted: frozenset
    deadline: float | None
    moment: str = ""


@dataclass(frozen=True)
class AdjustVoice:
    change: Cue  # SLOWER, FASTER, LOUDER or QUIETER


@dataclass(frozen=True)
class StepDone:
    index: int
    kind: str
    skipped: bool = False


@dataclass(frozen=True)
class RecordRating:
    index: int
    key: str
    slot: str
    name: str
    value: int | None  # None: asked, not answered


@dataclass(frozen=True)
class RecordPick:
    """These items of a pool were said in this session: the next sessions should choose others."""

    pool: str
    items: tuple


@dataclass(frozen=True)
class Finish:
    outcome: Outcome


@dataclass
class View:
    """What the terminal view shows of the moment."""

    step_number: int
    step_count: int
    kind: str
    speaker: str | None
    text: str
    state: State
    deadline: float | None
    offered: frozenset  # the cues whose keys and words the screen shows now
    last_heard: Heard | None
    speaking: bool = False
    aside: str = ""  # a second line: during a turn the listener's, below the speaker's prompt
