"""Offline spoken-cue recognition: a voice-activity endpointer and one long-lived PocketSphinx decoder.

The recogniser listens only for what makes sense at the moment (a *context*), with one small JSGF
grammar per context. Each grammar also offers a phone-loop "garbage" path: a result through it
means "something that is not a cue" (see ../shared/notes/recognition.md).

- open contexts (navigation, turn): a rejected utterance gives cue None;
- closed contexts (rating, answer): the forced choice among the cue words is always given, with
  `unsure=True` when the garbage grammar rejects it or the word is easily confused (three/tree,
  six/sick, no/go), so the caller confirms ("I heard seven. Is that right?").

Everything engine-specific sits behind `CueEngine` (`decide(pcm16k, context) -> Decision`), so a second
offline engine can be added later; `Recognizer` is the PocketSphinx one.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import wave
from collections.abc import Iterable, Iterator
from typing import Protocol

TRAILING_MS = 200  # silence that ends an utterance: 300 ms in recognition.md; 200 ms lost no hits on the tune half
RATE = 16000  # what the decoder and the voice-activity detector are fed: 16 kHz mono 16-bit
CONTEXTS = ("navigation", "turn", "rating", "answer")
OPEN_CONTEXTS = frozenset({"navigation", "turn"})

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

# Spoken phrase -> canonical cue, per context. Phrases must be in the bundled CMU dictionary.
CUE_PHRASES: dict[str, dict[str, str | int]] = {
    "navigation": {
        "next": "next", "go": "next", "go on": "next", "forward": "next", "continue": "next",
        "pause": "pause", "resume": "resume", "repeat": "repeat", "skip": "skip",
        "slower": "slower", "faster": "faster", "louder": "louder", "quieter": "quieter",
        "stop": "stop",
    },
    "turn": {"i'm done": "done", "i am done": "done", "i'm finished": "done", "i am finished": "done",
             "stop": "stop", "pause": "pause"},
    "rating": {word: number for number, word in enumerate(NUMBER_WORDS)},
    "answer": {"yes": "yes", "no": "no"},
}

# A cue counts in the open contexts only as a whole utterance: speech the decoder put down as
# silence beside the cue word means the grammar forced a longer phrase onto the cue (our own voice
# saying "busy weeks happen to everyone" came out as "stop" with 1.2 s of loud "silence").
LOUD_DB = 15  # a 10 ms frame within this of the utterance's loudest frame is speech,
ABOVE_FLOOR_DB = 6  # if it is also this far above the utterance's quietest tenth
MAX_LOUD_SILENCE_MS = 300

# Words that this model confuses with common non-cue words: a hit on one is always "unsure".
CONFUSABLE = frozenset({"three", "six", "no", "go"})

# The 39 context-independent phones of the en-us model: the garbage alternative loops over them.
PHONES = ["AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH"]
GARBAGE_PREFIX = "ph_"

# In-vocabulary distractors for the open contexts: words a couple says around cues (numbers from
# ratings, answers, everyday words). A result through one of them is a rejection, like garbage.
# Chosen from everyday speech, not from the benchmark's non-cue list.
DISTRACTORS = tuple(dict.fromkeys(
    NUMBER_WORDS + ("yes", "no", "yeah", "okay", "so", "but", "and", "the", "a", "it", "it's", "is", "was",
                    "that", "this", "what", "why", "how", "well", "oh", "hmm", "really", "just", "not", "don't",
                    "know", "think", "feel", "felt", "want", "need", "said", "say", "see", "mean", "over", "lying",
                    "to", "me", "you", "we", "us", "love", "sorry", "thanks", "time", "now", "then", "again",
                    "here", "there", "home", "work", "day", "good", "fine", "right", "sure", "maybe", "pretending")))


@dataclasses.dataclass(frozen=True)
class Decision:
    """What one utterance meant in a context."""

    cue: str | int | None  # canonical cue name, a rating number, or None (nothing / not a cue)
    text: str  # the words recognised ("" if nothing; garbage shown as "<other>")
    confidence: float | None  # None: PocketSphinx's scores do not separate cues from other words
    unsure: bool  # confirm before acting on it


class CueEngine(Protocol):
    """One offline engine: decides what a 16 kHz mono 16-bit utterance meant in a context."""

    def decide(self, pcm: bytes, rate: int, context: str) -> Decision: ...


# ----------------------------------------------------------------------------------------------
# Audio: reading, mono, resampling


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


# ----------------------------------------------------------------------------------------------
# Endpointing: cut a continuous 16 kHz stream into utterances


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


# ----------------------------------------------------------------------------------------------
# The PocketSphinx engine


@dataclasses.dataclass(frozen=True)
class Tuning:
    """Knobs, tuned on the tuning half of ../shared/speech only (scripts/bench_cues.py)."""

    wip: float = 1e-3  # word insertion penalty (decoder-wide)
    # weight of the garbage (phone-loop) alternative against the cue words, per context
    garbage_weight: tuple[tuple[str, float], ...] = (
        ("navigation", 1.0), ("turn", 1.0), ("rating", 1.0), ("answer", 1.0))

    distractors: bool = True  # in open contexts, everyday words compete with the cues (see DISTRACTORS)
    # Decode once the utterance has ended, with its own cepstral mean (cmn="batch"): a short word from
    # a new voice or microphone is then not heard through the previous one's mean. On the tune half it
    # cut navigation's false accepts from 6.6 % to 2.5 % and added 5 points to ratings, for ~60 ms.
    whole_utterance: bool = True
    options: tuple[tuple[str, object], ...] = (("cmn", "batch"),)  # further PocketSphinx settings
    # Language weight per context (the decoder's, 6.5, elsewhere): 5 scales down the grammar's penalties (word
    # insertion, silence) against the acoustics. On the tune half, ratings 145 -> 152 of 239 right, non-cue
    # words taken as a sure rating 9 -> 4 of 72, same latency. Not in navigation and turn: their 7 tune-half
    # cues cannot show what it does to a stop, and on the report half it cost 3 of 13 (docs/RECOGNITION.md).
    language_weight: tuple[tuple[str, float], ...] = (("rating", 5.0), ("answer", 5.0))
    dropped: tuple[str, ...] = ()  # cue phrases left out of the grammars (to measure what one costs)
    variants: tuple[tuple[str, str], ...] = ()  # extra pronunciations, e.g. (("seven(3)", "S EH V N"),)
    # RMS (in 16-bit steps) of pink noise added under what the decoder hears, so it never hears digital
    # silence (the model was trained on audio with a noise floor); 0 for none.
    floor_rms: float = 0.0

    def garbage(self, context: str) -> float:
        return dict(self.garbage_weight).get(context, 1.0)


def _grammar(name: str, phrases: Iterable[str], garbage_weight: float | None,
             distractors: Iterable[str] = ()) -> str:
    alts = " | ".join(sorted(phrases))
    if garbage_weight is None:
        rule = f"public <cue> = {alts};"
    else:
        loop = " | ".join(GARBAGE_PREFIX + p.lower() for p in PHONES)
        others = [w for w in distractors if w not in phrases]
        other = f" | /{garbage_weight:g}/ <other>" if others else ""
        rule = f"public <cue> = /1/ ({alts}) | /{garbage_weight:g}/ <garbage>{other};\n<garbage> = ({loop})+;"
        if others:
            rule += "\n<other> = (" + " | ".join(others) + ")+;"
    return f"#JSGF V1.0;\ngrammar {name};\n{rule}\n"


class Recognizer:
    """One long-lived PocketSphinx decoder with a forced-choice and a garbage grammar per context.

    `decide(pcm, rate, context)` for a whole utterance; or, as live, `begin(context)`, `feed(pcm16k)`
    while the utterance is spoken, then `end() -> Decision` when the endpointer closes it.
    """

    name = "pocketsphinx"

    def __init__(self, tuning: Tuning | None = None, loglevel: str = "FATAL"):
        t0 = time.perf_counter()
        self.tuning = tuning or Tuning()
        self.phrases = {context: {p: cue for p, cue in phrases.items() if p not in self.tuning.dropped}
                        for context, phrases in CUE_PHRASES.items()}
        self._decoder = self._new_decoder(dict(self.tuning.options), loglevel)
        for phone in PHONES:
            self._decoder.add_word(GARBAGE_PREFIX + phone.lower(), phone, False)
        default_lw = self._decoder.config["lw"]
        for context, phrases in self.phrases.items():
            # a grammar's search takes the language weight in the config when it is added
            self._decoder.config["lw"] = dict(self.tuning.language_weight).get(context, default_lw)
            self._decoder.add_jsgf_string(f"{context}_forced", _grammar(context, phrases, None))
            distractors = DISTRACTORS if (context in OPEN_CONTEXTS and self.tuning.distractors) else ()
            self._decoder.add_jsgf_string(f"{context}_open",
                                          _grammar(context, phrases, self.tuning.garbage(context), distractors))
        self._decoder.config["lw"] = default_lw
        self._floor = _pink_floor(self.tuning.floor_rms) if self.tuning.floor_rms else None
        self._context: str | None = None
        self._pcm: list[bytes] = []
        self.load_seconds = time.perf_counter() - t0

    def _new_decoder(self, options: dict, loglevel: str):
        import pocketsphinx

        decoder = pocketsphinx.Decoder(**{"lm": None, "bestpath": False, "wip": self.tuning.wip, "loglevel": loglevel,
                                          **options})
        # The model's feat.params (e.g. "-remove_noise yes") overrides a setting passed at its default value;
        # set such ones again and rebuild the front end so they take.
        overridden = {key: value for key, value in options.items() if decoder.config[key] != value}
        if overridden:
            for key, value in overridden.items():
                decoder.config[key] = value
            decoder.reinit_feat()
        for word, phones in self.tuning.variants:
            decoder.add_word(word, phones, False)
        return decoder

    # --- whole utterances

    def decide(self, pcm: bytes, rate: int, context: str, channels: int = 1) -> Decision:
        """What a 16-bit utterance (any rate; `channels` interleaved) meant in `context`."""
        if rate != RATE or channels != 1:
            pcm = to_mono_16k(pcm, rate, channels).tobytes()
        self.begin(context)
        self.feed(pcm)
        return self.end()

    # --- as live

    def begin(self, context: str) -> None:
        if context not in CUE_PHRASES:
            raise ValueError(f"unknown context {context!r}; one of {', '.join(CONTEXTS)}")
        self._context = context
        self._pcm = []
        self._decoder.activate_search(f"{context}_open")
        self._decoder.start_utt()

    def feed(self, pcm16k: bytes) -> None:
        self._pcm.append(pcm16k)
        if not self.tuning.whole_utterance:
            self._decoder.process_raw(pcm16k, False, False)

    def end(self) -> Decision:
        context = self._context
        if self.tuning.whole_utterance:
            self._decoder.process_raw(self._heard(), False, True)
        self._decoder.end_utt()
        words = self._words()
        phrases = self.phrases[context]
        rejected = not words or " ".join(words) not in phrases
        text = " ".join(words) if not rejected else _show(words)
        if context in OPEN_CONTEXTS:
            if not rejected and self._speech_beside_words_ms() > MAX_LOUD_SILENCE_MS:
                rejected, text = True, text + " (within other speech)"
            cue = None if rejected else phrases.get(text)
            unsure = cue is not None and any(w in CONFUSABLE for w in words)
            return Decision(cue, text, None, unsure)
        forced_words = words
        if rejected:
            forced_words = self._forced(context)
        forced = " ".join(forced_words)
        cue = phrases.get(forced)
        unsure = rejected or any(w in CONFUSABLE for w in forced_words)
        return Decision(cue, forced if cue is not None else text, None, unsure if cue is not None else True)

    def _forced(self, context: str) -> list[str]:
        """The words of the forced choice among the context's cues ([] when no path reached the end)."""
        self._decoder.activate_search(f"{context}_forced")
        self._decoder.start_utt()
        self._decoder.process_raw(self._heard(), False, True)
        self._decoder.end_utt()
        return self._words()

    def _heard(self) -> bytes:
        """The utterance as the decoder is given it: over the noise floor, if any."""
        pcm = b"".join(self._pcm)
        if self._floor is None:
            return pcm
        import numpy as np

        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        floor = np.resize(self._floor, len(x))
        return np.clip(np.round(x + floor), -32768, 32767).astype("<i2").tobytes()

    def _speech_beside_words_ms(self) -> int:
        """Milliseconds of loud audio that the decoder labelled silence or filler, not a word."""
        import numpy as np

        x = np.frombuffer(b"".join(self._pcm), dtype="<i2").astype(np.float64)
        n = len(x) // 160
        if n == 0:
            return 0
        energy = 10 * np.log10((x[: n * 160].reshape(n, 160) ** 2).mean(axis=1) + 1.0)
        floor = np.percentile(energy, 10)  # steady noise (a fan, a hum) is not speech, however loud
        loud = (energy >= energy.max() - LOUD_DB) & (energy >= floor + ABOVE_FLOOR_DB)
        for seg in self._decoder.seg() or []:
            if not seg.word.startswith(("<", "[", "(")) and seg.start_frame >= 0:
                loud[seg.start_frame:seg.end_frame + 1] = False
        return int(loud.sum()) * 10

    def _words(self) -> list[str]:
        hyp = self._decoder.hyp()
        if hyp is None or not hyp.hypstr:
            return []
        return [w for w in hyp.hypstr.split() if not w.startswith("<") and not w.startswith("[")]


def _pink_floor(rms: float, seconds: int = 4):
    """A fixed stretch of pink noise with the given RMS (seeded, so decisions are repeatable)."""
    import numpy as np

    n = RATE * seconds
    spectrum = np.fft.rfft(np.random.default_rng(0).standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    pink = np.fft.irfft(spectrum / np.sqrt(f), n)
    return pink * (rms / np.sqrt(np.mean(pink ** 2)))


def _show(words: list[str]) -> str:
    out: list[str] = []
    for w in words:
        w = "<other>" if w.startswith(GARBAGE_PREFIX) else w  # distractor words are shown as heard
        if not (out and out[-1] == w == "<other>"):
            out.append(w)
    return " ".join(out)


# ----------------------------------------------------------------------------------------------
# Files, streamed as if live

LEAD_MS = 300  # silence before the file's audio, so the detector sees the speech start
TAIL_MS = 1000  # silence after it, so the detector can see the speech end


def pad_stream(samples, lead_ms: int = LEAD_MS, tail_ms: int = TAIL_MS, seed: int = 0, own_floor: bool = False):
    """The file's 16 kHz samples between stretches of quiet: 1 LSB of dither (not digital zero).

    With `own_floor`, noise at the recording's own floor instead (its quietest tenth of 10 ms frames),
    as a live microphone would go on around a word; the benchmark measures both (bench_cues.py
    --own-floor), and the halves of the recordings disagree on which does better (RECOGNITION.md)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lead_n, tail_n = RATE * lead_ms // 1000, RATE * tail_ms // 1000
    if not own_floor:
        return np.concatenate([rng.integers(-1, 2, lead_n), samples, rng.integers(-1, 2, tail_n)]).astype(np.int16)
    x = np.asarray(samples, dtype=np.float64)
    n = len(x) // 160
    rms = max(1.0, float(np.percentile(np.sqrt((x[: n * 160].reshape(n, 160) ** 2).mean(axis=1)), 10))) if n else 1.0
    lead, tail = (np.clip(np.round(rng.normal(0, rms, k)), -32768, 32767) for k in (lead_n, tail_n))
    return np.concatenate([lead, x, tail]).astype(np.int16)


def hear_stream(samples, context: str, recognizer: Recognizer, trailing_ms: int = TRAILING_MS, mode: int = 3,
                chunk_ms: int = 20) -> dict:
    """Streams 16 kHz int16 samples through endpointer and recogniser as if live.

    Returns the first utterance that gave a cue (else the last one heard): cue, text, confidence,
    unsure, speech_end_ms (detector), decided_ms (stream position at the end of speech plus the
    silence wait plus the time the decision took), compute_ms (all processing time), and vad.
    Times are this thread's CPU time, so a machine busy with other work does not inflate them.
    """
    t0 = time.thread_time()
    state = {"open": False}

    def on_start(preroll: bytes):
        recognizer.begin(context)
        recognizer.feed(preroll)
        state["open"] = True

    ep = Endpointer(trailing_ms=trailing_ms, mode=mode, on_start=on_start, on_frame=recognizer.feed)
    pcm = samples.tobytes()
    step = RATE * chunk_ms // 1000 * 2
    result = None

    def close(u: Utterance) -> dict:
        t_end = time.thread_time()
        decision = recognizer.end()
        state["open"] = False
        final_ms = (time.thread_time() - t_end) * 1000
        return {"cue": decision.cue, "text": decision.text, "confidence": decision.confidence,
                "unsure": decision.unsure, "speech_end_ms": u.end_ms,
                "decided_ms": round(u.decided_at_ms + final_ms)}

    for i in range(0, len(pcm), step):
        for u in ep.feed(pcm[i:i + step]):
            result = close(u)
            if result["cue"] is not None:
                break
        else:
            if state["open"] and not ep.in_speech:  # a click too short to be an utterance
                recognizer._decoder.end_utt()
                state["open"] = False
            continue
        break
    else:
        for u in ep.flush():
            result = close(u)
    if state["open"]:
        recognizer._decoder.end_utt()
    if result is None:
        result = {"cue": None, "text": "", "confidence": None, "unsure": False, "speech_end_ms": None,
                  "decided_ms": None}
    result["compute_ms"] = round((time.thread_time() - t0) * 1000, 1)
    result["vad"] = ep.vad_name
    return result


def load_file(path: str | os.PathLike):
    """A WAV file as 16 kHz mono int16 samples; raises AudioError."""
    pcm, rate, channels = read_wav(path)
    return to_mono_16k(pcm, rate, channels)


def hear_file(path: str | os.PathLike, context: str = "navigation", recognizer: Recognizer | None = None,
              trailing_ms: int = TRAILING_MS) -> dict:
    """`voicecoach hear` for one file: its JSON fields, or {"file", "error"}; never raises."""
    name = os.fspath(path)
    try:
        samples = load_file(path)
    except AudioError as e:
        return {"file": name, "error": str(e)}
    except Exception as e:  # noqa: BLE001 - one line per bad file, the others still run
        return {"file": name, "error": f"cannot read: {type(e).__name__}: {e}".splitlines()[0]}
    recognizer = recognizer or Recognizer()
    out = hear_stream(pad_stream(samples), context, recognizer, trailing_ms=trailing_ms)
    return {"file": name, "cue": out["cue"], "text": out["text"], "confidence": out["confidence"],
            "speech_end_ms": _file_ms(out["speech_end_ms"]), "decided_ms": _file_ms(out["decided_ms"]),
            "compute_ms": out["compute_ms"]}


def _file_ms(stream_ms: int | None) -> int | None:
    """A position in the padded stream as milliseconds from the start of the file's own audio."""
    return None if stream_ms is None else stream_ms - LEAD_MS
