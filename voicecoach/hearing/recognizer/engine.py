"""What any offline cue engine gives: the decision on one utterance, behind one small interface, so a
second engine can sit beside PocketSphinx (pocketsphinx_engine) and the enrolled-voice check
(voicecoach.profile.enrolled) without the callers changing."""

from __future__ import annotations

import dataclasses
from typing import Protocol

from voicecoach.hearing.recognizer.audio import RATE


@dataclasses.dataclass(frozen=True)
class Decision:
    """What one utterance meant in a context."""

    cue: str | int | None  # canonical cue name, a rating number, or None (nothing / not a cue)
    text: str  # the words recognised ("" if nothing; garbage shown as "<other>")
    confidence: float | None  # None: PocketSphinx's scores do not separate cues from other words
    unsure: bool  # confirm before acting on it


class CueEngine(Protocol):
    """One offline engine: decides what a 16 kHz mono 16-bit utterance meant in a context."""

    def decide(self, pcm: bytes, rate: int, context: str) -> Decision: ...


def whole_utterance(engine, pcm: bytes, rate: int, context: str, channels: int = 1, **options) -> Decision:
    """`decide` for any engine: a 16-bit utterance (any rate; `channels` interleaved) brought to 16 kHz
    mono, then begun, fed and ended as live; `options` go to its `begin` (Whisper's prompt)."""
    if rate != RATE or channels != 1:
        from voicecoach.hearing.recognizer.audio import to_mono_16k

        pcm = to_mono_16k(pcm, rate, channels).tobytes()
    engine.begin(context, **options)
    engine.feed(pcm)
    return engine.end()
