#!/usr/bin/env python3
"""False turn ends per hour of conversation (issue 5: at most one an hour).

While a partner has the floor, the session listens in the "turn" grammar for "I'm done", "stop"
and "pause", and a cue counts only as a whole utterance with silence around it. This runs long
stretches of talk through that path (the endpointer, then the recogniser in "turn", as the session
does) and counts every cue it hears, none of which was said:

- real voices: the recorded words in ../shared/speech/words other than "stop" (digits, yes, no,
  go and the sixteen non-cue words, many speakers), trimmed to their speech and strung into
  sentences of two to seven words with short gaps, a quarter of them said alone, with pauses of
  0.4-1.5 s between them, shuffled afresh for each stretch;
- synthetic voices (espeak's, and flite's four when flite is installed) saying what a partner might
  say in a hard conversation, including the phrases the issue warns of ("it's over", "stop lying to
  me", "I'm done pretending").

Then, as plumbing, each way of ending a turn said alone in those voices: how often it is heard.
No recording here is a real conversation (no overlap, laughter or room); the figure says what the
grammar and the whole-utterance rule do with talk, not what a living room would give.

    PYTHONPATH=. python scripts/bench_turns.py [--minutes 60] [--seed 5] [--engine whisper|pocketsphinx]
"""

from __future__ import annotations

import argparse
import collections
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SPEECH = HERE.parent.parent / "shared" / "speech" / "words"
RATE = 16000

# What a partner might say while they have the floor. None of it is a turn end or a stop.
TALK = [
    "It's over, that part of it. I want you to know that.",
    "Stop lying to me. That is what I kept thinking that night.",
    "I'm done pretending that it did not hurt.",
    "I'm not done yet.",
    "I am not done, give me a moment.",
    "When you stopped answering your phone, I was scared.",
    "I don't want to stop talking about it, I want us to get through it.",
    "Please don't stop me, I need to finish this thought.",
    "We are done with the worst of it, I think.",
    "Are you done? No, sorry, I will wait.",
    "I felt like it was over between us.",
    "Can we pause for a second? I mean, not now, later maybe.",
    "I kept thinking, stop, just stop, but I could not say it.",
    "Done. Okay. I mean I have done what you asked.",
    "It was the lying, not the thing itself.",
    "I need to know that you see me.",
    "Thank you for listening to all of that.",
    "Yes. No. I don't know any more.",
    "I'm sorry I raised my voice earlier.",
    "Some days I feel fine and some days I don't.",
    "What I need from you is honesty, even when it is hard.",
    "I am trying. I really am trying.",
    "When I said I was done, I did not mean it.",
    "Let me finish, then it is your turn.",
    "Over and over I went through it in my head.",
    "I'd like us to plan a quiet evening, just the two of us.",
    "Right. Okay. So where was I.",
    "Pausing to breathe helped me, I think.",
    "I'm done with the dishes, by the way, you don't have to.",
    "I'm not finished. There is one more thing.",
    "Finished? No. I don't think we are finished with this.",
    "I felt finished, like there was nothing left to say.",
    "Done and dusted, that is what you said, and it wasn't.",
    "I don't. I really don't.",
    "Are you finished with me?",
]
VOICES = ("gmw/en-us", "gmw/en", "gmw/en-gb-scotland", "gmw/en-029")
TURN_ENDS = ("I'm done.", "I am done.", "Done.", "I'm finished.", "Finished.")


def trimmed(x, floor_db: float = 30.0, margin_ms: int = 40):
    """The clip between its first and last 10 ms frame within `floor_db` of its loudest."""
    import numpy as np

    frame = RATE // 100
    n = len(x) // frame
    if n == 0:
        return x
    power = (x[: n * frame].astype(np.float64).reshape(n, frame) ** 2).mean(axis=1) + 1e-9
    loud = np.flatnonzero(10 * np.log10(power) > 10 * np.log10(power.max()) - floor_db)
    margin = RATE * margin_ms // 1000
    return x[max(0, loud[0] * frame - margin): min(len(x), (loud[-1] + 1) * frame + margin)]


def real_talk(seconds: float, rng):
    """Sentences strung from recorded non-stop words, with pauses between, `seconds` long; and
    where each sentence starts (ms, its words), to name what a false cue came from."""
    import numpy as np

    from voicecoach.hearing.recognizer import load_file

    paths = [p for p in sorted(SPEECH.glob("*/*.wav")) if p.parent.name != "stop"]
    clips = [trimmed(load_file(p)) for p in paths]
    parts, starts, at = [], [], 0
    while at < seconds * RATE:
        words = 1 if rng.random() < 0.25 else int(rng.integers(2, 8))
        picked = [int(rng.integers(len(clips))) for _ in range(words)]
        starts.append((at * 1000 // RATE, "words", " ".join(f"{paths[i].parent.name}/{paths[i].stem}" for i in picked)))
        for k, i in enumerate(picked):
            parts.append(clips[i])
            if k < words - 1:
                parts.append(np.zeros(int(RATE * rng.uniform(0.03, 0.15))))
        parts.append(np.zeros(int(RATE * rng.uniform(0.4, 1.5))))
        at += sum(len(p) for p in parts[-2 * words:])
    return np.concatenate(parts), len(clips), starts


def speakers(rng) -> list[tuple[str, object]]:
    """(name, say) for each synthetic voice: espeak's, and flite's when it is installed."""
    import flite_voices

    from voicecoach.hearing.recognizer import to_mono_16k
    from voicecoach.voice import SAMPLE_RATE, Synthesizer

    def espeak(voice, rate_wpm):
        synthesizer = Synthesizer(voice_id=voice, rate_wpm=rate_wpm)
        return lambda text: to_mono_16k(synthesizer.render(text), SAMPLE_RATE).astype(float)

    said = [(f"espeak {voice}", espeak(voice, int(rng.integers(140, 190)))) for voice in VOICES]
    if flite_voices.available():
        said += [(f"flite {voice}", lambda text, voice=voice: flite_voices.render(text, voice)) for voice in flite_voices.VOICES]
    return said


def synthetic_talk(lines, rng, voices):
    """Each line in each voice, with pauses between; and where each line starts (ms, voice, line),
    to name what a false cue came from."""
    import numpy as np

    parts, starts, at = [], [], 0
    for name, say in voices:
        for line in lines:
            parts.append(say(line))
            parts.append(np.zeros(int(RATE * rng.uniform(0.6, 1.5))))
            starts.append((at * 1000 // RATE, name, line))
            at += len(parts[-2]) + len(parts[-1])
    return np.concatenate(parts), starts


def cues_heard(samples, recognizer, rng, starts=()) -> tuple[collections.Counter, list[str], float]:
    """Every cue the turn listener takes from a stream: counts, what it heard (and from which
    line, given where lines start), CPU seconds."""
    import numpy as np

    from voicecoach.hearing.recognizer import Endpointer

    x = samples + rng.normal(0, 3, len(samples))  # a quiet room, not digital silence
    pcm = np.clip(x, -32768, 32767).astype(np.int16).tobytes()
    endpointer, heard, texts = Endpointer(), collections.Counter(), []
    started = time.process_time()  # not the thread's: CTranslate2 decodes in threads of its own
    step = RATE * 20 // 1000 * 2
    for i in range(0, len(pcm), step):
        for utterance in endpointer.feed(pcm[i:i + step]):
            decision = recognizer.decide(utterance.pcm, RATE, "turn")
            heard["utterances"] += 1
            if decision.cue is not None:
                heard[decision.cue] += 1
                said = [f"{voice}: {line!r}" for ms, voice, line in starts if ms <= utterance.start_ms][-1:]
                texts.append(f"{decision.cue} <- {decision.text!r} at {utterance.start_ms / 1000:.1f} s {''.join(said)}")
    return heard, texts, time.process_time() - started


def per_hour(k: int, seconds: float) -> str:
    """k events in `seconds`, as a rate an hour with a 95 % interval (exact Poisson, by bisection)."""
    hours = seconds / 3600

    def cdf(mean, upto):
        return sum(math.exp(-mean) * mean ** j / math.factorial(j) for j in range(upto + 1))

    def solve(target, upto):
        lo, hi = 0.0, 10.0 * (k + 5)
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if cdf(mid, upto) > target else (lo, mid)
        return lo

    low = 0.0 if k == 0 else solve(0.975, k - 1)
    high = solve(0.025, k)
    return f"{k / hours:.2f} an hour ({k} in {seconds / 60:.0f} min) [{low / hours:.2f}-{high / hours:.2f}]"


def report(title: str, samples, recognizer, rng, starts) -> None:
    """The false cues heard in a stretch of talk, an hour and one by one."""
    heard, texts, cpu = cues_heard(samples, recognizer, rng, starts)
    seconds = len(samples) / RATE
    print(f"\n=== {title}: {seconds / 60:.1f} min, {heard['utterances']} utterances, CPU {cpu:.0f} s ===")
    for cue in ("done", "stop", "pause"):
        print(f"  false {cue:5s}: {per_hour(heard[cue], seconds)}")
    for text in texts:
        print(f"    {text}")


def main(argv=None) -> int:
    import numpy as np

    from voicecoach.hearing.recognizer.choice import make_engine

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="minutes of talk from recorded words (0: synthetic voices only)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--engine", choices=("whisper", "pocketsphinx"), default="whisper",
                    help="the cue engine (default whisper, as sessions use it where it is installed)")
    args = ap.parse_args(argv)
    if not SPEECH.is_dir():
        print(f"no recordings at {SPEECH}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    recognizer, note = make_engine(args.engine)
    if recognizer.name != args.engine:
        print(f"bench_turns: {note}", file=sys.stderr)
        return 2
    print(f"engine: {recognizer.name}")

    if args.minutes > 0:
        talk, n_clips, starts = real_talk(args.minutes * 60, rng)
        report(f"recorded words strung into talk ({n_clips} clips)", talk, recognizer, rng, starts)
    voices = speakers(rng)
    spoken, starts = synthetic_talk(TALK, rng, voices)
    report(f"{len(voices)} synthetic voices x {len(TALK)} lines of hard-conversation talk", spoken, recognizer, rng,
           starts)

    print(f"\n=== plumbing: turn ends said alone, {len(voices)} synthetic voices ===")
    for phrase in TURN_ENDS:
        caught = []
        for _name, say in voices:
            heard, _, _ = cues_heard(np.concatenate([np.zeros(RATE // 2), say(phrase), np.zeros(RATE)]), recognizer, rng)
            caught.append(heard["done"] > 0)
        print(f"  {phrase!r}: heard in {sum(caught)}/{len(caught)}"
              + (f" (missed: {', '.join(name for (name, _), hit in zip(voices, caught) if not hit)})" if not all(caught) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
