"""Sound as frames: 22050 Hz mono 16-bit PCM, scaled, resampled and read from WAV files."""

from __future__ import annotations

import sys
import wave
from array import array

from voicecoach.errors import VoicecoachError

SAMPLE_RATE = 22050
CHUNK_FRAMES = 441  # 20 ms: hush and volume act within one chunk


class AudioUnavailable(VoicecoachError):
    """Speech or sound output cannot work here; the session goes on in text."""


def _to_samples(frames: bytes) -> array:
    samples = array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _to_frames(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def scale(frames: bytes, volume: float) -> bytes:
    """Apply the listener's volume without numpy; volume is clamped to 0..1 so nothing clips."""
    if volume >= 1.0:
        return frames
    volume = max(0.0, volume)
    return _to_frames(array("h", (int(s * volume) for s in _to_samples(frames))))


def resample(frames: bytes, rate: int) -> bytes:
    """Fallback for engines that do not render at SAMPLE_RATE (espeak does): linear interpolation."""
    if rate == SAMPLE_RATE:
        return frames
    src = _to_samples(frames)
    if not src:
        return b""
    step = rate / SAMPLE_RATE
    out = array("h")
    for i in range(int(len(src) / step)):
        x = i * step
        j = int(x)
        a = src[j]
        b = src[j + 1] if j + 1 < len(src) else a
        out.append(int(round(a + (b - a) * (x - j))))
    return _to_frames(out)


def read_wav(source) -> bytes:
    """Read mono 16-bit WAV frames at SAMPLE_RATE, whatever rate the file has."""
    with wave.open(source, "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise AudioUnavailable(
                f"unsupported audio: {w.getnchannels()} channels, {8 * w.getsampwidth()}-bit"
            )
        return resample(w.readframes(w.getnframes()), w.getframerate())
