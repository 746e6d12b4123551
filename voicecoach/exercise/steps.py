"""What an exercise is: its steps, its pools of lines, and the Exercise that holds them."""

from dataclasses import dataclass, field

PARTNERS = ("A", "B")
ENDINGS = ("end", "decline")  # jump targets that close the exercise: gently, or as declined
CHIMES = ("bell", "turn", "start")  # the sounds shipped in voicecoach/audio
RESUME_TIME = "resume-time"  # filled by the session with a time to come back, from the wall clock


@dataclass(frozen=True, kw_only=True)
class Step:
    """A step of an exercise; `line` points back into its file, `label` names it for jumps."""

    line: int = 0
    label: str | None = None

    @property
    def kind(self) -> str:
        return type(self).__name__.lower()


@dataclass(frozen=True, kw_only=True)
class Say(Step):
    text: str


@dataclass(frozen=True, kw_only=True)
class Pause(Step):
    """A quiet wait; "next" ends it early."""

    seconds: float
    text: str | None = None


@dataclass(frozen=True, kw_only=True)
class Breathe(Step):
    inhale: float
    hold: float = 0
    exhale: float
    hold_after: float = 0
    rounds: int = 1
    text: str | None = None


@dataclass(frozen=True, kw_only=True)
class Chime(Step):
    sound: str = "bell"


@dataclass(frozen=True, kw_only=True)
class Turn(Step):
    """One partner has the floor until "I'm done" or the limit."""

    speaker: str
    prompt: str
    listener: str | None = None
    limit: float = 120
    time_up: str = "Thank you, {speaker}. Let's bring that to a close."


@dataclass(frozen=True, kw_only=True)
class Rate(Step):
    ask: str
    key: str
    who: str = "each"
    low: int | None = None
    if_low: str | None = None
    limit: float = 60


@dataclass(frozen=True, kw_only=True)
class Ask(Step):
    """A yes/no question to the couple; either answer may jump."""

    question: str
    if_yes: str | None = None
    if_no: str | None = None
    default: bool | None = None
    limit: float = 60


@dataclass(frozen=True, kw_only=True)
class Consent(Step):
    """Each partner in turn answers privately, by key or a neutral "not today"; any no ends kindly."""

    question: str
    who: str = "each"
    limit: float = 30
    decline: str = ""
    """Said on a no instead of the session's "not today" line, where a setting, not a session, is asked."""


@dataclass(frozen=True, kw_only=True)
class Goto(Step):
    target: str


@dataclass(frozen=True)
class Pool:
    """Lines to choose from: each session picks `pick` of them, so a daily exercise varies."""

    name: str
    items: tuple
    pick: int = 1
    line: int = 0


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    minutes: float
    steps: tuple
    tags: tuple = ()
    description: str = ""
    basis: str = ""
    notes: str = ""
    solo: bool = False
    path: str = "<text>"
    digest: str = ""
    labels: dict = field(default_factory=dict)
    pools: dict = field(default_factory=dict)  # name -> Pool
    id_line: int | None = None  # where the file says its id, for "this id is taken" problems

    def index_of(self, target: str) -> int:
        return self.labels[target]


def partners(step: Step, solo: str | None = None) -> list:
    """Who does this step: each partner in turn, one of them, or the couple together ([None])."""
    who = getattr(step, "speaker", None) or getattr(step, "who", None)
    if who is None:
        return [None]
    if solo:
        return [solo]
    return ["A", "B"] if who == "each" else [who]
