"""Audio files and rates: read a WAV file, and bring any rate and channel count to the 16 kHz mono the
recogniser is fed (numpy is imported only when a function needs it)."""

from __future__ import annotations

import math
import os
import stat
import wave

RATE = 16000  # what the decoder and the voice-activity detector are fed: 16 kHz mono 16-bit


class AudioError(Exception):
    """A file that cannot be used as audio; the message is one line."""


MIN_RATE, MAX_RATE = 8000, 192000  # below or above these a header's rate is no real recording's
MAX_CHANNELS = 32


def read_wav(path: str | os.PathLike) -> tuple[bytes, int, int]:
    """(16-bit PCM frames, sample rate, channels) of a sound file: WAV of any common encoding (8, 16,
    24 or 32-bit, float), FLAC, OGG, AIFF, as libsndfile (soundfile) reads them; raises AudioError
    with one plain line for anything else. Only regular files: a pipe or a device would never end."""
    name = _regular_file(path)
    try:
        import soundfile  # noqa: F401
    except ImportError:  # without it, 16-bit PCM WAV only
        return _read_pcm16_wav(name)
    with _sound_file(name) as f:
        frames = b"".join(_pcm16(block).tobytes() for block in _blocks_read(f, name))
        rate, channels = f.samplerate, f.channels
    if not frames:
        raise AudioError("the file holds no audio")
    return frames, rate, channels


BLOCK_FRAMES = 1 << 16  # read at a time: a file of any length costs the same memory to hear


def _regular_file(path) -> str:
    """The file's name, once it is known to be a non-empty regular file (a pipe would never end)."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
    except FileNotFoundError:
        raise AudioError("no such file") from None
    except PermissionError:
        raise AudioError("permission denied") from None
    except OSError as e:
        raise AudioError(f"cannot read: {e.strerror or e}") from None
    if stat.S_ISDIR(info.st_mode):
        raise AudioError("is a directory, not a sound file")
    if not stat.S_ISREG(info.st_mode):
        raise AudioError("not a regular file (a pipe or a device); give a sound file")
    if info.st_size == 0:
        raise AudioError("empty file")
    return name


def _sound_file(name: str):
    """The open soundfile.SoundFile, its rate and channels checked; AudioError otherwise."""
    import soundfile

    try:
        f = soundfile.SoundFile(name)
    except soundfile.LibsndfileError as e:
        if os.access(name, os.R_OK):
            raise AudioError("not a sound file (WAV, FLAC, OGG or AIFF)" + _why(e)) from None
        raise AudioError("permission denied") from None
    except (RuntimeError, OSError) as e:
        raise AudioError(f"cannot read: {e}".splitlines()[0]) from None
    try:
        _check(f.samplerate, f.channels)
    except AudioError:
        f.close()
        raise
    return f


def _blocks_read(f, name: str):
    """The file's frames as float32 (frames, channels) blocks of BLOCK_FRAMES. As float, scaled by
    _pcm16: libsndfile reads a float file as int16 without scaling it (all zeros)."""
    import soundfile

    while True:
        try:
            block = f.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError, OSError) as e:
            raise AudioError(f"cannot read: {e}".splitlines()[0]) from None
        if not len(block):
            return
        yield block


def _pcm16(block):
    """float samples in [-1, 1] -> int16, as every reader here rounds them."""
    import numpy as np

    return np.clip(np.round(block * 32767.0), -32768, 32767).astype("<i2")


def _why(error) -> str:
    """libsndfile's reason, when it says more than that the format is unknown."""
    text = str(getattr(error, "error_string", "") or "").strip().rstrip(".")
    return f" ({text})" if text and "format" not in text.lower() and "recognised" not in text.lower() else ""


def _check(rate: int, channels: int) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"sample rate {rate:,} Hz is not a real one (from {MIN_RATE:,} to {MAX_RATE:,})")
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioError(f"{channels} channels is not a real recording's number")


def _read_pcm16_wav(name: str) -> tuple[bytes, int, int]:
    try:
        with wave.open(name, "rb") as w:
            if w.getcomptype() != "NONE" or w.getsampwidth() != 2:
                raise AudioError("only 16-bit PCM WAV can be read here (soundfile is not installed)")
            rate, channels = w.getframerate(), w.getnchannels()
            _check(rate, channels)
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError):
        raise AudioError("not a sound file (WAV, FLAC, OGG or AIFF)") from None
    except OSError as e:
        raise AudioError(f"cannot read: {e.strerror or e}") from None
    frames = frames[: len(frames) - len(frames) % (2 * channels)]
    if not frames:
        raise AudioError("the file holds no audio")
    return frames, rate, channels


def to_mono_16k(pcm: bytes, rate: int, channels: int = 1):
    """16-bit PCM at any rate and channel count -> numpy int16 mono at 16 kHz."""
    import numpy as np

    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if channels > 1:
        x = x[: len(x) - len(x) % channels].reshape(-1, channels).mean(axis=1)
    x = resample(x, rate, RATE)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def resample(x, rate_in: int, rate_out: int, half_width: int = 16):
    """Band-limited resampling (Kaiser-windowed sinc) of a float array, any ratio.

    Output sample n sits at input time n * rate_in / rate_out exactly, so 22050 -> 16000 is the
    320/441 ratio and 8000 -> 16000 is 2x; the low-pass is at 0.95 of the lower Nyquist frequency.
    """
    import numpy as np

    if rate_in == rate_out or len(x) == 0:
        return np.asarray(x, dtype=np.float64)
    resampler = Resampler(rate_in, rate_out, half_width)
    return np.concatenate([resampler.feed(x), resampler.finish()])


class Resampler:
    """`resample` a block at a time, with the same output to the last bit: each output sample is
    computed once every input sample it reads has arrived (or, at the end, is known to be silence)."""

    CHUNK = 4096  # output samples computed at once

    def __init__(self, rate_in: int, rate_out: int, half_width: int = 16):
        import numpy as np

        g = math.gcd(rate_in, rate_out)
        self.up, self.down = rate_out // g, rate_in // g
        self.rates, self.half_width = (rate_in, rate_out), half_width
        self.reach = resampling_reach(rate_in, rate_out, half_width)
        self.kept = np.zeros(self.reach)  # input from absolute index `start` - reach on
        self.start = 0  # absolute index of the input sample after kept's leading part
        self.received = 0  # input samples fed so far
        self.next_out = 0
        # The weights depend only on n mod up (the output's phase against the input): computed once.
        self.offsets = np.arange(-self.reach + 1, self.reach + 1)
        self.weights = (resampling_taps(np.arange(self.up), rate_in, rate_out, half_width)[1]
                        if self.up <= self.MAX_PHASES else None)

    MAX_PHASES = 4096  # above this (a rate sharing few factors with 16 kHz), weights are computed as needed

    def feed(self, x):
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        if self.up == self.down:
            self.received += len(x)
            return x
        self.kept = np.concatenate([self.kept, x])
        self.received += len(x)
        # Output n reads input up to (n * down) // up + reach: take every n whose reach has arrived.
        last = ((self.received - self.reach - 1) * self.up) // self.down
        return self._compute(last)

    def finish(self):
        import numpy as np

        if self.up == self.down:
            return np.zeros(0)
        self.kept = np.concatenate([self.kept, np.zeros(self.reach + 1)])
        return self._compute(self._total() - 1)

    def _total(self) -> int:
        return (self.received * self.up) // self.down

    def _compute(self, last: int):
        import numpy as np

        if last < self.next_out:
            return np.zeros(0)
        out = np.empty(last + 1 - self.next_out)
        offset = self.start - self.reach  # absolute index of kept[0]
        for first in range(self.next_out, last + 1, self.CHUNK):
            n = np.arange(first, min(last + 1, first + self.CHUNK))
            if self.weights is None:
                idx, h = resampling_taps(n, *self.rates, self.half_width)
            else:
                idx, h = ((n * self.down) // self.up)[:, None] + self.offsets, self.weights[n % self.up]
            out[n - self.next_out] = (self.kept[idx - offset] * h).sum(axis=1)
        self.next_out = last + 1
        drop = (self.next_out * self.down) // self.up - self.reach + 1 - offset  # no later output reads these
        if drop > 0:
            self.kept, self.start = self.kept[drop:], self.start + drop
        return out


def resampling_reach(rate_in: int, rate_out: int, half_width: int = 16) -> int:
    """How many input samples either side of an output instant `resample` reads."""
    return math.ceil(half_width / (0.95 * min(1.0, rate_out / rate_in)))


def resampling_taps(n, rate_in: int, rate_out: int, half_width: int = 16):
    """For output samples n: the input indices each reads, and their weights (see `resample`)."""
    import numpy as np

    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    cutoff = 0.95 * min(1.0, rate_out / rate_in)  # in units of the input Nyquist frequency
    reach = resampling_reach(rate_in, rate_out, half_width)
    offsets = np.arange(-reach + 1, reach + 1)
    beta = 8.6
    base = (n * down) // up  # integer part of the input time
    frac = (n * down - base * up) / up
    idx = base[:, None] + offsets[None, :]
    d = offsets[None, :] - frac[:, None]  # distance from the output instant, in input samples
    w = np.i0(beta * np.sqrt(np.clip(1 - (d / (reach + 1)) ** 2, 0, None))) / np.i0(beta)
    return idx, cutoff * np.sinc(cutoff * d) * w


def load_file(path: str | os.PathLike):
    """A sound file as 16 kHz mono int16 samples; raises AudioError."""
    import numpy as np

    samples = np.concatenate([np.zeros(0, np.int16), *stream_file(path)])
    if not len(samples):
        raise AudioError("the file holds no audio")
    return samples


def stream_file(path: str | os.PathLike):
    """A sound file as 16 kHz mono int16 blocks, read and resampled a block at a time, so that an
    hour-long recording costs no more memory than a word; the file is checked (AudioError) before
    the first block, and a fault met later while reading raises AudioError too."""
    name = _regular_file(path)
    try:
        import soundfile  # noqa: F401
    except ImportError:
        pcm, rate, channels = _read_pcm16_wav(name)
        return iter([to_mono_16k(pcm, rate, channels)])
    return _stream(_sound_file(name), name)


def _stream(f, name: str):
    import numpy as np

    with f:
        resampler = Resampler(f.samplerate, RATE)
        for block in _blocks_read(f, name):
            mono = _pcm16(block).astype(np.float64).mean(axis=1)
            yield _rounded16(resampler.feed(mono))
        yield _rounded16(resampler.finish())


def _rounded16(x):
    import numpy as np

    return np.clip(np.round(x), -32768, 32767).astype(np.int16)
