#!/usr/bin/env python3
"""Benchmark of spoken-cue recognition on real voices (../shared/speech/words), as `voicecoach hear` runs it.

Recordings are split by speaker: the tuning half (used to choose the recogniser's knobs) and the
reporting half (voices it was not tuned on; the figures to quote). For each context it prints, per
cue word, hits and false accepts on non-cue words with 95 % Wilson intervals; latency from the
detector's end of speech to the decision; real-time factor on one core; load time; peak memory;
then again with 10 dB SNR pink noise and with babble mixed from non-cue words; then recorded "stop"
words under the assistant's own espeak voice (heard through a simulated room) at 0, -6 and -12 dB,
through the half-duplex path of ears/spoken.py, with and without its echo canceller; then the cue words
with no recordings, on synthetic speech: espeak, and flite's voices when flite is installed (plumbing only).

    PYTHONPATH=. python scripts/bench_cues.py [--engine whisper|pocketsphinx|both] [--split report|tune|all]
                                               [--quick] [--jobs 2]

Both engines are measured by default, one after the other on the same streams, with a side-by-side
summary; Whisper is given the line a session would just have said (PROMPTS). `--stop` reports the
safety word alone, per context (scripts/bench_stop.py); `--enrolled`, a couple's enrolled profile.

The whole run decodes ~3,600 streams: about 5 minutes on two free cores (--quick: about 1 minute);
the assistant's own voice, five ways (without and with the echo canceller, cold, misaligned), takes
about 20 minutes more on one core (--own-speech-only runs it alone).
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import re
import resource
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SPEECH = HERE.parent.parent / "shared" / "speech" / "words"

NON_CUE = ["bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow", "left", "right", "up", "down", "on", "off"]
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
# Which recorded words are cues in which context, and what they should give.
RECORDED_CUES = {
    "navigation": {"go": "next", "stop": "stop"},
    "turn": {"stop": "stop"},
    "rating": {w: i for i, w in enumerate(DIGITS)},
    "answer": {"yes": "yes", "no": "no"},
}
ALL_CUES = {
    "navigation": ["next", "pause", "resume", "repeat", "skip", "slower", "faster", "louder", "quieter", "stop"],
    "turn": ["done", "stop", "pause"],
    "rating": list(range(11)),
    "answer": ["yes", "no"],
}
TARGETS = {
    "answer": "right >= 95 %",
    "rating": "right >= 90 % before confirmation",
    "navigation": "caught >= 80 % with false accepts <= 3 %",
    "turn": "(no target of its own; stop as in navigation)",
}
CONDITIONS = ("clean", "pink10", "babble10")


def speaker_of(name: str) -> str:
    m = re.match(r"sc1_([0-9a-f]+)_nohash_\d+\.wav$", name) or re.match(r"fsdd_([a-z]+)_\d+\.wav$", name)
    return m.group(1) if m else name


def half_of(speaker: str) -> str:
    """Deterministic split by speaker id; the two FSDD speakers go one to each half."""
    if speaker == "george":
        return "tune"
    if speaker == "jackson":
        return "report"
    return "tune" if zlib.crc32(speaker.encode()) % 2 == 0 else "report"


def contexts_in(condition: str, contexts: list[str]) -> list[str]:
    """In noise, turn is left out: its only recorded cue, stop, is measured in navigation (saves a quarter)."""
    return [c for c in contexts if condition == "clean" or c != "turn" or contexts == ["turn"]]


def negatives(context: str, words: list[str]) -> list[str]:
    if context in ("navigation", "turn"):
        return [w for w in words if w not in RECORDED_CUES[context]]
    if context == "rating":
        return list(NON_CUE)
    return list(NON_CUE) + DIGITS  # answer


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def fmt(k: int, n: int) -> str:
    if n == 0:
        return "   -/-  "
    lo, hi = wilson(k, n)
    return f"{k:3d}/{n:<3d} {100 * k / n:5.1f} % [{100 * lo:4.1f}-{100 * hi:5.1f}]"


def pct(values, q):
    if not values:
        return math.nan
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


# ------------------------------------------------------------------------------------------------
# Noise


def pink_noise(n: int, rng):
    import numpy as np

    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(white)
    f = np.arange(len(spectrum))
    f[0] = 1
    pink = np.fft.irfft(spectrum / np.sqrt(f), n)
    return pink / (np.sqrt(np.mean(pink ** 2)) + 1e-12)


def speech_power(x) -> float:
    """Mean power of the 20 ms frames within 30 dB of the loudest one (the spoken part)."""
    import numpy as np

    x = x.astype(np.float64)
    n = len(x) // 320
    if n == 0:
        return float(np.mean(x ** 2) + 1e-9)
    frames = x[: n * 320].reshape(n, 320)
    p = (frames ** 2).mean(axis=1)
    return float(p[p >= p.max() / 1000].mean() + 1e-9)


def speech_end_reference(x) -> int:
    """Energy-based end of the spoken word in a clean clip (ms from its start): last 10 ms frame within 30 dB of the peak."""
    import numpy as np

    x = x.astype(np.float64)
    n = len(x) // 160
    p = (x[: n * 160].reshape(n, 160) ** 2).mean(axis=1)
    loud = np.nonzero(p >= p.max() / 1000)[0]
    return int((loud[-1] + 1) * 10) if len(loud) else 0


_BABBLE_POOL = None


def babble(n: int, rng, pool_paths):
    """Several non-cue words from other speakers, overlapped at random offsets, unit power."""
    import numpy as np

    from voicecoach.hearing.recognizer import load_file

    global _BABBLE_POOL
    if _BABBLE_POOL is None:
        _BABBLE_POOL = [load_file(p).astype(np.float64) for p in pool_paths]
        _BABBLE_POOL = [c / math.sqrt(speech_power(c)) for c in _BABBLE_POOL]
    out = np.zeros(n)
    for _ in range(max(6, n // 2000)):
        clip = _BABBLE_POOL[rng.integers(len(_BABBLE_POOL))]
        start = int(rng.integers(-len(clip) // 2, n))
        a, b = max(0, start), min(n, start + len(clip))
        if b > a:
            out[a:b] += clip[a - start:b - start]
    return out / (math.sqrt(np.mean(out ** 2)) + 1e-12)


# ------------------------------------------------------------------------------------------------
# One worker: decode a list of (context, word, path) under one condition


_RECOGNIZER = None

# The line a session has just said when each context listens (from the built-in exercises): Whisper is
# given it as previous text, as ears/spoken.py does; PocketSphinx ignores it.
PROMPTS = {
    "navigation": "Let's be quiet together for a moment. Say next when you are ready.",
    "turn": "Sam, share one thing you appreciated today. Say 'I'm done' when you are finished.",
    "rating": "Sam, how close do you feel right now, from zero to ten?",
    "answer": "Have you chosen one topic to talk about? Say yes or no.",
}


def make_engine(engine: str, tuning_kwargs: dict, model: str | None = None):
    """The engine benchmarked: PocketSphinx with these knobs, or Whisper (the installed model, or `model`)."""
    from voicecoach.hearing.recognizer import Recognizer, Tuning

    if engine == "pocketsphinx":
        return Recognizer(Tuning(**tuning_kwargs))
    from voicecoach.hearing.recognizer.whisper_engine import WhisperEngine

    return WhisperEngine(model)


def _init(tuning_kwargs, engine="pocketsphinx", model=None):
    global _RECOGNIZER
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[os.getpid() % len(os.sched_getaffinity(0))]})
    except (AttributeError, OSError):
        pass
    _RECOGNIZER = make_engine(engine, tuning_kwargs, model)


def _run(job):
    import numpy as np

    from voicecoach.hearing.recognizer import LEAD_MS, RATE, hear_stream, load_file, pad_stream

    context, word, path, condition, snr_db, babble_paths, trailing_ms, own_floor = job
    try:
        samples = load_file(path)
    except Exception as e:  # noqa: BLE001
        return {"context": context, "word": word, "path": path, "error": str(e)}
    stream = pad_stream(samples, own_floor=own_floor)
    if condition != "clean":
        rng = np.random.default_rng(zlib.crc32(f"{path}{condition}".encode()))
        noise = pink_noise(len(stream), rng) if condition.startswith("pink") else babble(len(stream), rng, babble_paths)
        gain = math.sqrt(speech_power(samples) / 10 ** (snr_db / 10))
        stream = np.clip(stream + noise * gain, -32768, 32767).astype(np.int16)
    _RECOGNIZER.prompt = PROMPTS[context]
    out = hear_stream(stream, context, _RECOGNIZER, trailing_ms=trailing_ms)
    out.update(context=context, word=word, path=path, audio_ms=1000 * len(stream) / RATE,
               ref_end_ms=LEAD_MS + speech_end_reference(samples),
               rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


# ------------------------------------------------------------------------------------------------
# The assistant's own voice: "stop" said over it, heard through the half-duplex path of ears/spoken.py

OWN_LEVELS_DB = (0, -6, -12)  # the assistant's speech against the spoken "stop", speech power to speech power


def own_lines(per_exercise: int, n_exercises: int) -> list[str]:
    """Spoken lines of the built-in exercises (the first few of each, names filled in), without "stop"."""
    from voicecoach import exercise as ex
    from voicecoach.config import Settings
    from voicecoach.session import script

    names = Settings().names()
    out = []
    for path in ex.builtin_files()[:n_exercises]:
        spoken = [text for marker, text in script.lines(ex.load_file(path), names) if not marker]
        out += [t for t in spoken if "stop" not in t.lower()][:per_exercise]
    return out


def render_16k(synthesizer, text: str, voice: str | None = None):
    import numpy as np

    from voicecoach.hearing.recognizer import to_mono_16k
    from voicecoach.voice import SAMPLE_RATE

    if voice is not None:
        synthesizer.voice_id = voice
    return to_mono_16k(synthesizer.render(text), SAMPLE_RATE).astype(np.float64)


ROOM_NOISE_DB = -40  # pink noise under our voice as the microphone hears it: a quiet room
# How the canceller is given our voice: not at all (as before), lined up, or with its clock off by 20 ms.
# "cold": the session's first line, the canceller has heard nothing of ours before the stop's line.
REFERENCES = {"without canceller": None, "with canceller": 0.0, "cold (first line)": 0.0,
              "reference 20 ms late": 0.02, "reference 20 ms early": -0.02}


def played_stream(frames: bytes, offset_seconds: float):
    """What the player wrote, chunk by chunk, stamped on the recording's clock (plus an error)."""
    from voicecoach.voice import CHUNK_FRAMES
    from voicecoach.voice.played import Played

    played = Played(keep_seconds=len(frames) / 2 / 22050 + 2)
    frames = bytes(2 * 22050) + frames  # a second of quiet before the recording starts, as the player writes
    for k, start in enumerate(range(0, len(frames), 2 * CHUNK_FRAMES)):
        played.wrote(frames[start:start + 2 * CHUNK_FRAMES], k * CHUNK_FRAMES / 22050 - 1.0 + offset_seconds)
    return played


def through_room(frames: bytes, index: int):
    """Our voice as the microphone hears it in room `index` (seeded): 10-60 ms away, RT60 0.3 s,
    over a little pink noise; a second of the room's tail after it."""
    import numpy as np

    from voicecoach.hearing.echo import room_response
    from voicecoach.hearing.recognizer import to_mono_16k
    from voicecoach.voice import SAMPLE_RATE

    rng = np.random.default_rng(1000 + index)
    room = room_response(rng, delay_ms=rng.uniform(10, 60))
    voice = np.concatenate([to_mono_16k(frames, SAMPLE_RATE).astype(np.float64), np.zeros(16000)])
    echo = np.convolve(voice, room)[:len(voice)]
    noise = pink_noise(len(echo), rng) * math.sqrt(speech_power(echo) * 10 ** (ROOM_NOISE_DB / 10))
    return echo + noise


def canceller_cpu(streams) -> float:
    """CPU seconds the canceller takes per second of audio (one core), over (mic, played) pairs."""
    import numpy as np

    from voicecoach.hearing.echo import OwnVoiceRemoval

    spent = audio = 0.0
    for mic, played in streams:
        removal = OwnVoiceRemoval(played)
        pcm = np.clip(mic, -32768, 32767).astype(np.int16).tobytes()
        t = time.process_time()
        for start in range(0, len(pcm) - 639, 640):
            removal.clean(pcm[start:start + 640], (start + 640) / 32000)
        spent += time.process_time() - t
        audio += len(mic) / 16000
    return spent / audio


def own_speech(recognizer, stop_paths: list[str], quick: bool) -> None:
    """Print stops caught over the assistant's own speech, heard through a simulated room, at several
    levels, with and without the echo canceller; and stops it heard in itself."""
    import numpy as np

    from voicecoach.hearing import stops_heard_while_saying
    from voicecoach.hearing.recognizer import load_file
    from voicecoach.voice import Synthesizer

    synthesizer = Synthesizer()
    lines = own_lines(1 if quick else 2, 4 if quick else 19)
    rendered = [synthesizer.render(line) for line in lines]
    # Each line comes after the one before it (the canceller has heard one line of ours first, as
    # in a session), in a room of its own.
    warm = [(f"{lines[i - 1]} {lines[i]}", rendered[i - 1] + rendered[i], len(rendered[i - 1]) // 2)
            for i in range(len(lines))]
    cold = [(lines[i], rendered[i], 0) for i in range(len(lines))]
    pairs_said, heard = warm, [through_room(frames, i) for i, (_, frames, _) in enumerate(warm)]
    references = {name: offset for name, offset in REFERENCES.items()
                  if not quick or name in ("without canceller", "with canceller")}
    print(f"\n=== the assistant's own speech (espeak, {len(lines)} lines of the built-in exercises, each after "
          f"the one before, {sum(len(h) for h in heard) / 16000:.0f} s), heard through a simulated room "
          f"(10-60 ms, RT60 0.3 s, pink noise {ROOM_NOISE_DB} dB), through the 'stop while speaking' path ===")
    print(f"  canceller CPU: {canceller_cpu([(h, played_stream(f, 0.0)) for h, (_, f, _) in zip(heard, pairs_said)]):.3f}"
          " s per second of audio (one core)")
    rng = np.random.default_rng(7)
    per_stop = 2 if quick else 4  # each recorded stop under a few lines, different lines for each
    mixes = [(p, (k * per_stop + j) % len(lines)) for k, p in enumerate(stop_paths) for j in range(per_stop)]
    placed = {}
    for path, i in mixes:  # the same stop at the same moment of the line, whether it comes warm or cold
        stop = load_file(path).astype(np.float64)
        into = int(rng.integers(0, max(1, len(through_room(rendered[i], i)) - 16000 - len(stop))))
        placed[path, i] = (stop, into)
    alone_stops = sum(stops_heard_while_saying("", np.concatenate([np.zeros(8000), load_file(p), np.zeros(16000)])
                                               .astype(np.int16).tobytes(), recognizer) >= 1 for p in stop_paths)
    print(f"  the same recorded stops with no voice of ours, through this path: {fmt(alone_stops, len(stop_paths))}")
    for name, offset in references.items():
        pairs_said = cold if name.startswith("cold") else warm
        heard = [through_room(frames, i) for i, (_, frames, _) in enumerate(pairs_said)]
        played = [None if offset is None else played_stream(f, offset) for _, f, _ in pairs_said]
        alone = sum(stops_heard_while_saying(words, np.clip(h, -32768, 32767).astype(np.int16).tobytes(),
                                             recognizer, played[i])
                    for i, ((words, _, _), h) in enumerate(zip(pairs_said, heard)))
        row = []
        for level in OWN_LEVELS_DB:
            caught = false = 0
            for path, i in mixes:
                stop, into = placed[path, i]
                at = round(pairs_said[i][2] * 16000 / 22050) + into
                gain = math.sqrt(speech_power(stop) / speech_power(heard[i]) * 10 ** (level / 10))
                mix = heard[i] * gain
                mix[at:at + len(stop)] += stop
                n = stops_heard_while_saying(pairs_said[i][0], np.clip(mix, -32768, 32767).astype(np.int16).tobytes(),
                                             recognizer, played[i])
                caught += n >= 1
                false += max(0, n - 1)
            row.append(f"{level:+3d} dB {fmt(caught, len(mixes))} (+{false})")
        print(f"  {name:>22}: stops in our speech alone {alone}/{len(lines)};  'stop' said with our voice at "
              + ";  ".join(row))
    print("  (lines that say 'stop' themselves mute the stop listener while they play; not mixed here;"
          " (+n): extra stops in a mix)")


# ------------------------------------------------------------------------------------------------
# Cue words with no recordings: espeak speech, as plumbing only

SYNTHETIC = {
    "navigation": ["next", "go on", "forward", "continue", "pause", "resume", "repeat", "skip", "slower", "faster",
                   "louder", "quieter"],
    "turn": ["i'm done", "i'm finished", "pause"],
    "rating": ["ten"],
}
SYNTH_VOICES = ("gmw/en-us", "gmw/en", "gmw/en-gb-x-rp")
ROOM_NOISE_LSB = 30  # a quiet room's noise floor, about -60 dBFS: a whole-utterance mean needs some


def synthetic(recognizer) -> None:
    import flite_voices
    import numpy as np

    from voicecoach.hearing.recognizer import CUE_PHRASES, hear_stream, pad_stream
    from voicecoach.voice import Synthesizer

    print("\n=== cue words with no recordings, on synthetic speech over a -60 dBFS noise floor "
          "(plumbing only, not accuracy) ===")
    synthesizer = Synthesizer()
    speakers = [(f"espeak {voice}", lambda text, voice=voice: render_16k(synthesizer, text, voice))
                for voice in SYNTH_VOICES]
    if flite_voices.available():
        speakers += [(f"flite {voice} x{stretch}",
                      lambda text, voice=voice, stretch=stretch: flite_voices.render(text, voice, stretch))
                     for voice in flite_voices.VOICES for stretch in flite_voices.STRETCHES]
    else:
        print("  (flite is not installed: espeak only; `apt install flite` adds four more human-like voices)")
    rng = np.random.default_rng(3)
    for context, phrases in SYNTHETIC.items():
        row = {}
        for phrase in phrases:
            for name, say in speakers:
                stream = pad_stream(say(phrase).astype(np.int16)).astype(np.float64)
                stream += rng.normal(0, ROOM_NOISE_LSB, len(stream))  # no microphone gives digital silence
                out = hear_stream(np.clip(stream, -32768, 32767).astype(np.int16), context, recognizer)
                got = row.setdefault(phrase, {}).setdefault(name.split()[0], [])
                got.append(out["cue"] == CUE_PHRASES[context][phrase])
        for engine in ("espeak", "flite"):
            counts = [f"{phrase} {sum(by[engine])}/{len(by[engine])}" for phrase, by in row.items() if engine in by]
            if counts:
                print(f"  {context}, {engine}: " + ", ".join(counts))


# ------------------------------------------------------------------------------------------------


def collect(split: str, quick: bool):
    words = sorted(p.name for p in SPEECH.iterdir() if p.is_dir())
    files = {}
    for w in words:
        paths = sorted((SPEECH / w).glob("*.wav"))
        paths = [p for p in paths if split == "all" or half_of(speaker_of(p.name)) == split]
        if quick:
            paths = paths[:4] if w in DIGITS else paths[:3]
        files[w] = [str(p) for p in paths]
    return words, files


def decoder_options(items: list[str], base) -> tuple:
    """KEY=VALUE items over a tuple of (key, value) settings."""
    options = dict(base)
    for item in items:
        key, _, value = item.partition("=")
        options[key.strip().lstrip("-")] = decoder_value(value.strip())
    return tuple(options.items())


def decoder_value(text: str):
    """'16' -> 16, '1e-5' -> 1e-05, 'false' -> False, anything else stays text (as PocketSphinx takes it)."""
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def report(results, conditions, contexts, errors: bool) -> dict:
    """Print one engine's figures per condition and context; returns (hits, n, false accepts, n) per
    (condition, context), with the decision's own time (p50, p95) per condition."""
    summary = {}
    for condition in conditions:
        print(f"\n=== {condition} ===")
        rs = [r for r in results if r["condition"] == condition and "error" not in r]
        for context in contexts_in(condition, contexts):
            cr = [r for r in rs if r["context"] == context]
            print(f"\n-- {context}: target {TARGETS[context]}")
            closed = context in ("rating", "answer")
            tot_hit = tot_n = tot_sure = 0
            for w, expected in RECORDED_CUES[context].items():
                wr = [r for r in cr if r["word"] == w]
                hit = sum(1 for r in wr if r["cue"] == expected)
                sure = sum(1 for r in wr if r["cue"] == expected and not r["unsure"])
                tot_hit += hit
                tot_n += len(wr)
                tot_sure += sure
                extra = f"   right & sure {fmt(sure, len(wr))}" if closed else ""
                print(f"  {w:>8} -> {expected!s:<5} {'right' if closed else 'caught'} {fmt(hit, len(wr))}{extra}")
                if errors:
                    for r in wr:
                        if r["cue"] != expected:
                            print(f"        miss {Path(r['path']).name}: {r['cue']!r} ({r['text']})")
            print(f"  {'ALL':>8}          {'right' if closed else 'caught'} {fmt(tot_hit, tot_n)}"
                  + (f"   right & sure {fmt(tot_sure, tot_n)}" if closed else ""))
            if closed:  # what a couple would find in the journal unasked: a wrong answer nobody was asked about
                wrong_sure = sum(1 for r in cr if r["word"] in RECORDED_CUES[context] and r["cue"] is not None
                                 and r["cue"] != RECORDED_CUES[context][r["word"]] and not r["unsure"])
                print(f"  {'':>8}          wrong & sure (kept without a check) {fmt(wrong_sure, tot_n)}")
            pos = [r for r in cr if r["word"] in RECORDED_CUES[context]]
            for source, label in (("sc1_", "Speech Commands, many speakers"), ("fsdd_", "FSDD, 8 kHz, one speaker")):
                sr = [r for r in pos if Path(r["path"]).name.startswith(source)]
                if sr and len(sr) < len(pos):
                    k = sum(1 for r in sr if r["cue"] == RECORDED_CUES[context][r["word"]])
                    print(f"  {'':>8}          of which {label}: {fmt(k, len(sr))}")
            neg = [r for r in cr if r["word"] not in RECORDED_CUES[context]]
            fa_any = sum(1 for r in neg if r["cue"] is not None)
            fa_sure = sum(1 for r in neg if r["cue"] is not None and not r["unsure"])
            by_word = collections.Counter(r["word"] for r in neg if r["cue"] is not None and
                                          (not closed or not r["unsure"]))
            if closed:
                print(f"  false accepts on non-cue words, taken without confirmation: {fmt(fa_sure, len(neg))}"
                      f"   (any answer: {fa_any}/{len(neg)})")
            else:
                print(f"  false accepts on non-cue words: {fmt(fa_any, len(neg))}")
            if by_word:
                print("    by word: " + ", ".join(f"{w} {n}" for w, n in by_word.most_common()))
            if errors:
                for r in neg:
                    if r["cue"] is not None and (not closed or not r["unsure"]):
                        print(f"        fa {r['word']} {Path(r['path']).name}: {r['cue']!r} ({r['text']})")
            summary[(condition, context)] = (tot_hit, tot_n, fa_sure if closed else fa_any, len(neg))
        lat = [r["decided_ms"] - r["speech_end_ms"] for r in rs if r["decided_ms"] is not None]
        lat_ref = [r["decided_ms"] - r["ref_end_ms"] for r in rs if r["decided_ms"] is not None]
        compute = sum(r["compute_ms"] for r in rs)
        audio = sum(r["audio_ms"] for r in rs)
        nothing = sum(1 for r in rs if r["speech_end_ms"] is None)
        print(f"\n  latency after the detector's end of speech: p50 {pct(lat, .5):.0f} ms, p95 {pct(lat, .95):.0f} ms"
              "   target p50 <= 300, p95 <= 500")
        print(f"  latency after the word's energy end (clean clip): p50 {pct(lat_ref, .5):.0f} ms, "
              f"p95 {pct(lat_ref, .95):.0f} ms")
        print(f"  real-time factor (one core, whole stream incl. padding): {compute / audio:.3f}   target <= 0.2;"
              f" no speech detected in {nothing}/{len(rs)}")
        decode = [r["decode_ms"] for r in rs if r.get("decode_ms") is not None]
        print(f"  the decision's own time once speech ended (CPU): p50 {pct(decode, .5):.0f} ms, "
              f"p95 {pct(decode, .95):.0f} ms")
        summary[(condition, "decode ms")] = (pct(decode, .5), pct(decode, .95))
    return summary


def main(argv=None) -> int:
    global SPEECH
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("report", "tune", "all"), default="report")
    ap.add_argument("--engine", choices=("whisper", "pocketsphinx", "both"), default="both",
                    help="which cue engine to measure; both: side by side")
    ap.add_argument("--model", default=None, help="another CTranslate2 Whisper model folder (e.g. base.en)")
    ap.add_argument("--quick", action="store_true", help="a few files per word, clean audio only")
    ap.add_argument("--contexts", default=",".join(RECORDED_CUES))
    ap.add_argument("--conditions", default=None, help=f"comma-separated of {', '.join(CONDITIONS)}")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--wip", type=float, default=None)
    ap.add_argument("--garbage", default=None, help="context=weight,... for the garbage alternative")
    ap.add_argument("--language-weight", default=None,
                    help="context=lw,... (a context left out takes the decoder's lw); '' for the decoder's everywhere")
    ap.add_argument("--trailing-ms", type=int, default=None)
    ap.add_argument("--no-distractors", action="store_true")
    ap.add_argument("--drop", default="", help="cue phrases to leave out, e.g. forward")
    ap.add_argument("--variant", action="append", default=[], help="an extra pronunciation, e.g. 'seven(2)=S EH V N'")
    ap.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                    help="a further PocketSphinx setting, e.g. topn=16 or remove_noise=false (repeatable)")
    ap.add_argument("--floor-rms", type=float, default=None, help="pink noise floor under what the decoder hears")
    ap.add_argument("--live-cmn", action="store_true", help="decode as the audio comes, with a running mean (the old way)")
    ap.add_argument("--errors", action="store_true", help="list every miss and false accept")
    ap.add_argument("--speech", type=Path, default=SPEECH, help="folder of <word>/*.wav recordings")
    ap.add_argument("--no-own-speech", action="store_true", help="skip the assistant's own speech and espeak parts")
    ap.add_argument("--own-speech-only", action="store_true", help="only 'stop' said over the assistant's own speech")
    ap.add_argument("--own-floor", action="store_true",
                    help="pad each file with noise at its own floor, as a live microphone goes on, not 1 LSB of dither")
    ap.add_argument("--synthetic-only", action="store_true", help="only the cue phrases nobody recorded (plumbing)")
    ap.add_argument("--enrolled", action="store_true",
                    help="with and without an enrolled voice profile (runs scripts/bench_enrolled.py)")
    ap.add_argument("--stop", action="store_true",
                    help="the safety word in every context: caught, and other words taken for it (runs scripts/bench_stop.py)")
    args = ap.parse_args(argv)
    if args.enrolled:
        import bench_enrolled

        return bench_enrolled.main(["--quick"] if args.quick else [])
    if args.stop:
        import bench_stop

        for engine in ("whisper", "pocketsphinx") if args.engine == "both" else (args.engine,):
            print("\n".join(bench_stop.run(engine, processes=args.jobs)), flush=True)
        return 0
    SPEECH = args.speech

    if not SPEECH.is_dir():
        print(f"no recordings at {SPEECH}", file=sys.stderr)
        return 2

    from voicecoach.hearing.recognizer import Tuning

    tuning_kwargs = {}
    if args.no_distractors:
        tuning_kwargs["distractors"] = False
    if args.drop:
        tuning_kwargs["dropped"] = tuple(args.drop.split(","))
    if args.variant:
        tuning_kwargs["variants"] = tuple(tuple(v.split("=", 1)) for v in args.variant)
    if args.live_cmn:
        tuning_kwargs.update(whole_utterance=False, options=())
    if args.option:
        tuning_kwargs["options"] = decoder_options(args.option, tuning_kwargs.get("options", Tuning().options))
    if args.language_weight is not None:
        tuning_kwargs["language_weight"] = tuple((k, float(v)) for k, v in
                                                 (item.split("=") for item in args.language_weight.split(",") if item))
    if args.floor_rms is not None:
        tuning_kwargs["floor_rms"] = args.floor_rms
    if args.trailing_ms is None:
        from voicecoach.hearing.recognizer import TRAILING_MS

        args.trailing_ms = TRAILING_MS
    if args.wip is not None:
        tuning_kwargs["wip"] = args.wip
    if args.garbage:
        base = dict(Tuning().garbage_weight)
        for item in args.garbage.split(","):
            k, v = item.split("=")
            base[k] = float(v)
        tuning_kwargs["garbage_weight"] = tuple(base.items())

    engines = ["pocketsphinx", "whisper"] if args.engine == "both" else [args.engine]
    tuning = Tuning(**tuning_kwargs)
    if args.own_speech_only:
        _, files = collect(args.split, args.quick)
        for engine in engines:
            print(f"\n##### {engine}")
            own_speech(make_engine(engine, tuning_kwargs, args.model), files.get("stop", []), args.quick)
        return 0
    if args.synthetic_only:
        for engine in engines:
            print(f"\n##### {engine}")
            synthetic(make_engine(engine, tuning_kwargs, args.model))
        return 0
    contexts = args.contexts.split(",")
    conditions = (args.conditions.split(",") if args.conditions else (["clean"] if args.quick else list(CONDITIONS)))
    words, files = collect(args.split, args.quick)
    babble_paths = [p for w in NON_CUE for p in files[w]]

    print(f"voicecoach cue benchmark: split={args.split}{' (quick)' if args.quick else ''}, "
          f"{sum(len(v) for v in files.values())} recordings, speakers: "
          f"{len({speaker_of(Path(p).name) for v in files.values() for p in v})}")
    for half in ("tune", "report"):
        ids = sorted({speaker_of(p.name) for p in SPEECH.glob("*/*.wav") if half_of(speaker_of(p.name)) == half})
        print(f"{half} speakers ({len(ids)}): {' '.join(ids)}")
    print(f"PocketSphinx tuning: wip={tuning.wip:g}, garbage={dict(tuning.garbage_weight)}, trailing silence "
          f"{args.trailing_ms} ms, decoder options {dict(tuning.options)}, language weight "
          f"{dict(tuning.language_weight)}, floor {tuning.floor_rms:g}, whole utterance {tuning.whole_utterance}, "
          f"extra pronunciations {len(tuning.variants)}")
    missing = [c for c in ("next", "pause", "resume", "repeat", "skip", "slower", "faster", "louder", "quieter",
                           "done") if not (SPEECH / c).is_dir()]
    print("cue words with no recordings (not measured here): " + ", ".join(missing)
          + "  (next measured through 'go')")

    jobs = []
    for condition in conditions:
        snr = 10.0
        for context in contexts_in(condition, contexts):
            for w in list(RECORDED_CUES[context]) + negatives(context, words):
                for p in files.get(w, []):
                    jobs.append((context, w, p, condition, snr, babble_paths, args.trailing_ms, args.own_floor))

    side = {}
    for engine in engines:
        t0 = time.perf_counter()
        made = make_engine(engine, tuning_kwargs, args.model)
        load_s = time.perf_counter() - t0
        from voicecoach.hearing.recognizer import describe

        print(f"\n##### {describe(made)}")
        del made
        print(f"load time (import + model + grammars or checksum): {load_s * 1000:.0f} ms   target <= 1000 ms")
        t_run = time.perf_counter()
        if args.jobs > 1:
            with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(tuning_kwargs, engine, args.model)) as ex:
                results = list(ex.map(_run, jobs, chunksize=8))
        else:
            _init(tuning_kwargs, engine, args.model)
            results = [_run(j) for j in jobs]
        wall = time.perf_counter() - t_run
        for r, j in zip(results, jobs):
            r["condition"] = j[3]
        summary = report(results, conditions, contexts, args.errors)
        worker_mb = max((r.get("rss_mb", 0) for r in results), default=0)
        print(f"\npeak memory of a worker (model loaded, decoding): {worker_mb:.0f} MB; wall {wall:.0f} s")
        print(f"VAD: {results[0].get('vad', '?') if results else '?'}")
        side[engine] = (summary, load_s, worker_mb)

    print("\nsummary, side by side (right or caught / n; false accepts / n, in closed contexts only those taken "
          "without confirmation):")
    print(f"  {'':>9} {'':>10}  " + "  ".join(f"{engine:>34}" for engine in engines))
    for key in side[engines[0]][0]:
        condition, context = key
        cells = []
        for engine in engines:
            value = side[engine][0].get(key)
            if context == "decode ms":
                cells.append(f"{f'p50 {value[0]:.0f} ms, p95 {value[1]:.0f} ms':>34}")
            else:
                h, n, fa, nn = value
                cells.append(f"{100 * h / max(n, 1):5.1f} % of {n:<4} FA {100 * fa / max(nn, 1):4.1f} % of {nn:<4}")
        print(f"  {condition:>9} {context:>10}  " + "  ".join(f"{c:>34}" for c in cells))
    print(f"  {'load':>9} {'':>10}  " + "  ".join(f"{f'{side[e][1] * 1000:.0f} ms':>34}" for e in engines))
    print(f"  {'peak RSS':>9} {'':>10}  " + "  ".join(f"{f'{side[e][2]:.0f} MB':>34}" for e in engines))
    if not args.no_own_speech:
        for engine in engines:
            print(f"\n##### {engine}")
            rec = make_engine(engine, tuning_kwargs, args.model)
            own_speech(rec, files.get("stop", []), args.quick)
            synthetic(rec)
    return 0

if __name__ == "__main__":
    sys.exit(main())
