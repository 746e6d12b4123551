"""MFCC features of a spoken word, in numpy: what a voice profile keeps instead of audio.

The usual recipe (HTK/Kaldi style): 25 ms Hamming frames every 10 ms, pre-emphasis, a power
spectrum, 26 triangular mel filters from 20 Hz to 7.6 kHz, log, DCT-II to 13 cepstra with
liftering. `cepstra()` gives the static coefficients of the spoken part only (silence trimmed by
energy), which is what a profile stores; `frames()` turns them into what templates are compared
on: mean removed (CMN: the microphone and room cancel out) and deltas appended.
"""

from __future__ import annotations

import numpy as np

RATE = 16000
FRAME = 400  # 25 ms
HOP = 160  # 10 ms
FFT = 512
FILTERS = 26
CEPSTRA = 13
LIFTER = 22
TRIM_DB = 35.0  # frames quieter than the loudest by more than this are silence
MIN_FRAMES = 15  # 150 ms of speech: less is a click, not a word


def _mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


def _filterbank() -> np.ndarray:
    """(FILTERS, FFT//2+1) triangular filters spaced evenly on the mel scale."""
    edges = _hz(np.linspace(_mel(20.0), _mel(7600.0), FILTERS + 2))
    bins = np.fft.rfftfreq(FFT, 1.0 / RATE)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - low) / (centre - low)
    falling = (high - bins[None, :]) / (high - centre)
    return np.clip(np.minimum(rising, falling), 0.0, None)


def _dct() -> np.ndarray:
    """Orthonormal DCT-II rows for the first CEPSTRA coefficients, liftered."""
    n = np.arange(FILTERS)
    k = np.arange(CEPSTRA)[:, None]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * FILTERS)) * np.sqrt(2.0 / FILTERS)
    basis[0] /= np.sqrt(2.0)
    lifter = 1 + (LIFTER / 2) * np.sin(np.pi * np.arange(CEPSTRA) / LIFTER)
    return basis * lifter[:, None]


_FILTERBANK = _filterbank()
_DCT = _dct()
_WINDOW = np.hamming(FRAME)


def cepstra(samples: np.ndarray) -> np.ndarray:
    """(frames, 13) static MFCCs of the spoken part of 16 kHz mono samples (empty if none)."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) < FRAME:
        return np.zeros((0, CEPSTRA), dtype=np.float32)
    x = np.append(x[0], x[1:] - 0.97 * x[:-1])
    count = 1 + (len(x) - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    framed = x[index]
    framed = (framed - framed.mean(axis=1, keepdims=True)) * _WINDOW
    power = np.abs(np.fft.rfft(framed, FFT)) ** 2 / FFT
    energy = power.sum(axis=1)
    spoken = _spoken(energy)
    mel = np.log(power[spoken] @ _FILTERBANK.T + 1e-3)
    return (mel @ _DCT.T).astype(np.float32)


def _spoken(energy: np.ndarray) -> slice:
    """From the first to the last frame within TRIM_DB of the loudest one."""
    db = 10 * np.log10(energy + 1e-9)
    loud = np.nonzero(db >= db.max() - TRIM_DB)[0]
    return slice(int(loud[0]), int(loud[-1]) + 1) if len(loud) else slice(0, 0)


def deltas(c: np.ndarray, reach: int = 2) -> np.ndarray:
    """Regression slopes over +-reach frames (edges repeated), as in HTK."""
    padded = np.pad(c, ((reach, reach), (0, 0)), mode="edge")
    n = len(c)
    out = sum(k * (padded[reach + k:reach + k + n] - padded[reach - k:reach - k + n]) for k in range(1, reach + 1))
    return out / (2 * sum(k * k for k in range(1, reach + 1)))


def channel(takes: list[np.ndarray]) -> np.ndarray:
    """The mean cepstrum of many words: the microphone and room, not any one word (for CMN)."""
    if not takes:
        return np.zeros(CEPSTRA, dtype=np.float32)
    mean = np.concatenate(takes).mean(axis=0)
    mean[0] = 0.0  # c0 is made relative to each word's loudest frame instead
    return mean.astype(np.float32)


def frames(c: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """What templates compare, (frames, 26): cepstra less the channel mean, plus deltas.

    The mean is taken over many words (`channel`), not over this one: a single short word's mean
    carries its own sounds ("s" in seven), and removing it cost 2 % of digits. Loudness (c0) is
    counted from the word's loudest frame, so a partner nearer the microphone still matches.
    """
    c = np.array(c, dtype=np.float32)
    if len(c):
        c[:, 0] -= c[:, 0].max()
    if mean is not None:
        c = c - mean
    return np.hstack([c, deltas(c)]).astype(np.float32)
