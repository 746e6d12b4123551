"""Hearing cues: typed lines, single key presses, and spoken words from a microphone or recordings."""

from voicecoach.ears.spoken import (CHUNK_MS, MUTE_TAIL_SECONDS, PLAYLIST_GAP_MS, AnyOf, Keys, Microphone, Recordings,
                                    SpokenCues, TypedCues, _split_keys, check_microphone, context_for, heard_from,
                                    level_dbfs, stops_heard_while_saying)
