"""Voice-activity detection and cutting a continuous 16 kHz stream into utterances.

webrtcvad when installed, else a plain energy detector; either is imported only when made.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator

from voicecoach.hearing.recognizer.audio import RATE

TRAILING_MS = 200  # silence that ends an utterance: 300 ms in recognition.md; 200 ms lost no hits on the tune half


class _WebrtcVad:
    name = "webrtcvad"

    def __init__(self, mode: int):
        import webrtcvad

        self._vad = webrtcvad.Vad(mode)

    def is_speech(self, frame: bytes) -> bool:
        return self._vad.is_speech(frame, RATE)


class _EnergyVad:
    """Fallback: speech is a frame more than 12 dB over a slowly tracked noise floor."""

    name = "energy"

    def __init__(self, mode: int):
        self._floor = None

    def is_speech(self, frame: bytes) -> bool:
        import numpy as np

        x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        e = 10 * math.log10(float(np.mean(x * x)) + 1.0)
        if self._floor is None:
            self._floor = e
        speech = e > max(self._floor + 12, 30)
        self._floor = min(e, self._floor + (0.05 if speech else 0.5)) if e > self._floor else e
        return speech


def make_vad(mode: int = 3):
    try:
        return _WebrtcVad(mode)
    except ImportError:
        return _EnergyVad(mode)


@dataclasses.dataclass
class Utterance:
    start_ms: int  # where speech began in the stream (first voiced frame)
    end_ms: int  # where the detector saw speech end (end of the last voiced frame)
    pcm: bytes  # 16 kHz mono 16-bit, with pre-roll before start_ms and the trailing silence after end_ms
    decided_at_ms: int  # stream position at which the end was declared (end_ms + trailing silence)


class Endpointer:
    """Cuts a continuous 16 kHz mono 16-bit stream into utterances on 20 ms VAD frames.

    Speech starts after `start_frames` voiced frames in a row and ends after `trailing_ms` of
    unvoiced frames; `preroll_ms` of audio before the start is kept. Utterances with less than
    `min_speech_ms` of voiced frames (clicks) are dropped; speech longer than `max_ms` is cut.
    Feed it with `feed(pcm)`, which yields each utterance as soon as its end is known; call
    `flush()` at the end of the stream.
    """

    FRAME_MS = 20
    FRAME_BYTES = RATE * FRAME_MS // 1000 * 2

    def __init__(self, trailing_ms: int = TRAILING_MS, mode: int = 3, preroll_ms: int = 300, start_frames: int = 3,
                 min_speech_ms: int = 100, max_ms: int = 5000, vad=None, on_start=None, on_frame=None):
        self.vad = vad or make_vad(mode)
        self.trailing = max(1, trailing_ms // self.FRAME_MS)
        self.preroll = max(0, preroll_ms // self.FRAME_MS)
        self.start_frames = start_frames
        self.min_speech = max(1, min_speech_ms // self.FRAME_MS)
        self.max_frames = max_ms // self.FRAME_MS
        self.on_start = on_start  # called with the pre-roll bytes when speech starts
        self.on_frame = on_frame  # called with each frame of an utterance after its start
        self._buf = b""
        self._pos = 0  # frames seen
        self._history: list[tuple[bytes, bool]] = []
        self._in_speech = False
        self._utt: list[bytes] = []
        self._start = 0
        self._last_voiced = 0
        self._voiced_count = 0

    @property
    def vad_name(self) -> str:
        return self.vad.name

    @property
    def in_speech(self) -> bool:
        """An utterance has started and not yet ended."""
        return self._in_speech

    def feed(self, pcm: bytes) -> Iterator[Utterance]:
        self._buf += pcm
        n = len(self._buf) // self.FRAME_BYTES
        for i in range(n):
            frame = self._buf[i * self.FRAME_BYTES:(i + 1) * self.FRAME_BYTES]
            utt = self._frame(frame)
            if utt is not None:
                yield utt
        self._buf = self._buf[n * self.FRAME_BYTES:]

    def flush(self) -> Iterator[Utterance]:
        if self._in_speech:
            utt = self._close(self._pos)
            if utt is not None:
                yield utt

    def _frame(self, frame: bytes) -> Utterance | None:
        voiced = self.vad.is_speech(frame)
        self._pos += 1
        if not self._in_speech:
            self._history.append((frame, voiced))
            keep = self.preroll + self.start_frames
            if len(self._history) > keep:
                del self._history[:-keep]
            recent = self._history[-self.start_frames:]
            if len(recent) == self.start_frames and all(v for _, v in recent):
                self._in_speech = True
                self._start = self._pos - self.start_frames
                self._last_voiced = self._pos
                self._voiced_count = self.start_frames
                self._utt = [f for f, _ in self._history]
                self._history = []
                if self.on_start:
                    self.on_start(b"".join(self._utt))
            return None
        self._utt.append(frame)
        if self.on_frame:
            self.on_frame(frame)
        if voiced:
            self._last_voiced = self._pos
            self._voiced_count += 1
        if self._pos - self._last_voiced >= self.trailing or self._pos - self._start >= self.max_frames:
            return self._close(self._pos)
        return None

    def _close(self, pos: int) -> Utterance | None:
        self._in_speech = False
        pcm = b"".join(self._utt)
        self._utt = []
        if self._voiced_count < self.min_speech:
            return None
        return Utterance(self._start * self.FRAME_MS, self._last_voiced * self.FRAME_MS, pcm, pos * self.FRAME_MS)


def endpoint(pcm: bytes | Iterable[bytes], trailing_ms: int = TRAILING_MS, **kwargs) -> Iterator[tuple[int, int, bytes]]:
    """(start_ms, end_ms, pcm) for each utterance in a 16 kHz mono 16-bit stream (bytes or chunks)."""
    ep = Endpointer(trailing_ms=trailing_ms, **kwargs)
    for chunk in ([pcm] if isinstance(pcm, (bytes, bytearray)) else pcm):
        for u in ep.feed(bytes(chunk)):
            yield u.start_ms, u.end_ms, u.pcm
    for u in ep.flush():
        yield u.start_ms, u.end_ms, u.pcm
