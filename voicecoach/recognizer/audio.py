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
    try:
        import soundfile
    except ImportError:  # without it, 16-bit PCM WAV only
        return _read_pcm16_wav(name)
    try:
        with soundfile.SoundFile(name) as f:
            rate, channels = f.samplerate, f.channels
            _check(rate, channels)
            # As float, scaled here: libsndfile reads a float file as int16 without scaling it (all zeros).
            import numpy as np

            samples = f.read(dtype="float32", always_2d=True).reshape(-1)
            frames = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2").tobytes()
    except soundfile.LibsndfileError as e:
        if os.access(name, os.R_OK):
            raise AudioError("not a sound file (WAV, FLAC, OGG or AIFF)" + _why(e)) from None
        raise AudioError("permission denied") from None
    except (RuntimeError, OSError) as e:
        raise AudioError(f"cannot read: {e}".splitlines()[0]) from None
    if not frames:
        raise AudioError("the file holds no audio")
    return frames, rate, channels


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
    g = math.gcd(rate_in, rate_out)
    n_out = (len(x) * (rate_out // g)) // (rate_in // g)
    out = np.empty(n_out)
    reach = resampling_reach(rate_in, rate_out, half_width)
    xp = np.concatenate([np.zeros(reach), np.asarray(x, dtype=np.float64), np.zeros(reach + 1)])
    chunk = 4096
    for start in range(0, n_out, chunk):
        n = np.arange(start, min(n_out, start + chunk))
        idx, h = resampling_taps(n, rate_in, rate_out, half_width)
        out[n] = (xp[idx + reach] * h).sum(axis=1)
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
    pcm, rate, channels = read_wav(path)
    return to_mono_16k(pcm, rate, channels)
