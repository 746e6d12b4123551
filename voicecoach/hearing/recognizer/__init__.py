"""Offline spoken-cue recognition: a voice-activity endpointer and the cue engines (Whisper, PocketSphinx).

The recogniser listens only for what makes sense at the moment (a *context*), with one small grammar
per context. One module a concept: the cues and grammars (vocabulary), audio files and rates (audio),
cutting a stream into utterances (endpointer), what an engine decides (engine), the PocketSphinx
engine (pocketsphinx_engine), the Whisper engine (whisper_engine, with its features in log_mel, its
transcript read in transcript, its weights checked in whisper_model), which engine listens (choice)
and hearing files as if live (hearing); callers import from here. Nothing heavy (numpy, PocketSphinx,
webrtcvad, ctranslate2, tokenizers) is imported until a function needs it.
"""

from voicecoach.hearing.recognizer.audio import (
    RATE,
    AudioError,
    load_file,
    read_wav,
    resample,
    resampling_reach,
    resampling_taps,
    stream_file,
    to_mono_16k,
)
from voicecoach.hearing.recognizer.choice import ENGINES, describe, make_engine
from voicecoach.hearing.recognizer.endpointer import TRAILING_MS, Endpointer, Utterance, endpoint, make_vad
from voicecoach.hearing.recognizer.engine import CueEngine, Decision
from voicecoach.hearing.recognizer.hearing import LEAD_MS, TAIL_MS, hear_file, hear_stream, pad_stream
from voicecoach.hearing.recognizer.pocketsphinx_engine import (
    ABOVE_FLOOR_DB,
    LOUD_DB,
    MAX_LOUD_SILENCE_MS,
    Recognizer,
    Tuning,
)
from voicecoach.hearing.recognizer.vocabulary import (
    CONFUSABLE,
    CONTEXTS,
    CUE_PHRASES,
    DISTRACTORS,
    GARBAGE_PREFIX,
    NUMBER_WORDS,
    OPEN_CONTEXTS,
    PHONES,
)

__all__ = [
    "ENGINES", "describe", "make_engine",
    "RATE", "AudioError", "load_file", "read_wav", "stream_file", "resample", "resampling_reach", "resampling_taps", "to_mono_16k",
    "TRAILING_MS", "Endpointer", "Utterance", "endpoint", "make_vad",
    "LEAD_MS", "TAIL_MS", "hear_file", "hear_stream", "pad_stream",
    "ABOVE_FLOOR_DB", "LOUD_DB", "MAX_LOUD_SILENCE_MS", "CueEngine", "Decision", "Recognizer", "Tuning",
    "CONFUSABLE", "CONTEXTS", "CUE_PHRASES", "DISTRACTORS", "GARBAGE_PREFIX", "NUMBER_WORDS", "OPEN_CONTEXTS",
    "PHONES",
]
