"""Taking a partner's takes of the cue words: from recordings, or live from the microphone.

A take is cut to its spoken part with the recogniser's Endpointer, checked (not silent, not too
quiet, not clipped, not cut off, long enough) and reduced to MFCCs; only those are kept.
"""

from __future__ import annotations

import math
import os
import threading
import time

import numpy as np

from voicecoach.errors import VoicecoachError
from voicecoach.hearing.recognizer import RATE, AudioError, Endpointer, load_file, pad_stream
from voicecoach.profile import features

TAKES = 3
TAKES_OWN_WORD = 5  # a word of their own (--as) is heard through its takes alone: 3 caught ~60 %, 5 ~80 %
QUIET_DBFS = -40.0  # a take whose loudest sample is below this is too quiet to learn from
SILENT_DBFS = -66.0  # ... and below this, there is nothing in it at all
CLIPPED_SAMPLES = 10  # this many samples at full scale: the microphone was overdriven
CLIP_LEVEL = 32000
CUT_OFF_DB = 6.0  # the recording ends while the word is still this loud: cut off
MARGIN_MS = 100  # kept either side of what the voice-activity detector calls speech


class TakeError(VoicecoachError):
    """A take that cannot be learned from; the message says why in a few words."""


def cepstra_of(samples: np.ndarray, cut_off: bool = False) -> np.ndarray:
    """The MFCCs of the word in a take (16 kHz int16), or TakeError saying what is wrong with it."""
    samples = np.asarray(samples, dtype=np.int16)
    spoken = _spoken_part(samples)
    peak = _peak_dbfs(samples if spoken is None else spoken)
    if spoken is None and not SILENT_DBFS <= peak < QUIET_DBFS:
        raise TakeError("no speech in it (silent or too short)")
    if peak < QUIET_DBFS:
        raise TakeError(f"too quiet (peak {peak:.0f} dBFS): speak closer to the microphone")
    if int((np.abs(spoken.astype(np.int32)) >= CLIP_LEVEL).sum()) >= CLIPPED_SAMPLES:
        raise TakeError("clipped (too loud): speak a little further from the microphone")
    if cut_off or _runs_off_the_end(samples):
        raise TakeError("cut off: the word was still going when the recording ended")
    cepstra = features.cepstra(spoken)
    if len(cepstra) < features.MIN_FRAMES:
        raise TakeError("too short to be a word")
    return cepstra


def _peak_dbfs(samples: np.ndarray) -> float:
    return 20 * math.log10(max(1, int(np.abs(samples.astype(np.int32)).max(initial=0))) / 32768)


def _spoken_part(samples: np.ndarray) -> np.ndarray | None:
    """From the first utterance's start to the last one's end, as the Endpointer hears them."""
    cuts = []
    endpointer = Endpointer(preroll_ms=0)
    stream = pad_stream(samples).tobytes()
    for utterance in list(endpointer.feed(stream)) + list(endpointer.flush()):
        cuts.append((utterance.start_ms, utterance.end_ms))
    if not cuts:
        return None
    padded = np.frombuffer(stream, dtype=np.int16)
    start, end = max(0, cuts[0][0] - MARGIN_MS), cuts[-1][1] + MARGIN_MS  # soft consonants at the edges
    return padded[start * RATE // 1000:end * RATE // 1000]


def _runs_off_the_end(samples: np.ndarray) -> bool:
    x = samples.astype(np.float64)
    n = len(x) // 320
    if n < 3:
        return False
    energy = 10 * np.log10((x[:n * 320].reshape(n, 320) ** 2).mean(axis=1) + 1.0)
    return energy[-1] >= energy.max() - CUT_OFF_DB


def takes_from_files(files) -> list[np.ndarray]:
    """MFCCs of each recording; the first bad one raises TakeError naming its file."""
    out = []
    for file in files:
        name = os.fspath(file)
        try:
            out.append(cepstra_of(load_file(file)))
        except AudioError as error:
            raise TakeError(f"{name}: {error}") from None
        except TakeError as error:
            raise TakeError(f"{name}: {error}") from None
    return out


# ---- live, from a microphone (or recordings standing in for one) ----------------------------

LISTEN_SECONDS = 6.0  # how long to wait for one take before asking again


def listen_for_take(source, on_level=lambda level: None, seconds: float = LISTEN_SECONDS) -> np.ndarray:
    """One take from a live source (ears.Microphone or ears.Recordings): the first utterance heard,
    checked; TakeError if nothing came, or it was too quiet, clipped or cut off."""
    from voicecoach.hearing import level_dbfs

    source.open_window()
    stop = threading.Event()
    endpointer = Endpointer(preroll_ms=200, max_ms=3000)
    started = time.monotonic()
    taken = None
    heard_anything = False
    for chunk in source.chunks(stop):
        level = level_dbfs(chunk)
        on_level(level)
        heard_anything |= level > QUIET_DBFS - 10
        for utterance in endpointer.feed(chunk):
            taken = utterance
        if taken is not None or time.monotonic() - started >= seconds or source.finished:
            break
    stop.set()
    if taken is None:
        taken = next(iter(endpointer.flush()), None)
        if taken is not None:
            raise TakeError("cut off: the word was still going when listening stopped")
        raise TakeError("nothing heard" + ("" if heard_anything else " (is the microphone on?)"))
    cut_off = (taken.end_ms - taken.start_ms) >= endpointer.max_frames * Endpointer.FRAME_MS - 40
    samples = np.frombuffer(taken.pcm, dtype=np.int16)
    return cepstra_of(np.concatenate([samples, np.zeros(RATE // 10, dtype=np.int16)]), cut_off=cut_off)
