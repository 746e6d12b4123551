"""Hearing files as if live: a file's samples, padded with quiet, streamed through the endpointer and
the recogniser in 20 ms chunks (`voicecoach hear` and the benchmarks)."""

from __future__ import annotations

import os
import time

from voicecoach.hearing.recognizer.audio import RATE, AudioError, stream_file
from voicecoach.hearing.recognizer.endpointer import TRAILING_MS, Endpointer, Utterance
from voicecoach.hearing.recognizer.pocketsphinx_engine import Recognizer

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
    silence wait plus the time the decision took), decode_ms (the decision's own time, once speech
    ended), compute_ms (all processing time), and vad.
    Times are this process's CPU time, so a machine busy with other work does not inflate them (not the
    thread's: CTranslate2 decodes in threads of its own).
    """
    t0 = time.process_time()
    state = {"open": False}

    def on_start(preroll: bytes):
        recognizer.begin(context)
        recognizer.feed(preroll)
        state["open"] = True

    ep = Endpointer(trailing_ms=trailing_ms, mode=mode, on_start=on_start, on_frame=recognizer.feed)
    step = RATE * chunk_ms // 1000 * 2
    result = None

    def close(u: Utterance) -> dict:
        t_end = time.process_time()
        decision = recognizer.end()
        state["open"] = False
        final_ms = (time.process_time() - t_end) * 1000
        return {"cue": decision.cue, "text": decision.text, "confidence": decision.confidence,
                "unsure": decision.unsure, "speech_end_ms": u.end_ms,
                "decided_ms": round(u.decided_at_ms + final_ms), "decode_ms": round(final_ms, 1)}

    try:
        for chunk in _chunks(samples, step):
            for u in ep.feed(chunk):
                result = close(u)
                if result["cue"] is not None:
                    break
            else:
                if state["open"] and not ep.in_speech:  # a click too short to be an utterance
                    recognizer.cancel()
                    state["open"] = False
                continue
            break
        else:
            for u in ep.flush():
                result = close(u)
    finally:  # a file that fails half-way leaves the recogniser ready for the next one
        if state["open"]:
            recognizer.cancel()
    if result is None:
        result = {"cue": None, "text": "", "confidence": None, "unsure": False, "speech_end_ms": None,
                  "decided_ms": None, "decode_ms": None}
    result["compute_ms"] = round((time.process_time() - t0) * 1000, 1)
    result["vad"] = ep.vad_name
    return result


def _chunks(samples, step: int):
    """chunk_ms of 16-bit bytes at a time from an int16 array, or from an iterable of them (a file
    read a block at a time); the last chunk may be short."""
    blocks = [samples] if hasattr(samples, "tobytes") else samples
    left = b""
    for block in blocks:
        pcm = left + block.tobytes()
        whole = len(pcm) - len(pcm) % step
        for i in range(0, whole, step):
            yield pcm[i:i + step]
        left = pcm[whole:]
    if left:
        yield left


def padded_file(path, lead_ms: int = LEAD_MS, tail_ms: int = TAIL_MS, seed: int = 0):
    """pad_stream of a whole file, read a block at a time: the same samples, in blocks. The file is
    checked (AudioError) at once, before any block is asked for."""
    import numpy as np

    blocks = stream_file(path)
    rng = np.random.default_rng(seed)
    lead = rng.integers(-1, 2, RATE * lead_ms // 1000).astype(np.int16)

    def padded():
        yield lead
        heard = 0
        for block in blocks:
            heard += len(block)
            yield block
        if not heard:
            raise AudioError("the file holds no audio")
        yield rng.integers(-1, 2, RATE * tail_ms // 1000).astype(np.int16)

    return padded()


def hear_file(path: str | os.PathLike, context: str = "navigation", recognizer: Recognizer | None = None,
              trailing_ms: int = TRAILING_MS) -> dict:
    """`voicecoach hear` for one file: its JSON fields, or {"file", "error"}; never raises."""
    name = os.fspath(path)
    try:
        stream = padded_file(path)
    except AudioError as e:
        return {"file": name, "error": str(e)}
    except Exception as e:  # noqa: BLE001 - one line per bad file, the others still run
        return {"file": name, "error": f"cannot read: {type(e).__name__}: {e}".splitlines()[0]}
    recognizer = recognizer or Recognizer()
    try:
        out = hear_stream(stream, context, recognizer, trailing_ms=trailing_ms)
    except AudioError as e:  # met while reading on: a damaged or empty stretch of the file
        return {"file": name, "error": str(e)}
    return {"file": name, "engine": getattr(recognizer, "name", None), "context": context, "cue": out["cue"],
            "unsure": out["unsure"], "text": out["text"], "confidence": out["confidence"],
            "speech_end_ms": _file_ms(out["speech_end_ms"]), "decided_ms": _file_ms(out["decided_ms"]),
            "compute_ms": out["compute_ms"]}


def _file_ms(stream_ms: int | None) -> int | None:
    """A position in the padded stream as milliseconds from the start of the file's own audio."""
    return None if stream_ms is None else stream_ms - LEAD_MS
