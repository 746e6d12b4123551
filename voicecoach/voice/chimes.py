"""The chimes and bells shipped as WAV files in the package's audio folder."""

from __future__ import annotations

import functools
import importlib.resources

from voicecoach.errors import VoicecoachError
from voicecoach.exercise import CHIMES
from voicecoach.voice.frames import SAMPLE_RATE, read_wav

CHIME_TAIL_SECONDS = 0.3  # a breath after a chime before the voice goes on


@functools.cache
def chime_frames(name: str) -> bytes:
    """One of CHIMES from the package's audio folder, with a breath of silence after it."""
    if name not in CHIMES:
        raise VoicecoachError(f"unknown chime {name!r}; known chimes: {', '.join(CHIMES)}")
    with importlib.resources.files("voicecoach").joinpath("audio", f"{name}.wav").open("rb") as f:
        return read_wav(f) + bytes(2 * int(CHIME_TAIL_SECONDS * SAMPLE_RATE))
