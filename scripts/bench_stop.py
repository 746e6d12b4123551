#!/usr/bin/env python3
"""Benchmark of the safety word: is a recorded "stop" heard at every moment, and is nothing else taken for one?

For each context a session listens in (navigation, turn, rating, answer: every moment uses one of
them, DESIGN.md's stop rule needs "stop" in all), it decodes every recording in ../shared/speech/words
as `voicecoach hear` does, and prints per half of the speakers (tune, report; quote the report half):

- stop caught: recorded "stop" decided as stop;
- stop as answer: recorded "stop" taken as a sure number, yes or no (it would count unasked);
- answers as stop: recorded numbers, yes and no decided as stop (target <= 0.5 %);
- other as stop: every other recorded word decided as stop.

    PYTHONPATH=. python scripts/bench_stop.py [--engine whisper|pocketsphinx|both] [--noise 10] [--jobs 2]

With --noise N, pink noise at N dB SNR is mixed under each word first. bench_cues.py runs this too.
"""

from __future__ import annotations

import argparse
import os
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SPEECH = HERE.parent.parent / "shared" / "speech" / "words"
CONTEXTS = ("navigation", "turn", "rating", "answer")
ANSWERS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "yes", "no"}
TARGET = "stop caught >= 95 % in every context; numbers, yes or no taken for a stop <= 0.5 %"

_ENGINE = None


def make_engine(name: str):
    """The cue engine to measure, by name; an engine that cannot be had here ends the run in one line."""
    from voicecoach.hearing.recognizer.choice import make_engine as engine_named

    try:
        engine, note = engine_named(name)
    except ValueError as error:
        raise SystemExit(f"bench_stop: {error}") from None
    if engine.name != name:
        raise SystemExit(f"bench_stop: {note}")
    return engine


def _init(engine_name: str):
    global _ENGINE
    _ENGINE = make_engine(engine_name)


def _decide(job):
    """(word, half, context, cue, unsure) for one recording in one context."""
    import numpy as np

    from voicecoach.hearing.recognizer import hear_stream, load_file, pad_stream

    path, word, half, context, snr_db = job
    samples = load_file(path)
    if snr_db is not None:
        from bench_cues import pink_noise, speech_power

        rng = np.random.default_rng(zlib.crc32(str(path).encode()))
        x = samples.astype(np.float64)
        noise = pink_noise(len(x), rng) * np.sqrt(speech_power(x) / 10 ** (snr_db / 10))
        samples = np.clip(np.round(x + noise), -32768, 32767).astype(np.int16)
    out = hear_stream(pad_stream(samples), context, _ENGINE)
    return word, half, context, out["cue"], out["unsure"]


def jobs(snr_db):
    from bench_cues import half_of, speaker_of

    for word_dir in sorted(SPEECH.iterdir()):
        for path in sorted(word_dir.glob("*.wav")):
            half = half_of(speaker_of(path.name))
            for context in CONTEXTS:
                yield str(path), word_dir.name, half, context, snr_db


def report(results, engine_name: str, condition: str) -> list[str]:
    from bench_cues import fmt

    lines = [f"Stop, {engine_name}, {condition} (target: {TARGET})",
             f"  {'half':<7}{'context':<11}{'stop caught':<28}{'stop as sure answer':<28}"
             f"{'answers as stop':<28}{'other as stop'}"]
    for half in ("report", "tune"):
        for context in CONTEXTS:
            mine = [r for r in results if r[1] == half and r[2] == context]
            stops = [r for r in mine if r[0] == "stop"]
            answers = [r for r in mine if r[0] in ANSWERS]
            others = [r for r in mine if r[0] != "stop" and r[0] not in ANSWERS]
            caught = sum(r[3] == "stop" for r in stops)
            as_answer = sum(r[3] not in ("stop", None) and not r[4] for r in stops)
            lines.append(f"  {half:<7}{context:<11}{fmt(caught, len(stops)):<28}{fmt(as_answer, len(stops)):<28}"
                         f"{fmt(sum(r[3] == 'stop' for r in answers), len(answers)):<28}"
                         f"{fmt(sum(r[3] == 'stop' for r in others), len(others))}")
    return lines


def run(engine_name: str = "pocketsphinx", snr_db: float | None = None, processes: int = 2) -> list[str]:
    """Decode everything and return the printed lines."""
    work = list(jobs(snr_db))
    with ProcessPoolExecutor(processes, initializer=_init, initargs=(engine_name,)) as pool:
        results = list(pool.map(_decide, work, chunksize=16))
    condition = "clean" if snr_db is None else f"pink noise at {snr_db:g} dB SNR"
    return report(results, engine_name, condition)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="both", choices=("whisper", "pocketsphinx", "both"))
    parser.add_argument("--noise", type=float, default=None, help="pink noise at this SNR in dB")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    if not SPEECH.is_dir():
        raise SystemExit(f"bench_stop: no recordings at {SPEECH}")
    for engine in ("whisper", "pocketsphinx") if args.engine == "both" else (args.engine,):
        print("\n".join(run(engine, args.noise, args.jobs)), flush=True)


if __name__ == "__main__":
    main()
