#!/usr/bin/env python3
"""Benchmark of recognition with an enrolled voice profile, beside the same figures without one.

`scripts/bench_cues.py --enrolled` runs it too.
On the Free Spoken Digit Dataset in ../shared/speech/words: the couple is george (partner A) and
jackson (partner B); takes 0-2 of each digit are enrolled, takes 3-19 are the test; both
profiles are loaded together. Every file is streamed through the endpointer and recogniser as
`voicecoach hear` does. It prints:

- rating: right before confirmation, right and sure (no question asked), per digit;
- false accepts (taken without confirmation) on other speakers' non-cue words (Speech Commands);
- strangers' digits (Speech Commands speakers, not enrolled): what a profile does to a guest's voice;
- same-voice words that were not enrolled (each digit left out in turn; templates alone);
- a word of their own (`--as`): "seven" taught as "next", heard in navigation, and how often
  the couple's other digits are taken for it;
- time of the decision at the end of an utterance (grammar + templates), on one core.

    PYTHONPATH=. python scripts/bench_enrolled.py [--quick] [--engine whisper|pocketsphinx]
    PYTHONPATH=. python scripts/bench_cues.py --enrolled [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# ../shared/speech beside the repository; VOICECOACH_SPEECH points elsewhere (a worktree sits deeper)
SPEECH = Path(os.environ.get("VOICECOACH_SPEECH", HERE.parent.parent / "shared" / "speech")) / "words"
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
NON_CUE = ["bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow", "left", "right",
           "up", "down", "on", "off"]
COUPLE = {"A": "george", "B": "jackson"}
ENROLLED = range(3)

from bench_cues import fmt, pct  # noqa: E402 - the same intervals and percentiles as the cue benchmark

TESTED = range(3, 20)


def fsdd(word: str, speaker: str, take: int) -> Path:
    return SPEECH / word / f"fsdd_{speaker}_{take}.wav"


def couple_profile(leave_out: str | None = None, teach: dict | None = None):
    """Both partners' digits, takes 0-2; a taught word (`teach`: word -> cue) gets takes 0-4, as
    `voicecoach enroll --as` asks for (the grammar cannot help with it)."""
    from voicecoach.profile import Profile, enrolment

    profile = Profile()
    for partner, speaker in COUPLE.items():
        for word in DIGITS:
            if word == leave_out:
                continue
            means = (teach or {}).get(word, word)
            takes = range(enrolment.TAKES_OWN_WORD) if means != word else ENROLLED
            profile.enrol(partner, word, means, enrolment.takes_from_files(fsdd(word, speaker, k) for k in takes))
    return profile


def hear(engine, path, context):
    """One file as `voicecoach hear` runs it; adds the time of the decision at the utterance's end."""
    from voicecoach.hearing.recognizer import hear_stream, load_file, pad_stream

    timings = []
    end = engine.end

    def timed_end():
        t0, c0 = time.perf_counter(), time.process_time()
        decision = end()
        timings.append(((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000))
        return decision

    engine.end = timed_end
    try:
        out = hear_stream(pad_stream(load_file(path)), context, engine)
    finally:
        del engine.end
    out["end_ms"] = max(t for t, _ in timings) if timings else 0.0
    out["end_cpu_ms"] = max(c for _, c in timings) if timings else 0.0
    out["check_ms"] = getattr(engine, "check_ms", 0.0)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 test takes per digit and speaker")
    ap.add_argument("--engine", choices=("whisper", "pocketsphinx"), default="whisper",
                    help="the cue engine under the profile (default whisper, as sessions use it)")
    args = ap.parse_args(argv)
    if not SPEECH.is_dir():
        print(f"no recordings at {SPEECH}", file=sys.stderr)
        return 2
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    except (AttributeError, OSError):
        pass

    from voicecoach.hearing.recognizer import Recognizer, Tuning, load_file
    from voicecoach.hearing.recognizer.choice import make_engine
    from voicecoach.profile import enrolment, features
    from voicecoach.profile.enrolled import PROFILE_TUNING, WithProfile
    from voicecoach.profile.templates import Matcher, verdict

    tested = range(3, 8) if args.quick else TESTED
    t0 = time.perf_counter()
    profile = couple_profile()
    enrol_s = time.perf_counter() - t0
    def make(profiled: bool = False):
        """The engine asked for, tuned as sessions tune it under a profile (PocketSphinx's settings)."""
        if args.engine == "pocketsphinx":
            return Recognizer(Tuning(**PROFILE_TUNING) if profiled else None)
        made, note = make_engine(args.engine)
        if made.name != args.engine:
            raise SystemExit(f"bench_enrolled: {note}")
        return made

    plain = make()
    t0 = time.perf_counter()
    checked = WithProfile(make(profiled=True), profile)  # as sessions use it
    load_ms = (time.perf_counter() - t0) * 1000 - plain.load_seconds * 1000
    engines = {"no profile": plain, "profile": checked}
    print(f"enrolled voice profile benchmark, {args.engine}{' (quick)' if args.quick else ''}: couple george (A) + jackson (B), "
          f"takes {ENROLLED.start}-{ENROLLED.stop - 1} enrolled, {tested.start}-{tested.stop - 1} tested")
    print(f"profile: {len(profile.takes)} takes, {len(profile.to_bytes()) // 1024} KB on disk; built from "
          f"files in {enrol_s:.1f} s; templates and thresholds ready in ~{max(load_ms, 0):.0f} ms")

    results = {name: [] for name in engines}
    for word in DIGITS:
        for speaker in COUPLE.values():
            for k in tested:
                for name, engine in engines.items():
                    out = hear(engine, fsdd(word, speaker, k), "rating")
                    results[name].append((word, speaker, out))

    print("\n-- rating, the couple's own voices: right before confirmation | right and sure (no question)")
    print(f"  {'':>6}  {'no profile':^48}  {'profile':^48}")
    for word in DIGITS + ["ALL"]:
        row = []
        for name in engines:
            rs = [o for w, _, o in results[name] if word in ("ALL", w)]
            right = [o for w, _, o in results[name] if word in ("ALL", w) and o["cue"] == DIGITS.index(w)]
            sure = [o for o in right if not o["unsure"]]
            row.append(f"{fmt(len(right), len(rs))} | {100 * len(sure) / max(len(rs), 1):5.1f} %")
        print(f"  {word:>6}  {row[0]:>48}  {row[1]:>48}")
    print("  target: rating >= 97 % right before confirmation")
    for name in engines:
        wrong_sure = sum(1 for w, _, o in results[name] if o["cue"] != DIGITS.index(w) and not o["unsure"])
        print(f"  wrong and sure (a rating kept without asking), {name}: {wrong_sure}/{len(results[name])}")

    for label, words, context in (("other speakers' non-cue words (Speech Commands), rating moment", NON_CUE, "rating"),):
        print(f"\n-- false accepts, {label}: taken without confirmation")
        files = [p for w in words for p in sorted((SPEECH / w).glob("sc1_*.wav"))]
        for name, engine in engines.items():
            outs = [hear(engine, p, context) for p in files]
            fa = sum(1 for o in outs if o["cue"] is not None and not o["unsure"])
            print(f"  {name:>10}: {fmt(fa, len(outs))}")

    print("\n-- strangers' digits (Speech Commands speakers, not enrolled), rating moment")
    files = [(w, p) for w in DIGITS for p in sorted((SPEECH / w).glob("sc1_*.wav"))]
    for name, engine in engines.items():
        outs = [(w, hear(engine, p, "rating")) for w, p in files]
        right = sum(1 for w, o in outs if o["cue"] == DIGITS.index(w))
        wrong_sure = sum(1 for w, o in outs if o["cue"] != DIGITS.index(w) and not o["unsure"])
        print(f"  {name:>10}: right before confirmation {fmt(right, len(outs))}; wrong and sure {wrong_sure}")

    print("\n-- the couple's own words that were not enrolled (each digit left out in turn; templates alone):")
    taken = total = 0
    for word in DIGITS:
        matcher = Matcher(couple_profile(leave_out=word).takes)
        for speaker in COUPLE.values():
            for k in tested:
                best, trust = verdict(matcher.match(enrolment.cepstra_of(load_file(fsdd(word, speaker, k)))))
                total += 1
                taken += trust == "tight"
    print(f"  taken as an enrolled word without the grammar's agreement: {fmt(taken, total)}")
    print("  (in an open moment such a word gives a cue only like this; in a rating it is asked back unless"
          " the grammar agrees)")

    print("\n-- a word of their own: 'seven' taught as 'next' (--as, takes 0-4 enrolled, 5-19 tested), navigation")
    taught = WithProfile(make(profiled=True), couple_profile(teach={"seven": "next"}))
    for name, engine in (("no profile", plain), ("profile", taught)):
        hits = [hear(engine, fsdd("seven", s, k), "navigation") for s in COUPLE.values() for k in tested
                if k >= enrolment.TAKES_OWN_WORD]
        caught = sum(1 for o in hits if o["cue"] == "next")
        others = [hear(engine, fsdd(w, s, k), "navigation") for w in DIGITS if w != "seven"
                  for s in COUPLE.values() for k in tested[:5]]
        fa = sum(1 for o in others if o["cue"] is not None)
        print(f"  {name:>10}: 'seven' heard as next {fmt(caught, len(hits))}; the couple's other digits taken "
              f"as a cue {fmt(fa, len(others))}")

    print("\n-- time of the decision at the end of an utterance (pinned to one core; CPU time, then wall"
          f" time, which other programs on this machine inflate: load average {os.getloadavg()[0]:.1f})")
    for name in engines:
        cpu = [o["end_cpu_ms"] for _, _, o in results[name]]
        wall = [o["end_ms"] for _, _, o in results[name]]
        print(f"  {name:>10}: CPU p50 {pct(cpu, .5):5.1f} ms, p95 {pct(cpu, .95):5.1f} ms, max {max(cpu):5.1f} ms;"
              f"  wall p50 {pct(wall, .5):5.1f} ms, p95 {pct(wall, .95):5.1f} ms   target <= 50 ms")
    checks = [o["check_ms"] for _, _, o in results["profile"]]
    print(f"  of which the template step: p50 {pct(checks, .5):.1f} ms, p95 {pct(checks, .95):.1f} ms "
          f"({len(profile.takes)} templates); MFCC frames per take {features.HOP * 1000 // features.RATE} ms")
    print("\nnot measured with a profile (no speaker with several takes in ../shared/speech): next, pause, "
          "repeat, stop, yes, no, I'm done, ten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
