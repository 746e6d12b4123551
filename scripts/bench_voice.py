"""Benchmark what a listener hears: time to first speech, stop latency, and breathing pacing.

Every figure is measured at the sink. LoggingSink is voice.WavFileSink (a WAV written in real
time: each write returns when its audio would have finished playing) that also logs, for every
chunk the Player hands it, (time.monotonic() when the write returned, index of its first frame,
number of frames, offset of its first loud sample or None). Loud means |sample| > 500. A chunk
started sounding at (write returned - its own duration).

1. First speech. A fresh child process calls runner.run_exercise(..., text_cues=True,
   time_scale=0, log=False, solo="A", audio_out=<tmp wav>) with the sink patched in and a stdin
   that types "stop" once speech is heard. Measured from just before run_exercise to the first
   loud chunk of speech (loud chunks written after the first Voice.speak call; the opening chime
   comes before) and to the first loud chunk of any kind. Two exercises: box-breathing (chime, then
   speech) and a one-step `say: Hello.`. Median of 5, each in a new (cold) process. The start cost
   of the process is the median of 5 `python -m voicecoach --version`; their sum is "command to
   first speech". As a check, the whole spawn-to-first-speech time of the child is also given
   (CLOCK_MONOTONIC is shared between processes on Linux).
2. Stop latency. A Runner with a real Voice speaks one ~6 s line (then another step). Scripted
   ears wake the runner and hand over Heard(STOP, KEY) at a random moment 0.3-4 s after the first
   loud chunk, recording when. Latency = end of the last loud chunk - hand-over. Negative: the
   voice was already between words when the cue came.
3. Pacing. A breathe step alone (4/4/4/4, 10 rounds), real time. A phase word's onset is a loud
   chunk after >= 200 ms of quiet, at its first loud sample minus that word's own lead-in (measured
   by rendering the word alone), i.e. when the word's first sample reached the sink. The schedule
   is first onset + 4 s x k; error per phase, and drift = error of the last onset - error of the first.

Usage: PYTHONPATH=. python scripts/bench_voice.py [--quick]   (10 stop trials, 3 breathing rounds)
VOICECOACH_HOME is set to a temporary folder unless already set.
"""

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("VOICECOACH_HOME"):
    os.environ["VOICECOACH_HOME"] = tempfile.mkdtemp(prefix="voicecoach-bench-home-")
TMP = Path(tempfile.mkdtemp(prefix="voicecoach-bench-"))

from voicecoach import config, exercise, runner, voice  # noqa: E402
from voicecoach import session as S  # noqa: E402
from voicecoach.cues import Cue, Heard, Source  # noqa: E402

SR = voice.SAMPLE_RATE
LOUD = 500
NAMES = {"A": "Sam", "B": "Alex"}
LONG_LINE = "Let us take a slow moment together. Notice your feet on the floor, and your hands at rest."


class LoggingSink(voice.WavFileSink):
    def __init__(self, path, realtime=True):
        super().__init__(path, realtime)
        self.log = []  # (t_end, first_frame, frames, loud_offset or None)
        self.first_loud = None  # start time of the first loud chunk
        self._frame = 0

    def write(self, frames):
        samples = array("h", frames)
        loud = None
        if samples and max(map(abs, samples)) > LOUD:
            loud = next(i for i, s in enumerate(samples) if abs(s) > LOUD)
        super().write(frames)
        t = time.monotonic()
        self.log.append((t, self._frame, len(samples), loud))
        self._frame += len(samples)
        if loud is not None:
            if self.first_loud is None:
                self.first_loud = t - len(samples) / SR
            self.loud_written(t)

    def loud_written(self, t):
        pass


class QuietView:
    def start(self): pass
    def said(self, text): pass
    def chime(self, name): pass
    def heard(self, word): pass
    def note(self, text): pass
    def update(self, view, now): pass
    def close(self): pass


class NoEars:
    exhausted = False

    def start(self, wake): pass
    def take(self, accepted, waiting=True): return None
    def drop_stuck(self, accepted): pass
    def close(self): pass


class StopEars(NoEars):
    """Hands over a keyed stop `delay` seconds after the sink's first loud chunk."""

    def __init__(self, sink, delay):
        self.sink, self.delay = sink, delay
        self.handed = None
        self._closed = threading.Event()

    def start(self, wake):
        def tick():
            while self.sink.first_loud is None and not self._closed.wait(0.002):
                pass
            if self.sink.first_loud is not None:
                time.sleep(max(0.0, self.sink.first_loud + self.delay - time.monotonic()))
            while self.handed is None and not self._closed.is_set():
                wake()
                time.sleep(0.005)

        threading.Thread(target=tick, daemon=True).start()

    def take(self, accepted, waiting=True):
        start = self.sink.first_loud
        if (self.handed is None and start is not None and Cue.STOP in accepted
                and time.monotonic() >= start + self.delay):
            self.handed = time.monotonic()
            return Heard(Cue.STOP, None, Source.KEY)
        return None

    def close(self):
        self._closed.set()


def load_yaml(name, steps):
    path = TMP / f"{name}.yaml"
    path.write_text(f"id: {name}\ntitle: {name}\nminutes: 5\nsteps:\n{steps}", encoding="utf-8")
    return exercise.load_file(path)


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


# ---- 1. first speech -----------------------------------------------------------------------

def first_speech_child(ref):
    """One run in this (fresh) process; prints absolute monotonic times as JSON."""
    ex = exercise.find(ref) if ref == "box-breathing" else load_yaml("hello", '  - say: "Hello."\n')
    speech_called, sinks, speaking = [], [], threading.Event()

    class Sink(LoggingSink):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            sinks.append(self)

        def loud_written(self, t):
            if speech_called and t > speech_called[0]:
                speaking.set()

    class Voice(voice.Voice):
        def speak(self, text, on_done=None):
            speech_called.append(time.monotonic())
            super().speak(text, on_done)

    class StopOnceSpeaking:
        def isatty(self):
            return False

        def __iter__(self):
            speaking.wait(30)
            yield "stop\n"

    voice.WavFileSink, voice.Voice = Sink, Voice
    sys.stdin = StopOnceSpeaking()
    from rich.console import Console

    console = Console(file=io.StringIO())
    t_call = time.monotonic()
    outcome = runner.run_exercise(ex, config.Settings(), text_cues=True, time_scale=0, log=False, solo="A",
                                  audio_out=TMP / "first.wav", console=console)
    loud = [(t - n / SR) for t, _, n, off in sinks[0].log if off is not None]
    speech = [(t - n / SR) for t, _, n, off in sinks[0].log if off is not None and t > speech_called[0]]
    print(json.dumps({"call": t_call, "sound": loud[0], "speech": speech[0], "outcome": outcome}))


def bench_first_speech(runs=5):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    version = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "voicecoach", "--version"], env=env, check=True, capture_output=True)
        version.append(time.monotonic() - t0)
    v = statistics.median(version)
    print(f"process start (python -m voicecoach --version): median {ms(v)} of {runs}")
    for ref in ("box-breathing", "hello"):
        rows = []
        for _ in range(runs):
            t_spawn = time.monotonic()
            out = subprocess.run([sys.executable, __file__, "--first-speech-child", ref], env=env, check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            rows.append((r["sound"] - r["call"], r["speech"] - r["call"], r["speech"] - t_spawn))
        sound, speech, spawn = (statistics.median(col) for col in zip(*rows))
        print(f"{ref}: run_exercise -> first sound {ms(sound)}, -> first speech sample {ms(speech)} "
              f"(median of {runs}, each a cold process; speech runs: {', '.join(ms(r[1]) for r in rows)})")
        print(f"{ref}: command to first speech sample = {ms(v)} + {ms(speech)} = {ms(v + speech)}; "
              f"measured spawn of child to first speech: median {ms(spawn)}")


# ---- 2. stop latency -------------------------------------------------------------------------

def bench_stop(trials, seed=1):
    ex = load_yaml("stop", f'  - say: "{LONG_LINE}"\n  - say: "This line must never be heard."\n')
    print(f"stop: spoken line lasts {len(voice.Synthesizer().render(LONG_LINE)) / 2 / SR:.1f} s; "
          f"{trials} trials, cue 0.3-4 s after speech starts (seed {seed})")
    rng = random.Random(seed)
    latencies = []
    for i in range(trials):
        sink = LoggingSink(TMP / "stop.wav")
        v = voice.Voice(sink, None, 160, 0.9)
        ears = StopEars(sink, rng.uniform(0.3, 4.0))
        try:
            outcome = runner.Runner(S.Session(ex, NAMES), v, ears, QuietView()).run()
        finally:
            v.close()
        assert outcome is S.Outcome.STOPPED and ears.handed is not None, (i, outcome)
        last_loud = max(t for t, _, _, off in sink.log if off is not None)
        latencies.append(last_loud - ears.handed)
    early = sum(lat <= 0 for lat in latencies)
    print(f"stop latency (last loud chunk end - cue hand-over): p50 {ms(pct(latencies, 50))}, "
          f"p90 {ms(pct(latencies, 90))}, max {ms(max(latencies))}, min {ms(min(latencies))}; "
          f"{early} of {trials} cues fell where the voice was already quiet")


# ---- 3. pacing --------------------------------------------------------------------------------

def bench_pacing(rounds):
    ex = load_yaml("pace", f"  - breathe: {{in: 4, hold: 4, out: 4, hold_after: 4, rounds: {rounds}}}\n")
    sink = LoggingSink(TMP / "pace.wav")
    v = voice.Voice(sink, None, 160, 0.9)
    words = ["Breathe in", "Hold", "Breathe out", "Hold"]
    lead = {}
    for word in set(words):
        samples = array("h", voice.scale(v.synthesizer.render(word), v.volume))
        lead[word] = next(i for i, s in enumerate(samples) if abs(s) > LOUD) / SR
    print(f"pacing: {rounds} rounds of 4/4/4/4 in real time ({rounds * 16} s); word lead-ins "
          + ", ".join(f"{w} {lead[w] * 1000:.1f} ms" for w in sorted(lead)))
    try:
        runner.Runner(S.Session(ex, NAMES), v, NoEars(), QuietView()).run()
    finally:
        v.close()
    onsets, quiet = [], 1.0
    for t, _, n, off in sink.log:
        if off is None:
            quiet += n / SR
            continue
        if quiet >= 0.2:
            k = len(onsets)
            onsets.append(t - n / SR + off / SR - lead[words[k % 4]])
        quiet = 0.0
    if len(onsets) != 4 * rounds:
        print(f"pacing: WARNING found {len(onsets)} onsets, expected {4 * rounds}")
    errors = [onset - (onsets[0] + 4.0 * k) for k, onset in enumerate(onsets)]
    absolute = [abs(e) for e in errors]
    print(f"pacing error per phase over {len(onsets)} onsets: mean |error| {statistics.mean(absolute) * 1000:.1f} ms, "
          f"max |error| {max(absolute) * 1000:.1f} ms; drift (last - first) {(errors[-1] - errors[0]) * 1000:.1f} ms; "
          f"range {min(errors) * 1000:.1f} .. {max(errors) * 1000:.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 stop trials and 3 breathing rounds")
    parser.add_argument("--first-speech-child", metavar="REF", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_speech_child:
        first_speech_child(args.first_speech_child)
        return
    t0 = time.monotonic()
    print(f"VOICECOACH_HOME={os.environ['VOICECOACH_HOME']}; files in {TMP}")
    bench_first_speech()
    bench_stop(10 if args.quick else 50)
    bench_pacing(3 if args.quick else 10)
    print(f"total {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
