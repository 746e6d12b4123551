"""Speaking: text to 22050 Hz mono 16-bit PCM, played through one sink at real-time pace.

May import: exercise (the chime names), errors.
"""

from voicecoach.exercise import CHIMES
from voicecoach.voice.chimes import CHIME_TAIL_SECONDS, chime_frames
from voicecoach.voice.engine import GENDERS, RENDER_TIMEOUT_SECONDS, VoiceInfo
from voicecoach.voice.frames import CHUNK_FRAMES, SAMPLE_RATE, AudioUnavailable, read_wav, resample, scale
from voicecoach.voice.player import OnDone, Player
from voicecoach.voice.sinks import FIRST_SOUND_ENV, DeviceSink, Sink, WavFileSink
from voicecoach.voice.streams import close_stream, open_stream
from voicecoach.voice.synthesizer import Synthesizer, UnknownVoice
from voicecoach.voice.voices import (
    RATE_MAX_WPM,
    RATE_MIN_WPM,
    RATE_STEP_WPM,
    VOLUME_MAX,
    VOLUME_MIN,
    VOLUME_STEP,
    TextVoice,
    Voice,
    open_voice,
)

__all__ = [
    "CHIMES", "CHIME_TAIL_SECONDS", "chime_frames",
    "GENDERS", "RENDER_TIMEOUT_SECONDS", "VoiceInfo",
    "CHUNK_FRAMES", "SAMPLE_RATE", "AudioUnavailable", "read_wav", "resample", "scale",
    "OnDone", "Player",
    "FIRST_SOUND_ENV", "DeviceSink", "Sink", "WavFileSink",
    "close_stream", "open_stream",
    "Synthesizer", "UnknownVoice",
    "RATE_MAX_WPM", "RATE_MIN_WPM", "RATE_STEP_WPM", "VOLUME_MAX", "VOLUME_MIN", "VOLUME_STEP",
    "TextVoice", "Voice", "open_voice",
]
