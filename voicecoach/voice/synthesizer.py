"""The Synthesizer: text to frames in this user's chosen voice and rate."""

from __future__ import annotations

import difflib

from voicecoach.errors import VoicecoachError
from voicecoach.voice.engine import VoiceInfo, _shared_engine
from voicecoach.voice.frames import AudioUnavailable


class UnknownVoice(VoicecoachError):
    """The configured voice id is not one the speech engine has."""


class Synthesizer:
    """Text to frames through the process's one speech engine, with this user's voice and rate."""

    def __init__(self, voice_id: str | None = None, rate_wpm: int = 160):
        self.rate_wpm = rate_wpm
        self._engine = _shared_engine()
        self._closed = False
        self._voice_id: str | None = None
        self.voice_id = voice_id

    def voices(self) -> list[VoiceInfo]:
        """The engine's voices, for choosing one in the config."""
        return list(self._engine.voices)

    @property
    def voice_id(self) -> str | None:
        return self._voice_id

    @voice_id.setter
    def voice_id(self, value: str | None) -> None:
        if value is not None:
            by_key = {}
            for vid, name, _, _ in self.voices():
                by_key.setdefault(name.lower(), vid)
                by_key[vid.lower()] = vid
            if value.lower() not in by_key:
                close = difflib.get_close_matches(value.lower(), list(by_key), n=8, cutoff=0.5)
                ids = list(dict.fromkeys(by_key[k] for k in close))[:5]
                hint = f"close matches: {', '.join(ids)}" if ids else "no close match"
                raise UnknownVoice(f"unknown voice {value!r}; {hint}")
            value = by_key[value.lower()]
        self._voice_id = value

    def render(self, text: str) -> bytes:
        """Speech as frames at SAMPLE_RATE; an engine that gives no sound for words is an error."""
        if self._closed:
            raise AudioUnavailable("speech engine closed")
        if not text.strip():
            return b""
        frames = self._engine.render(text, self._voice_id or self._engine.default_voice, self.rate_wpm)
        if not frames.strip(b"\0"):
            raise AudioUnavailable("speech engine gave no sound for a line of text")
        return frames

    def close(self) -> None:
        """The shared engine lives on for the next Synthesizer; this one speaks no more."""
        self._closed = True
