"""Cue words: what a partner can say, type or press, and what each moment accepts."""

import enum
import re
from dataclasses import dataclass, field


class Cue(enum.Enum):
    """Something a partner asked for; ratings carry their number separately."""

    NEXT = "next"
    PAUSE = "pause"
    RESUME = "resume"
    REPEAT = "repeat"
    SKIP = "skip"
    SLOWER = "slower"
    FASTER = "faster"
    LOUDER = "louder"
    QUIETER = "quieter"
    STOP = "stop"
    DONE = "done"
    YES = "yes"
    NO = "no"
    NUMBER = "number"
    OTHER = "other"  # a word, line or key that is no cue: only where every answer counts (consent)


class Source(enum.Enum):
    """How a cue reached us: a spoken stop pauses first, a typed or keyed stop ends at once."""

    VOICE = "voice"
    KEY = "key"
    TEXT = "text"


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

# Typed words and phrases for each cue, as people say them.
SYNONYMS = {
    Cue.NEXT: ("next", "go on", "continue", "ready", "ok", "okay"),
    Cue.PAUSE: ("pause", "wait", "hold on", "p"),
    Cue.RESUME: ("resume", "go on", "carry on", "unpause"),
    Cue.REPEAT: ("repeat", "again", "say that again", "r"),
    Cue.SKIP: ("skip", "s"),
    Cue.SLOWER: ("slower", "slow down", "-"),
    Cue.FASTER: ("faster", "speed up", "+"),
    Cue.LOUDER: ("louder",),
    Cue.QUIETER: ("quieter", "softer"),
    Cue.STOP: ("stop", "quit", "q", "end"),
    Cue.DONE: ("i'm done", "im done", "i am done", "done", "finished", "d"),
    Cue.YES: ("yes", "y", "yeah", "yep", "sure"),
    Cue.NO: ("no", "n", "nope", "not today", "not now"),
}

# Keys of the moment, as the legend shows them: (key label, cue).
KEYS = {
    Cue.NEXT: "space",
    Cue.PAUSE: "p",
    Cue.RESUME: "p",
    Cue.REPEAT: "r",
    Cue.SKIP: "s",
    Cue.SLOWER: "-",
    Cue.FASTER: "+",
    Cue.STOP: "q",
    Cue.DONE: "d",
    Cue.YES: "y",
    Cue.NO: "n",
    Cue.NUMBER: "0-9 t",
}

# Which cues each kind of key press can mean; the first one the moment accepts wins.
_KEY_CUES = {
    " ": (Cue.NEXT,),
    "\r": (Cue.NEXT,),
    "\n": (Cue.NEXT,),
    "p": (Cue.RESUME, Cue.PAUSE),
    "r": (Cue.REPEAT,),
    "s": (Cue.SKIP,),
    "-": (Cue.SLOWER,),
    "+": (Cue.FASTER,),
    "=": (Cue.FASTER,),
    "q": (Cue.STOP,),
    "\x1b": (Cue.STOP,),
    "d": (Cue.DONE,),
    "y": (Cue.YES,),
    "n": (Cue.NO,),
}


@dataclass(frozen=True)
class Heard:
    """One cue as the session receives it; `unsure` when the recogniser asks to be confirmed."""

    cue: Cue
    number: int | None = None
    source: Source = Source.TEXT
    unsure: bool = field(default=False, compare=False)

    def __repr__(self):
        value = self.number if self.cue is Cue.NUMBER else self.cue.value
        return f"Heard({value!r}, {self.source.value}{', unsure' if self.unsure else ''})"

    @property
    def word(self) -> str:
        """The cue as a person would read it on screen."""
        if self.cue is Cue.NUMBER:
            return NUMBER_WORDS[self.number]
        return "I'm done" if self.cue is Cue.DONE else self.cue.value


def _normalise(text: str) -> str:
    text = text.strip().lower().replace("\u2019", "'")
    text = re.sub(r"[.!?,;:\"]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def parse_typed(text: str, accepted: frozenset | set | None = None) -> Heard | None:
    """Read a typed line as a cue, preferring what the moment accepts ("go on" may be next or resume)."""
    words = _normalise(text)
    if not words:
        return None
    if words.isdigit() and 0 <= int(words) <= 10:
        return Heard(Cue.NUMBER, int(words), Source.TEXT)
    if words in NUMBER_WORDS:
        return Heard(Cue.NUMBER, NUMBER_WORDS.index(words), Source.TEXT)
    matches = [cue for cue, phrases in SYNONYMS.items() if words in phrases]
    if not matches:
        return Heard(Cue.OTHER, None, Source.TEXT) if accepted and Cue.OTHER in accepted else None
    if accepted:
        for cue in matches:
            if cue in accepted:
                return Heard(cue, None, Source.TEXT)
    return Heard(matches[0], None, Source.TEXT)


def parse_key(key: str, accepted: frozenset | set) -> Heard | None:
    """Read one key press as the cue it means at this moment, or None."""
    if key.isdigit():
        return Heard(Cue.NUMBER, int(key), Source.KEY) if Cue.NUMBER in accepted else None
    if key.lower() == "t" and Cue.NUMBER in accepted:
        return Heard(Cue.NUMBER, 10, Source.KEY)
    for cue in _KEY_CUES.get(key.lower() if len(key) == 1 and key.isalpha() else key, ()):
        if cue in accepted or cue is Cue.STOP:
            return Heard(cue, None, Source.KEY)
    return Heard(Cue.OTHER, None, Source.KEY) if Cue.OTHER in accepted else None


_ORDER = (Cue.NEXT, Cue.DONE, Cue.NUMBER, Cue.YES, Cue.NO, Cue.PAUSE, Cue.RESUME,
          Cue.REPEAT, Cue.SKIP, Cue.SLOWER, Cue.FASTER, Cue.STOP)  # as legends list them


def legend(accepted: frozenset | set, consent: bool = False) -> list[tuple[str, str]]:
    """(key, meaning) pairs for the keys that work right now, in a stable order; at a consent
    question no is offered as "not today"."""
    meaning = {Cue.NUMBER: "rating (t = ten)", Cue.DONE: "I'm done"}
    if consent:
        meaning[Cue.NO] = "not today"
    return [(KEYS[cue], meaning.get(cue, cue.value)) for cue in _ORDER if cue in accepted]


def typed_words(accepted: frozenset | set, consent: bool = False) -> list[str]:
    """The words that can be typed right now, one for each cue the moment accepts."""
    words = {Cue.NUMBER: "a number from 0 to 10", Cue.DONE: "I'm done"}
    if consent:
        words[Cue.NO] = "not today"
    return [words.get(cue, cue.value) for cue in _ORDER if cue in accepted]
