"""What the recogniser listens for: the cue phrases per context, and the JSGF grammars built from them.

Each context has one small grammar; in the open ones it also offers a phone-loop "garbage" path and
everyday distractor words, and a result through either means "something that is not a cue"
(see ../shared/notes/recognition.md).
"""

from __future__ import annotations

from collections.abc import Iterable

CONTEXTS = ("navigation", "turn", "rating", "answer")
OPEN_CONTEXTS = frozenset({"navigation", "turn"})

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

# Spoken phrase -> canonical cue, per context. Phrases must be in the bundled CMU dictionary.
CUE_PHRASES: dict[str, dict[str, str | int]] = {
    "navigation": {
        "next": "next", "go": "next", "go on": "next", "forward": "next", "continue": "next",
        "pause": "pause", "resume": "resume", "repeat": "repeat", "skip": "skip",
        "slower": "slower", "faster": "faster", "louder": "louder", "quieter": "quieter",
        "stop": "stop",
    },
    "turn": {"i'm done": "done", "i am done": "done", "i'm finished": "done", "i am finished": "done",
             "stop": "stop", "pause": "pause"},
    "rating": {**{word: number for number, word in enumerate(NUMBER_WORDS)}, "stop": "stop"},
    "answer": {"yes": "yes", "no": "no", "stop": "stop"},
}
# "stop" is heard at every moment that listens (DESIGN.md): in the closed contexts it is a phrase of the
# grammar too, but counts only when the open decode gives it, never as the forced choice of a rejected word.
STOP = "stop"

# Words that this model confuses with common non-cue words: a hit on one is always "unsure".
CONFUSABLE = frozenset({"three", "six", "no", "go"})

# The 39 context-independent phones of the en-us model: the garbage alternative loops over them.
PHONES = ["AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH"]
GARBAGE_PREFIX = "ph_"

# In-vocabulary distractors for the open contexts: words a couple says around cues (numbers from
# ratings, answers, everyday words). A result through one of them is a rejection, like garbage.
# Chosen from everyday speech, not from the benchmark's non-cue list.
DISTRACTORS = tuple(dict.fromkeys(
    NUMBER_WORDS + ("yes", "no", "yeah", "okay", "so", "but", "and", "the", "a", "it", "it's", "is", "was",
                    "that", "this", "what", "why", "how", "well", "oh", "hmm", "really", "just", "not", "don't",
                    "know", "think", "feel", "felt", "want", "need", "said", "say", "see", "mean", "over", "lying",
                    "to", "me", "you", "we", "us", "love", "sorry", "thanks", "time", "now", "then", "again",
                    "here", "there", "home", "work", "day", "good", "fine", "right", "sure", "maybe", "pretending")))


def _grammar(name: str, phrases: Iterable[str], garbage_weight: float | None,
             distractors: Iterable[str] = ()) -> str:
    alts = " | ".join(sorted(phrases))
    if garbage_weight is None:
        rule = f"public <cue> = {alts};"
    else:
        loop = " | ".join(GARBAGE_PREFIX + p.lower() for p in PHONES)
        others = [w for w in distractors if w not in phrases]
        other = f" | /{garbage_weight:g}/ <other>" if others else ""
        rule = f"public <cue> = /1/ ({alts}) | /{garbage_weight:g}/ <garbage>{other};\n<garbage> = ({loop})+;"
        if others:
            rule += "\n<other> = (" + " | ".join(others) + ")+;"
    return f"#JSGF V1.0;\ngrammar {name};\n{rule}\n"


def _show(words: list[str]) -> str:
    out: list[str] = []
    for w in words:
        w = "<other>" if w.startswith(GARBAGE_PREFIX) else w  # distractor words are shown as heard
        if not (out and out[-1] == w == "<other>"):
            out.append(w)
    return " ".join(out)
