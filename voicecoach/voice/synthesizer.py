"""The Synthesizer: text to frames in this user's chosen voice and rate."""

from __future__ import annotations

import difflib

from voicecoach.errors import BadInput
from voicecoach.voice.engine import VoiceInfo, _shared_engine
from voicecoach.voice.frames import AudioUnavailable


class UnknownVoice(BadInput):
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

    def like(self, value: str) -> list[str]:
        """Ids of voices a mistyped one may mean: its name or language starts so, or a name or id
        spelled nearly so."""
        wanted = value.lower().strip()
        language = wanted.rsplit("/", 1)[-1]  # "gmw/en-gb" and "en-gb" both look for en-gb
        first_word = {v.id: (v.name.lower().split() or [""])[0] for v in self.voices()}  # "english (caribbean)"
        tails = {v.id: v.id.lower().rsplit("/", 1)[-1] for v in self.voices()}
        near = set(difflib.get_close_matches(wanted, set(first_word.values()), n=3, cutoff=0.8))
        near |= set(difflib.get_close_matches(language, set(tails.values()), n=3, cutoff=0.8))
        return [v.id for v in self.voices()
                if first_word[v.id] in near or tails[v.id] in near
                or (len(wanted) >= 2 and v.name.lower().startswith(wanted))
                or (len(language) >= 2 and any(lang.lower().startswith(language) for lang in v.languages))]

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
                ids = self.like(value)[:5]
                hint = f"close matches: {', '.join(ids)}" if ids else "'voicecoach voices' lists them"
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
