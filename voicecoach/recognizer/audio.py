"""Audio files and rates: read a WAV file, and bring any rate and channel count to the 16 kHz mono the
recogniser is fed (numpy is imported only when a function needs it)."""

from __future__ import annotations

import math
import os
import wave

RATE = 16000  # what the decoder and the voice-activity detector are fed: 16 kHz mono 16-bit


class AudioError(Exception):
    """A file that cannot be used as audio; the message is one line."""


def read_wav(path: str | os.PathLike) -> tuple[bytes, int, int]:
    """(16-bit PCM frames, sample rate, channels) of a WAV file; raises AudioError."""
    try:
        with wave.open(os.fspath(path), "rb") as w:
            if w.getcomptype() != "NONE":
                raise AudioError(f"compressed WAV ({w.getcomptype()}) is not supported")
            if w.getsampwidth() != 2:
                raise AudioError(f"{8 * w.getsampwidth()}-bit WAV is not supported; use 16-bit PCM")
            rate, channels = w.getframerate(), w.getnchannels()
            frames = w.readframes(w.getnframes())
    except FileNotFoundError:
        raise AudioError("no such file") from None
    except IsADirectoryError:
        raise AudioError("is a directory, not a WAV file") from None
    except PermissionError:
        raise AudioError("permission denied") from None
    except (wave.Error, EOFError) as e:
        raise AudioError(f"not a readable WAV file ({e})") from None
    except OSError as e:
        raise AudioError(f"cannot read: {e.strerror or e}") from None
    if rate <= 0 or channels <= 0:
        raise AudioError("WAV header has no sample rate or channels")
    frames = frames[: len(frames) - len(frames) % (2 * channels)]
    if not frames:
        raise AudioError("WAV file holds no audio")
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
    """A WAV file as 16 kHz mono int16 samples; raises AudioError."""
    pcm, rate, channels = read_wav(path)
    return to_mono_16k(pcm, rate, channels)
