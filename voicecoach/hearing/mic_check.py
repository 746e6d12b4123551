"""`voicecoach mic` and the doctor's check: how loud the room is, and what the recogniser hears in it."""

import threading
import time


def level_dbfs(chunk: bytes) -> float:
    """Loudness of a chunk, in dB below full scale (-90 for digital silence)."""
    import math
    from array import array

    samples = array("h", chunk)
    if not samples:
        return -90.0
    rms = math.sqrt(sum(x * x for x in samples) / len(samples))
    return max(-90.0, 20 * math.log10(rms / 32768)) if rms else -90.0


def check_microphone(source, recognizer, seconds: float, on_level, on_heard, calibrate_seconds: float = 1.0):
    """Listen for a while: report the level of each chunk, the room's noise (its first second),
    and what each utterance was heard as. Returns the noise level in dBFS."""
    from voicecoach.hearing.recognizer import Endpointer

    stop = threading.Event()
    endpointer = Endpointer()
    noise, started = [], time.monotonic()
    for chunk in source.chunks(stop):
        elapsed = time.monotonic() - started
        level = level_dbfs(chunk)
        if elapsed < calibrate_seconds:
            noise.append(level)
        on_level(level, elapsed)
        for utterance in endpointer.feed(chunk):
            on_heard(recognizer.decide(utterance.pcm, 16000, "navigation"))
        if elapsed >= seconds or source.finished:
            stop.set()
            break
    for utterance in endpointer.flush():
        on_heard(recognizer.decide(utterance.pcm, 16000, "navigation"))
    source.close()
    return sorted(noise)[len(noise) // 2] if noise else -90.0
