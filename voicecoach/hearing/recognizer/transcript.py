"""From a free transcript to a cue: Whisper writes what it heard, and only a whole utterance that is
exactly one cue phrase of the moment counts, so "I'm done pretending it did not hurt" is no "I'm done".

Whisper's habits are undone first: capitals and punctuation, numbers as digits ("7"), a word or
sentence repeated when the window is longer than the speech ("Seven. Seven."), and in yes/no answers
"now" for "no". Nothing is ever turned into "stop", and "stop" is never turned into anything else.
"""

from __future__ import annotations

import re

from voicecoach.hearing.recognizer.vocabulary import CUE_PHRASES, NUMBER_WORDS

# Spellings Whisper gives for a spoken cue word, per context where they are safe to read as the cue.
SAME_SOUND = {
    "answer": {"now": "no", "yeah": "yes", "yep": "yes"},
    "rating": {"for": "four", "to": "two", "too": "two", "won": "one", "nought": "zero", "ate": "eight"},
}

_SENTENCE_END = re.compile(r"[.!?;]+")
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def words(text: str, context: str) -> list[str]:
    """The words of one sentence, as the cue phrases are written: lower case, numbers as words."""
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    out = []
    for word in _NOT_WORD.sub(" ", text).split():
        word = word.strip("'")
        if word.isdigit() and int(word) < len(NUMBER_WORDS):
            word = NUMBER_WORDS[int(word)]
        word = SAME_SOUND.get(context, {}).get(word, word)
        if word and not (out and out[-1] == word):  # "seven seven" is one seven
            out.append(word)
    return _one_repeat(out)


def _one_repeat(seq: list[str]) -> list[str]:
    """A run of words said over and over ("i am not done yet i am not done yet") as said once."""
    n = len(seq)
    for size in range(1, n // 2 + 1):
        if n % size == 0 and seq == seq[:size] * (n // size):
            return seq[:size]
    return seq


def sentences(text: str, context: str, cut: bool = False) -> list[str]:
    """Each sentence as its words joined by a space; `cut` when decoding stopped before the end, so a
    last sentence that was cut off ("Seven. Sev") is left out if another came before it."""
    parts = [" ".join(words(part, context)) for part in _SENTENCE_END.split(text)]
    parts = [part for part in parts if part]
    if cut and len(parts) > 1:
        parts = parts[:-1]
    return parts


def cue_of(text: str, context: str, cut: bool = False) -> tuple[str | int | None, str]:
    """(cue or None, the normalised words): a cue only when every sentence is the same cue phrase."""
    phrases = CUE_PHRASES[context]
    parts = sentences(text, context, cut)
    said = " ".join(_one_repeat(" ".join(parts).split())) if parts else ""
    if not parts:
        return None, ""
    cues = {phrases.get(part, _NONE) for part in parts}
    if len(cues) == 1 and _NONE not in cues:
        return cues.pop(), parts[0]
    whole = phrases.get(said, _NONE)  # "I'm done" with a comma inside, or a phrase split by a full stop
    return (None if whole is _NONE else whole), said


def first_cue(text: str, context: str) -> str | int | None:
    """The cue its first sentence alone would be: whether a longer transcript is worth a second look."""
    parts = sentences(text, context)
    return CUE_PHRASES[context].get(parts[0]) if parts else None


_NONE = object()
