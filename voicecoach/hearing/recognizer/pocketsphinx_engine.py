"""The PocketSphinx engine: one long-lived decoder with a forced-choice and a garbage grammar per context.

- open contexts (navigation, turn): a rejected utterance gives cue None;
- closed contexts (rating, answer): the forced choice among the cue words is always given, with
  `unsure=True` when the garbage grammar rejects it or the word is easily confused (three/tree,
  six/sick, no/go), so the caller confirms ("I heard seven. Is that right?").

Everything engine-specific sits behind `CueEngine` (`decide(pcm16k, context) -> Decision`), so a second
offline engine can be added later; `Recognizer` is the PocketSphinx one. pocketsphinx and numpy are
imported only when a decoder is made or audio is measured.
"""

from __future__ import annotations

import dataclasses
import time

from voicecoach.hearing.recognizer.audio import RATE
from voicecoach.hearing.recognizer.engine import Decision, whole_utterance
from voicecoach.hearing.recognizer.vocabulary import (
    CONFUSABLE,
    CONTEXTS,
    CUE_PHRASES,
    DISTRACTORS,
    GARBAGE_PREFIX,
    OPEN_CONTEXTS,
    PHONES,
    STOP,
    _grammar,
    _show,
)

# A cue counts in the open contexts only as a whole utterance: speech the decoder put down as
# silence beside the cue word means the grammar forced a longer phrase onto the cue (our own voice
# saying "busy weeks happen to everyone" came out as "stop" with 1.2 s of loud "silence").
LOUD_DB = 15  # a 10 ms frame within this of the utterance's loudest frame is speech,
ABOVE_FLOOR_DB = 6  # if it is also this far above the utterance's quietest tenth
MAX_LOUD_SILENCE_MS = 300


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


class Recognizer:
    """One long-lived PocketSphinx decoder with a forced-choice and a garbage grammar per context.

    `decide(pcm, rate, context)` for a whole utterance; or, as live, `begin(context)`, `feed(pcm16k)`
    while the utterance is spoken, then `end() -> Decision` when the endpointer closes it.
    """

    name = "pocketsphinx"
    prompt = None  # the line just spoken: Whisper uses it, these grammars have no use for it

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
        return whole_utterance(self, pcm, rate, context, channels)

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
        if rejected and forced == STOP:  # a stop must be heard, never guessed: the moment stays open
            return Decision(None, text, None, True)
        cue = phrases.get(forced)
        unsure = rejected or any(w in CONFUSABLE for w in forced_words)
        return Decision(cue, forced if cue is not None else text, None, unsure if cue is not None else True)

    def cancel(self) -> None:
        """Drop the utterance begun (a click too short to be a word)."""
        self._decoder.end_utt()
        self._pcm = []

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
