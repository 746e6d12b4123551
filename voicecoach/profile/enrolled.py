"""The recogniser, checked against the couple's own enrolled voices.

`WithProfile` wraps a cue engine (Whisper or PocketSphinx: same `decide` / `begin` / `feed` / `end`) and adds
one step after each decision: the utterance's MFCCs are matched (DTW) against both partners'
takes, and the grammar's answer is confirmed, corrected or doubted:

- closed moments (rating, answer): a near match gives its word, sure when very near or when the
  grammar agrees; no near match keeps the grammar's choice, to be confirmed;
- open moments (navigation, turn): a grammar cue that the templates agree with becomes sure; a
  very near match to another word the couple enrolled (a number while navigating) is not a cue;
  an utterance the grammar rejected but that is very near one of the couple's takes is that cue.
  That is how a word of their own (`enroll --word next --as weiter`) is heard: the grammar does
  not know it, the templates do. A spoken "stop" from the grammar is never overruled.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from voicecoach.hearing.recognizer import CUE_PHRASES, OPEN_CONTEXTS, Decision
from voicecoach.hearing.recognizer.engine import whole_utterance
from voicecoach.profile import features
from voicecoach.profile.templates import Matcher, verdict


@dataclasses.dataclass
class Heard:
    """The last utterance as the profile saw it: what a session may learn from once confirmed."""

    cepstra: np.ndarray
    partner: str | None  # whose takes it came nearest to (None: no near match)
    word: str | None
    means: str | None


class WithProfile:
    """A cue engine whose answers are checked against a voice profile."""

    def __init__(self, recognizer, profile):
        self.recognizer = recognizer
        self.profile = profile
        self.matcher = Matcher(profile.takes)
        self.last: Heard | None = None
        self.check_ms = 0.0  # time of the last post-decision step
        self._context = None
        self._pcm: list[bytes] = []

    @property
    def prompt(self):
        return self.recognizer.prompt

    @prompt.setter
    def prompt(self, line):  # the line just spoken, for an engine that listens better knowing it
        self.recognizer.prompt = line

    def refresh(self) -> None:
        """Match against the profile as it is now (after a take was learned)."""
        self.matcher = Matcher(self.profile.takes)

    def __getattr__(self, name):  # name, load_seconds, cancel, prompt: the wrapped engine's
        return getattr(self.recognizer, name)

    def decide(self, pcm: bytes, rate: int, context: str, channels: int = 1, **options) -> Decision:
        """The same whole-utterance call as the engine's, over the begin / feed / end below."""
        return whole_utterance(self, pcm, rate, context, channels, **options)

    def begin(self, context: str, **options) -> None:  # options: the engine's, e.g. Whisper's prompt
        self.recognizer.begin(context, **options)
        self._context = context
        self._pcm = []

    def feed(self, pcm16k: bytes) -> None:
        self._pcm.append(pcm16k)
        self.recognizer.feed(pcm16k)

    def end(self) -> Decision:
        decision = self.recognizer.end()
        t0 = time.perf_counter()
        samples = np.frombuffer(b"".join(self._pcm), dtype="<i2")
        checked = self.check(decision, features.cepstra(samples), self._context)
        self.check_ms = (time.perf_counter() - t0) * 1000
        return checked

    def check(self, decision: Decision, cepstra: np.ndarray, context: str) -> Decision:
        """The grammar's decision, confirmed, corrected or doubted by the templates."""
        phrases = CUE_PHRASES[context]
        matches = self.matcher.match(cepstra)
        here = [m for m in matches if m.means in phrases]
        best, trust = verdict(here)
        self.last = Heard(cepstra, best.partner if trust != "none" else None,
                          best.word if trust != "none" else None, best.means if trust != "none" else None)
        cue = phrases[best.means] if best is not None else None
        elsewhere, how_near = verdict(matches)
        other_word = elsewhere if how_near == "tight" and elsewhere.means not in phrases else None
        if context in OPEN_CONTEXTS:
            return _open(decision, best, trust, cue, other_word)
        return _closed(decision, best, trust, cue, other_word)


def _closed(decision, best, trust, cue, other_word) -> Decision:
    """Rating or answer: the templates' word when near; the grammar's, asked back, when not."""
    if trust == "tight" and other_word is None:
        return Decision(cue, best.word, None, False)
    if trust == "loose":
        return Decision(cue, best.word, None, cue != decision.cue or other_word is not None)
    return dataclasses.replace(decision, unsure=True) if decision.cue is not None else decision


def _open(decision, best, trust, cue, other_word) -> Decision:
    """Navigation or a turn: agreement makes a cue sure, another known word is no cue, and a very
    near take gives a cue the grammar missed (or never knew). A spoken stop is kept whatever."""
    if decision.cue == "stop":
        return dataclasses.replace(decision, unsure=False) if trust != "none" and cue == "stop" else decision
    if other_word is not None:
        return Decision(None, other_word.word, None, False)
    if decision.cue is not None:
        if trust != "none" and cue == decision.cue:
            return dataclasses.replace(decision, unsure=False)
        if trust == "tight":
            return Decision(cue, best.word, None, True)
        return decision
    if trust == "tight":
        return Decision(cue, best.word, None, False)
    return decision


# With a profile the templates settle the close calls, so the grammar is decoded as the audio comes
# (a running cepstral mean) rather than once the word has ended: a decision then takes ~25 ms of CPU
# instead of ~70 ms, and enrolled ratings stay as right (scripts/bench_cues.py --enrolled).
PROFILE_TUNING = {"whole_utterance": False, "options": ()}


def _stored(use: bool):
    """(profile, note): the stored profile when there is one to use, and a line when it cannot be."""
    if not use:
        return None, None
    from voicecoach import profile
    from voicecoach.errors import VoicecoachError

    try:
        stored = profile.load()
    except VoicecoachError as error:  # a newer or damaged profile, or a locked journal's key missing
        return None, f"Not using the voice profile: {error}"
    if stored is None or not stored.takes:
        return None, None
    return stored, None


def couple_recognizer(use: bool = True, engine: str | None = None):
    """The recogniser for sessions and `hear`: the configured engine (Whisper when installed), checked
    against the couple's profile when they enrolled; `engine` overrides the config's choice.

    Returns (recogniser, note): note is a line (or two) to show when the profile or the engine wanted
    cannot be used."""
    from voicecoach import config
    from voicecoach.hearing.recognizer import Tuning, make_engine

    stored, note = _stored(use)
    settings = config.load()
    chosen, why = make_engine(engine or settings.speech_engine or None, settings.speech_model or None,
                              Tuning(**PROFILE_TUNING) if stored is not None else None)
    note = "\n".join(line for line in (why, note) if line) or None
    if stored is None:
        return chosen, note
    return WithProfile(chosen, stored), note
