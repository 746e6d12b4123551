"""Where spoken audio goes: the sound card, or a sound file paced like one."""

from __future__ import annotations

import os
import time
import wave
from pathlib import Path
from typing import Protocol

from voicecoach.errors import BadInput
from voicecoach.voice.frames import CHUNK_FRAMES, SAMPLE_RATE
from voicecoach.voice.streams import close_stream, open_stream, stream_latency

FIRST_SOUND_ENV = "VOICECOACH_FIRST_SOUND_FILE"  # a file the WAV sink notes its first sound's time in


class Sink(Protocol):
    """Where the player's audio goes: a sound card or a file, both paced in real time."""

    def write(self, frames: bytes) -> None: ...

    def close(self) -> None: ...


class DeviceSink:
    """The sound card."""

    def __init__(self):
        self._pa, self._stream = open_stream("audio output device", rate=SAMPLE_RATE, output=True,
                                             frames_per_buffer=CHUNK_FRAMES)
        self.latency_seconds = stream_latency(self._stream, "output")  # for the echo canceller

    def write(self, frames: bytes) -> None:
        self._stream.write(frames)

    def close(self) -> None:
        close_stream(self._pa, self._stream)


# What a sound file's name asks for, and how soundfile writes it (a WAV is written by the wave module).
FORMATS = {".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"), ".aiff": ("AIFF", "PCM_16"),
           ".aif": ("AIFF", "PCM_16")}


def sound_format(path: Path | str) -> str:
    """The format a file's name asks for (WAV, FLAC, OGG, AIFF; WAV with no ending); BadInput naming
    any other ending (mp3: nothing here can write one)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".wav", ""):  # no ending (or /dev/null): WAV, as always
        return "WAV"
    if suffix in FORMATS:
        return FORMATS[suffix][0]
    raise BadInput(f"{path}: sound is written as .wav, .flac, .ogg or .aiff; {suffix} cannot be written here")


class WavFileSink:
    """A sound file (WAV, or FLAC, OGG or AIFF as its name asks) whose timeline is wall-clock time, so
    a session can be measured without a sound card."""

    def __init__(self, path: Path | str, realtime: bool = True):
        self.realtime = realtime  # False: as fast as it can be written (voicecoach render)
        fmt = sound_format(path)
        self._wav = None
        try:
            self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
        except OSError as error:
            raise BadInput(f"cannot write {path}: {error.strerror or error}") from None
        if fmt == "WAV":
            self._wav = wave.open(self._file, "wb")
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(SAMPLE_RATE)
        else:
            import soundfile

            self._sound = soundfile.SoundFile(self._file, "w", SAMPLE_RATE, 1, FORMATS[Path(path).suffix.lower()][1],
                                              format=fmt)
        self._start: float | None = None
        self._frames = 0
        self._first_sound_note = os.environ.get(FIRST_SOUND_ENV)

    def write(self, frames: bytes) -> None:
        """Return when this audio would have finished playing; deadlines from the start do not drift."""
        if self._start is None:
            self._start = time.monotonic()
        if self._first_sound_note and frames.strip(b"\0"):
            self._note_first_sound(frames)
        if self._wav is not None:
            self._wav.writeframes(frames)
        else:
            import numpy as np

            self._sound.write(np.frombuffer(frames, dtype="<i2"))
        self._frames += len(frames) // 2
        delay = self._start + self._frames / SAMPLE_RATE - time.monotonic()
        if delay > 0 and self.realtime:
            time.sleep(delay)

    def _note_first_sound(self, frames: bytes) -> None:
        """For scripts/bench_startup.py: the wall-clock time the first non-silent sample is heard."""
        offset = (len(frames) - len(frames.lstrip(b"\0"))) // 2
        with open(self._first_sound_note, "w") as note:
            note.write(repr(time.time() + offset / SAMPLE_RATE))
        self._first_sound_note = None

    def close(self) -> None:
        (self._wav or self._sound).close()
        self._file.close()
