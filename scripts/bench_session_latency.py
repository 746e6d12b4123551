#!/usr/bin/env python3
"""Benchmark of spoken-cue latency inside a running session: from the end of a recorded word to the
moment the session engine (Session.heard) receives the cue, for each cue engine.

A real Runner performs a 40-step exercise (yes/no questions and 0-10 ratings, alternating) with a
TextVoice at --time-scale (no sound card), a PlainView writing to memory, no journal, and as ears
SpokenCues over Recordings of report-half voices from ../shared/speech/words (scripts/bench_cues.py's
split). Each time the session opens a listening window the next clip is chosen for that moment: a
digit for a rating, yes or no for a question, and for a read-back ("I heard seven. Is that right?")
yes when the word read back was right, else no; so one miss does not shift every later answer.

Latency = the monotonic time Session.heard got the cue - (the time the clip's first 20 ms chunk was
yielded by the source + the word's energy end in the clip: last 10 ms frame within 30 dB of the
peak). It includes the endpointer's trailing silence (TRAILING_MS) and any waiting in the runner;
"decision" is the wall time of the engine's own end() (decide() ends with it) for that clip. Each
engine runs in a process of its own (the script calls itself), one after the other, so peak RSS
(ru_maxrss: loading included) is its own.

    PYTHONPATH=. python scripts/bench_session_latency.py [--engine whisper|pocketsphinx|both]
                                                         [--steps 40] [--time-scale 0.05] [--clips]

About 3.5 minutes for both; --clips prints a line a clip. Nothing is downloaded; Whisper's model
must be installed already. No sound card is needed.
"""

from __future__ import annotations

import argparse
import collections
import io
import itertools
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_cues import DIGITS, SPEECH, half_of, pct, speaker_of, speech_end_reference  # noqa: E402

from voicecoach.cues import Cue  # noqa: E402
from voicecoach.hearing import PLAYLIST_GAP_MS, Recordings  # noqa: E402
from voicecoach.hearing.sources import Clip  # noqa: E402


def exercise_text(steps: int) -> str:
    """Questions and ratings by turns, each with a generous limit (the clip's own settling holds it too)."""
    lines = ["id: latency", "title: Latency", "minutes: 10", "steps:"]
    for i in range(steps):
        if i % 2 == 0:
            lines.append(f"  - ask: {{question: 'Question {i + 1}: shall we go on?', limit: 60}}")
        else:
            lines.append(f"  - rate: {{ask: 'How calm, {{speaker}}, from zero to ten?', key: calm{i}, "
                         f"who: A, limit: 60}}")
    return "\n".join(lines) + "\n"


def report_paths() -> dict[str, list[Path]]:
    """Each answer word's recordings by report-half speakers."""
    return {word: [p for p in sorted((SPEECH / word).glob("*.wav")) if half_of(speaker_of(p.name)) == "report"]
            for word in ["yes", "no", *DIGITS]}


class Answers(Recordings):
    """Recordings whose next clip is chosen for the moment when the session opens a window; each clip
    played is noted (word, when its first chunk was yielded, its speech end) in `played`."""

    def __init__(self, paths: dict[str, list[Path]], session):
        import numpy as np

        flat = [(word, path) for word, some in paths.items() for path in some]
        super().__init__([path for _, path in flat])
        self.pools = {word: [] for word in paths}
        for (word, path), clip in zip(flat, (clip.pcm for clip in self.clips)):
            end_ms = speech_end_reference(np.frombuffer(clip, dtype="<i2"))
            self.pools[word].append((path.name, clip, end_ms))
        for clips in self.pools.values():  # speakers by turns (FSDD's jackson has most digit files)
            taken, turns = collections.Counter(), {}
            for name, *_ in clips:
                taken[speaker_of(name)] += 1
                turns[name] = taken[speaker_of(name)]
            clips.sort(key=lambda clip: (turns[clip[0]], clip[0]))
        self.pools = {word: itertools.cycle(clips) for word, clips in self.pools.items()}
        self.clips = [Clip("", b"")]  # never empty: the session, not the playlist, decides when it ends
        self.session = session
        self.played: list[dict] = []
        self._asked = self._rated = 0

    def _word_for_moment(self) -> str | None:
        from voicecoach import session as S

        session = self.session
        if session.state is not S.State.RUNNING:  # "Shall we stop here?" after a misheard stop: silence
            return None
        if session.last_text.startswith("I heard"):  # a read-back: yes if what it heard was right
            return "yes" if self.played and self.played[-1].get("right") else "no"
        if Cue.NUMBER in session.accepted:
            self._rated += 1
            return DIGITS[(self._rated * 7) % 10]
        if Cue.YES in session.accepted:
            self._asked += 1
            return ("yes", "no")[self._asked % 2]
        return None

    def open_window(self):
        with self._lock:
            if self._playing or self._quiet_ms < PLAYLIST_GAP_MS:
                return
        word = self._word_for_moment()
        if word is None:
            return
        name, clip, end_ms = next(self.pools[word])
        with self._lock:
            self.played.append({"word": word, "name": name, "end_ms": end_ms, "bytes": len(clip),
                                "start": None, "heard_at": None, "decide_ms": 0.0})
            self._playing = memoryview(clip)

    def chunks(self, stop):
        for chunk in super().chunks(stop):
            now = time.monotonic()
            with self._lock:  # the clip's first chunk has been cut once what is left of it is shorter
                clip = self.played[-1] if self.played else None
                if clip and clip["start"] is None and len(self._playing) < clip["bytes"]:
                    clip["start"] = now
            yield chunk


def right(word: str, heard) -> bool:
    if word in DIGITS:
        return heard.cue is Cue.NUMBER and heard.number == DIGITS.index(word)
    return heard.cue is Cue(word)


def run_one(name: str, steps: int, time_scale: float, verbose: bool = False) -> None:
    """One engine, one session, in this process; prints its figures."""
    from bench_stop import make_engine
    from rich.console import Console

    from voicecoach import exercise as ex
    from voicecoach import session as S
    from voicecoach.hearing import SpokenCues
    from voicecoach.hearing.recognizer import TRAILING_MS, describe
    from voicecoach.runner import Runner
    from voicecoach.view import PlainView
    from voicecoach.voice import TextVoice

    t0 = time.perf_counter()
    engine = make_engine(name)
    load_s = time.perf_counter() - t0
    exercise = ex.load_text(exercise_text(steps), "latency.yaml")
    session = S.Session(exercise, {"A": "Sam", "B": "Alex"}, time_scale=time_scale, rng=random.Random(0))
    source = Answers(report_paths(), session)
    t0 = time.perf_counter()
    ears = SpokenCues(source, engine)  # with Whisper, PocketSphinx is loaded too: it hears stop over our voice
    stop_s = time.perf_counter() - t0

    real_end = engine.end

    def end():  # both engines' decide() ends with end(), so this times every decision
        started = time.perf_counter()
        try:
            return real_end()
        finally:
            if source.played:
                source.played[-1]["decide_ms"] += 1000 * (time.perf_counter() - started)

    engine.end = end
    real_heard = session.heard

    def heard(cue, now):
        at = time.monotonic()
        clip = source.played[-1] if source.played else None
        if clip and clip["heard_at"] is None and clip["start"] is not None:
            clip.update(heard_at=at, heard=cue, right=right(clip["word"], cue), unsure=cue.unsure)
        return real_heard(cue, now)

    session.heard = heard
    console = Console(file=io.StringIO(), width=120)
    runner = Runner(session, TextVoice(time_scale), ears, PlainView(console, exercise.title, show_keys=False))
    ears.playing = runner.playing_words
    t0 = time.perf_counter()
    outcome = runner.run()
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    clips = [c for c in source.played if c["start"] is not None]
    got = [c for c in clips if c["heard_at"] is not None]
    latency = [1000 * (c["heard_at"] - c["start"]) - c["end_ms"] for c in got]
    decide = [c["decide_ms"] for c in got]
    print(f"\n##### {describe(engine)}: {len(clips)} clips in a {steps}-step session, outcome {outcome.value}, "
          f"time scale {time_scale:g}, trailing silence {TRAILING_MS} ms")
    print(f"  decided right {sum(c.get('right', False) for c in got)} of {len(clips)} "
          f"({sum(c.get('unsure', False) for c in got)} unsure, read back); no cue reached the session "
          f"for {len(clips) - len(got)}")
    if latency:
        print(f"  latency, end of word -> Session.heard: p50 {pct(latency, .5):.0f} ms, "
              f"p95 {pct(latency, .95):.0f} ms, max {max(latency):.0f} ms "
              f"(first clip {latency[0]:.0f} ms, with the engine's first decode)")
        print(f"  decision's own time (engine end(), wall): p50 {pct(decide, .5):.0f} ms, "
              f"p95 {pct(decide, .95):.0f} ms, max {max(decide):.0f} ms")
    if verbose:
        for c in clips:
            said = f"{c['heard'].word}{' (unsure)' if c['unsure'] else ''}" if "heard" in c else "nothing"
            ms = f"{1000 * (c['heard_at'] - c['start']) - c['end_ms']:4.0f} ms" if "heard" in c else "   -   "
            print(f"    {c['word']:>5} {c['name']:<28} heard {said:<15} speech end {c['end_ms']:4d} ms, "
                  f"latency {ms}, decision {c['decide_ms']:4.0f} ms")
    print(f"  load {load_s:.2f} s (+{stop_s:.2f} s for the stop listener), peak RSS {peak_mb:.0f} MB, "
          f"session wall {wall:.1f} s", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=("whisper", "pocketsphinx", "both"), default="both")
    ap.add_argument("--steps", type=int, default=40, help="questions and ratings, alternating")
    ap.add_argument("--time-scale", type=float, default=0.05, help="of the spoken lines and the session's clock")
    ap.add_argument("--clips", action="store_true", help="a line for each clip heard")
    args = ap.parse_args(argv)
    if not SPEECH.is_dir():
        print(f"no recordings at {SPEECH}", file=sys.stderr)
        return 2
    if args.engine != "both":
        run_one(args.engine, args.steps, args.time_scale, args.clips)
        return 0
    for name in ("whisper", "pocketsphinx"):  # one process each, one after the other: separate peaks
        done = subprocess.run([sys.executable, __file__, "--engine", name, "--steps", str(args.steps),
                               "--time-scale", str(args.time_scale)] + ["--clips"] * args.clips, check=False)
        if done.returncode:
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
