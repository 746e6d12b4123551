"""Taking our own voice out of what the microphone hears: an acoustic echo canceller.

While the assistant speaks, a partner may say "stop" over it. The microphone hears both, cut into
one utterance, so the recogniser cannot single the word out. We know exactly what we play, so an
adaptive filter learns the path from the loudspeaker to the microphone (delay, room echo) and
subtracts its estimate of our voice; what is left is mostly the partner.

Checked first (Nov 2026), for a library that installs as a wheel everywhere without a compiler:
speexdsp and aec-audio-processing are source packages that need a compiler and swig; speexdsp-aec
needs the system libspeexdsp; pywebrtc-audio (WebRTC AEC3, wheels for Linux, macOS, Windows)
cancelled our voice well (25-39 dB) but its residual suppressor also took 7-18 dB off a "stop"
said over it; pyaec is one person's Rust port of Speex's canceller. So this is a plain numpy
version of the algorithm Speex uses.
"""

from __future__ import annotations

import collections

import numpy as np

RATE = 16000
BLOCK = 320  # 20 ms, one chunk of the ears: the canceller adds no delay of its own
TAIL_MS = 260  # the reference's lead (20-40 ms), the loudspeaker-to-microphone delay, the room's tail
EARLY_STEP = 0.25  # the step before the filter has adapted (Speex's)
MAX_STEP = 0.5  # ... and after, when all of the residual is our echo
DOUBLE_TALK = 1.0  # once adapted, a residual louder than the echo estimate is a partner talking over us
HELD_BLOCKS = 100  # ... for up to 2 s of our speech without a pause; longer, and it is the echo path that changed
MIN_LEAK = 0.005  # no hope of more than ~23 dB from the filter alone: the step never drops to nothing


class EchoCanceller:
    """Partitioned-block frequency-domain adaptive filter (the multidelay block frequency-domain
    filter, MDF: Soo and Pang 1990) with a normalised LMS step, as in Speex's acoustic echo canceller
    (Valin, "On adjusting the learning rate in frequency domain echo cancellation with double-talk",
    IEEE TASLP 2007).

    Double talk: the step is scaled by an estimate of how much of the residual is still our echo
    (the residual-to-error ratio, from the echo estimate, the residual and a running "leak"
    estimate). While a partner talks over us the residual is louder than the echo estimate, so the
    filter stops learning instead of learning the partner's voice (for up to 2 s: longer, the room
    itself has changed, and the filter starts again).
    """

    def __init__(self, tail_ms: int = TAIL_MS, block: int = BLOCK, rate: int = RATE):
        self.block, self.rate = block, rate
        self.partitions = max(1, -(-tail_ms * rate // 1000 // block))
        self.reset()

    def reset(self) -> None:
        """Forget the echo path: start learning it afresh."""
        block, bins = self.block, self.block + 1
        self._weights = np.zeros((self.partitions, bins), complex)  # one filter per partition
        self._spectra = np.zeros((self.partitions, bins), complex)  # the reference, newest first
        self._previous = np.zeros(block)  # the reference block before this one (overlap-save)
        self._power = np.zeros(bins)  # smoothed reference power per bin
        self._echo_smooth = np.zeros(bins)
        self._error_smooth = np.zeros(bins)
        self._pey, self._pyy = 1.0, 1.0
        self._leak = 0.0
        self.echo = np.zeros(block)
        self._learned = 0.0  # sum of early steps: the filter has "adapted" once this passes its length
        self.adapted = False
        self._held = 0  # blocks in a row without learning, for double talk

    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """One block of what the microphone heard, less the estimate of our voice in it."""
        n = self.block
        mic = np.asarray(mic, np.float64)
        reference = np.asarray(reference, np.float64)
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = np.fft.rfft(np.concatenate([self._previous, reference]))
        self._previous = reference
        echo = np.fft.irfft((self._weights * self._spectra).sum(axis=0))[n:]
        self.echo = echo  # the estimate of our voice in this block
        error = mic - echo
        error_spectrum = np.fft.rfft(np.concatenate([np.zeros(n), error]))
        self._adapt(reference, echo, error, error_spectrum)
        return error

    def _adapt(self, reference, echo, error, error_spectrum):
        n, m = self.block, self.partitions
        sxx, syy, see = reference @ reference, echo @ echo, error @ error + 1.0
        sey = error @ echo
        x_power = np.abs(self._spectra[0]) ** 2
        share = 0.35 / m
        self._power = (1 - share) * self._power + share * x_power + 1.0
        echo_bins = np.abs(np.fft.rfft(np.concatenate([np.zeros(n), echo]))) ** 2
        error_bins = np.abs(error_spectrum) ** 2
        rate = self._step(sxx, syy, see, sey, echo_bins, error_bins)
        if rate is None:
            return
        gradient = rate * self._proportions()[:, None] * np.conj(self._spectra) * error_spectrum
        taps = np.fft.irfft(gradient, axis=1)
        taps[:, n:] = 0.0  # the gradient constraint: each partition stays a causal block of n taps
        self._weights += np.fft.rfft(taps, axis=1)

    def _proportions(self):
        """Each partition's share of the step, by its weight (Speex's proportionate update): the
        early partitions, which hold the direct path, learn fastest."""
        size = np.sqrt(1.0 + (np.abs(self._weights) ** 2).sum(axis=1))
        size += 0.1 * size.max()
        return 0.99 * size / size.sum()

    def _step(self, sxx, syy, see, sey, echo_bins, error_bins):
        """The per-bin step size (Valin 2007), or None when there is nothing to learn from."""
        if sxx < self.block * 16:  # our voice is silent: no echo to learn
            self._held = 0
            return None
        if self.adapted and see > DOUBLE_TALK * syy:  # someone else is louder than our echo: hold still
            self._held += 1
            if self._held > HELD_BLOCKS:  # not a word said over us but a room that changed: start again
                self.reset()
            return None
        self._held = 0
        if not self.adapted:  # the echo estimate is still meaningless: judge by the reference alone
            rate = min(EARLY_STEP * sxx / see, EARLY_STEP)
            self._learned += rate
            self.adapted = self._learned > self.partitions and self._leak > 0.03
            self._update_leak(syy, see, echo_bins, error_bins)
            return rate / (self._power + 10.0)
        self._update_leak(syy, see, echo_bins, error_bins)
        ratio = (1e-4 * sxx + 3.0 * self._leak * syy) / see
        ratio = min(max(ratio, sey * sey / (1.0 + see * syy)), MAX_STEP)  # echo still in the residual
        residual = np.minimum(self._leak * echo_bins, 0.5 * (error_bins + 1.0))
        mask = 0.7 * residual + 0.3 * ratio * (error_bins + 1.0)
        return mask / ((error_bins + 1.0) * (self._power + 10.0))

    def _update_leak(self, syy, see, echo_bins, error_bins):
        """How much of the echo estimate's power leaks into the residual: a linear regression of
        the residual's spectral changes on the echo estimate's (Valin 2007)."""
        average = self.block / self.rate
        de, dy = error_bins - self._error_smooth, echo_bins - self._echo_smooth
        self._error_smooth += average * (error_bins - self._error_smooth)
        self._echo_smooth += average * (echo_bins - self._echo_smooth)
        pyy = float(np.sqrt(dy @ dy))
        pey = float(de @ dy) / (pyy + 1e-9)
        alpha = min(2 * average * syy, average * see / 2) / see
        self._pey = (1 - alpha) * self._pey + alpha * pey
        self._pyy = max(1.0, (1 - alpha) * self._pyy + alpha * pyy)
        self._pey = min(max(self._pey, MIN_LEAK * self._pyy), self._pyy)
        self._leak = self._pey / self._pyy


PLAYED_RATE = 22050  # the player's rate: 441 of its samples span one 320-sample block of ours
PLAYED_BLOCK = PLAYED_RATE * BLOCK // RATE
LEAD_SECONDS = 0.02  # the devices' latencies are taken this much short, so that the reference leads the
# echo even when they are off: a filter can only learn an echo that comes after its source (a chunk read
# late makes the lead longer; the filter's length absorbs it)
RESYNC_SECONDS = 0.1  # the chunk count and the clocks disagree by more than this ...
SLIP_CHUNKS = 250  # ... for five seconds, even in the chunks read on time (a busy listener reads late)
GATE = 1.0  # a chunk whose residual is weaker than the echo estimate holds no one else's voice ...
GATE_GAIN = 0.1  # ... and is turned down by 20 dB, so the stop listener hears silence around a stop


class OwnVoiceRemoval:
    """The microphone's stream less our own voice: lines up what the player wrote (`voice.Played`)
    with each captured 20 ms chunk and runs the canceller on the pair.

    Both streams are continuous (the player writes silence when idle), so they are lined up once by
    the clock (capture time less the devices' latencies) and then kept in step by counting samples:
    a chunk handled late (the listener was decoding) does not shake the filter. The clock is asked
    again only when the count has slipped for good (a device that dropped audio); the rest of the
    delay (loudspeaker to microphone, the room) is the adaptive filter's to learn.
    """

    def __init__(self, played, capture_latency: float = 0.0, canceller: EchoCanceller | None = None):
        from voicecoach.hearing.recognizer import resampling_reach, resampling_taps

        self.played = played
        self.canceller = canceller or EchoCanceller()
        self._lookback = BLOCK / RATE + max(0.0, played.latency_seconds + capture_latency - LEAD_SECONDS)
        self._cursor: int | None = None  # the played sample lined up with the next chunk's start
        self._slips: collections.deque[int] = collections.deque(maxlen=SLIP_CHUNKS)
        self._reach = resampling_reach(PLAYED_RATE, RATE)
        self._taps = resampling_taps(np.arange(BLOCK), PLAYED_RATE, RATE)

    def clean(self, chunk: bytes, captured_at: float) -> bytes:
        """One chunk (20 ms, 16 kHz, 16-bit) that was read at `captured_at`, less our voice."""
        start = self._line_up(captured_at)
        if start is None or len(chunk) != 2 * BLOCK:
            return chunk
        reach = self._reach
        played = np.frombuffer(self.played.read(start - reach, PLAYED_BLOCK + 2 * reach + 1), "<i2")
        indices, weights = self._taps
        reference = (played[indices + reach].astype(np.float64) * weights).sum(axis=1)
        residual = self.canceller.process(np.frombuffer(chunk, "<i2"), reference)
        echo = self.canceller.echo
        if residual @ residual < GATE * (echo @ echo):  # what is left is our voice's remains
            residual = residual * GATE_GAIN
        return np.clip(np.round(residual), -32768, 32767).astype("<i2").tobytes()

    def skip(self, captured_at: float) -> None:
        """A chunk went by with nothing of ours playing: keep the count, at no cost."""
        self._line_up(captured_at)

    def _line_up(self, captured_at: float) -> int | None:
        by_clock = self.played.position_at(captured_at - self._lookback)
        if by_clock is None:
            return None
        if self._cursor is None:
            self._cursor = by_clock
        # A chunk read late looks ahead of the count; one read on time shows the true slip.
        self._slips.append(by_clock - self._cursor)
        slip = min(self._slips)
        if len(self._slips) == SLIP_CHUNKS and abs(slip) > RESYNC_SECONDS * PLAYED_RATE:
            self._cursor += slip
            self._slips.clear()
            self.canceller.reset()  # the echo path it learned is gone: learn it afresh
        start = self._cursor
        self._cursor += PLAYED_BLOCK
        return start


def room_response(rng, delay_ms: float, rt60_seconds: float = 0.3, rate: int = RATE) -> np.ndarray:
    """A synthetic loudspeaker-to-microphone impulse response, for measuring the canceller (tests,
    scripts/bench_cues.py): a delay, a direct path, and a tail of noise decaying by 60 dB in
    `rt60_seconds`, with as much energy as the direct path (a living room at sofa distance)."""
    delay = int(delay_ms * rate / 1000)
    length = int(rt60_seconds * rate)
    decay = np.exp(-6.9 * np.arange(1, length) / (rt60_seconds * rate))  # ln(1000): 60 dB of amplitude
    tail = rng.standard_normal(length - 1) * decay
    return np.concatenate([np.zeros(delay), [1.0], tail / np.sqrt(tail @ tail)]) / np.sqrt(2.0)
