"""Hearing cues: typed lines, single key presses, and spoken words from a microphone or recordings.

One module a kind of source (typed, sources, spoken, combined) and the microphone check (mic_check);
callers import from here. Every source reads in a background thread into a small buffer, wakes the
runner, and hands a cue over only when the session asks with the cues that make sense at that moment
(`take`). Nothing heavy (numpy, PocketSphinx, PyAudio) is imported until a source needs it.

May import: voice (what is playing, for the echo canceller), cues, errors.
"""

from voicecoach.hearing.combined import AnyOf
from voicecoach.hearing.mic_check import check_microphone, level_dbfs
from voicecoach.hearing.sources import CHUNK_MS, PLAYLIST_GAP_MS, Microphone, Recordings
from voicecoach.hearing.spoken import MUTE_TAIL_SECONDS, SpokenCues, context_for, heard_from, stops_heard_while_saying
from voicecoach.hearing.typed import Keys, TypedCues

__all__ = [
    "AnyOf",
    "check_microphone", "level_dbfs",
    "CHUNK_MS", "PLAYLIST_GAP_MS", "Microphone", "Recordings",
    "MUTE_TAIL_SECONDS", "SpokenCues", "context_for", "heard_from", "stops_heard_while_saying",
    "Keys", "TypedCues",
]
