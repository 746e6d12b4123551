"""Whisper's input features, made with numpy: 80 log-mel bins every 10 ms over a window of a few seconds.

Written here rather than taken from faster-whisper, which would bring av and onnxruntime along for
one function. The recipe is Whisper's: a periodic Hann window of 400 samples, a hop of 160, power
spectra through Slaney-style mel filters, log10 floored at 1e-10 and at 8 below the loudest, then
(x + 4) / 4. The utterance is padded with digital silence to the window, as Whisper pads to 30 s;
a 3 s window is enough for a cue and decodes ~10 times faster than 30 s.
"""

from __future__ import annotations

import functools

RATE = 16000
N_FFT = 400
HOP = 160
N_MELS = 80
WINDOW_FRAMES = 300  # 3 s


@functools.cache
def mel_filters(rate: int = RATE, n_fft: int = N_FFT, n_mels: int = N_MELS):
    """Slaney mel filter bank (as librosa.filters.mel with its defaults): n_mels x (n_fft // 2 + 1)."""
    import numpy as np

    def to_mel(hz):
        hz = np.asarray(hz, dtype=np.float64)
        mel = hz / (200.0 / 3)
        log = hz >= 1000.0
        return np.where(log, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27), mel)

    def to_hz(mel):
        mel = np.asarray(mel, dtype=np.float64)
        hz = mel * (200.0 / 3)
        return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27) * (mel - 15.0)), hz)

    bins = np.linspace(0, rate / 2, n_fft // 2 + 1)
    edges = to_hz(np.linspace(to_mel(0.0), to_mel(rate / 2), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def log_mel(samples, frames: int = WINDOW_FRAMES):
    """float32 [80, frames] features of 16 kHz samples (int16 or float in -1..1), cut or padded to `frames`."""
    import numpy as np

    x = np.asarray(samples)
    x = x.astype(np.float32) / 32768.0 if x.dtype.kind == "i" else x.astype(np.float32)
    x = x[: frames * HOP]
    x = np.pad(x, (0, frames * HOP - len(x)))
    padded = np.pad(x, N_FFT // 2, mode="reflect")  # centred frames, as torch.stft(center=True)
    count = 1 + (len(padded) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2
    mel = mel_filters() @ power[:frames].T.astype(np.float32)
    spec = np.log10(np.maximum(mel, 1e-10))
    spec = np.maximum(spec, spec.max() - 8.0)
    return ((spec + 4.0) / 4.0).astype(np.float32)
