"""Times 'history', 'stats' and 'export' (json and csv) on a journal of 10,000 sessions over three
years, unlocked and locked (issue 6); the target is under 200 ms for each.

    PYTHONPATH=. python scripts/bench_journal.py [--sessions 10000] [--years 3] [--runs 5]
                                                 [--variant unlocked|locked] [--quick]

Each variant is a setup function that prepares a fresh VOICECOACH_HOME: "unlocked" fills it,
"locked" fills it and locks it with VOICECOACH_PASSPHRASE. Every command runs in-process through
the real click command (imports warm, the key derived once), and as its own process (Python's
start-up, imports and, locked, the scrypt key derivation included). Locked, the key derivation is
also timed alone (it is the lock's deliberate cost), and the table's "key aside" column is the
process figure less its median: the time once the key is derived. Figures are medians of --runs
runs, wall and CPU time: on a busy machine the CPU time is the steadier one. A table at the end
puts them side by side. Writing, locking, archiving and forgetting are timed by bench_keep.py,
which fills its journal with fill() from here.
"""

import argparse
import compileall
import functools
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voicecoach import exercise  # noqa: E402
from voicecoach.journal import FILENAME, Journal  # noqa: E402

# How often a couple might pick each exercise: a daily check-in most, long ones rarely.
MIX = {
    "daily-check-in": 30, "appreciation-practice": 10, "temperature-reading": 8, "box-breathing": 9,
    "breathing-4-7-8": 5, "speaker-listener": 6, "loving-kindness": 4, "closeness-without-pressure": 6,
    "sensate-focus-1": 3, "hurt-conversation": 3, "date-night-plan": 4, "state-of-the-union": 2,
    "muscle-relaxation-short": 4, "stress-reducing-conversation": 6,
}
COMMANDS = [
    ["history"],
    ["history", "--json"],
    ["history", "--exercise", "daily-check-in", "--since", "2025-01-01"],
    ["stats"],
    ["stats", "--json"],
    ["stats", "--weeks", "156", "--json"],
    ["export", "--format", "json"],
    ["export", "--format", "csv"],
]
QUICK = [["history"], ["stats"], ["export", "--format", "json"], ["export", "--format", "csv"]]
"""The four the issue names; --quick times only these."""
TARGET_MS = 200
KEY = "key derivation (scrypt, once a process)"
PASSPHRASE = "benchmark passphrase"


def _rating(slot, progress, rng):
    """Ratings that drift upward from the first session (progress 0) to the last (1), partner B
    starting lower and catching up."""
    base = 5.0 + 2.0 * progress if slot == "A" else 3.5 + 3.5 * progress
    return max(0, min(10, round(rng.gauss(base, 1.3))))


def _session(found, started, progress, rng):
    """One session's rows: how it ended, the steps reached and the ratings given on the way."""
    steps = found.steps
    consent = any(step.kind == "consent" for step in steps)
    roll = rng.random()
    if consent and roll < 0.15:
        outcome = "declined"
    else:
        outcome = "completed" if roll < 0.85 else "stopped" if roll < 0.93 else "interrupted"
    reached = len(steps) if outcome == "completed" else 0 if outcome == "declined" \
        else rng.randrange(1, len(steps))
    minutes = found.minutes * rng.uniform(0.8, 1.3) * max(reached, 1) / len(steps)
    ended = started + timedelta(minutes=minutes)
    session_id = str(uuid.uuid4())
    step_rows, rating_rows = [], []
    for index, step in enumerate(steps[:reached]):
        at = (started + (ended - started) * (index + 1) / max(reached, 1)).isoformat(timespec="milliseconds")
        skipped = rng.random() < 0.03
        step_rows.append((session_id, index, step.kind, "skipped" if skipped else "done", at))
        if step.kind == "rate" and not skipped:
            slots = ("A",) if found.solo else ("A", "B") if step.who == "each" else (step.who,)
            for slot in slots:
                value = None if rng.random() < 0.05 else _rating(slot, progress, rng)
                rating_rows.append((session_id, index, step.key, slot, "Sam" if slot == "A" else "Alex",
                                    value, at))
    done = sum(1 for row in step_rows if row[3] == "done")
    session_row = (session_id, found.id, found.title, "ab" * 32, started.isoformat(timespec="milliseconds"),
                   ended.isoformat(timespec="milliseconds"), outcome, len(steps), done, int(found.solo))
    return session_row, step_rows, rating_rows


def fill(home: Path, sessions: int = 10_000, years: float = 3, seed: int = 6) -> None:
    """A journal of `sessions` sessions spread over `years` years up to now, in evenings mostly."""
    rng = random.Random(seed)
    library = {e.id: e for e in exercise.all_exercises()[0]}
    ids, weights = zip(*MIX.items())
    now = datetime.now(timezone.utc)
    span = timedelta(days=365 * years)
    starts = sorted(now - span * rng.random() for _ in range(sessions))
    path = home / FILENAME
    Journal(path).close()  # creates and migrates it the real way
    all_sessions, all_steps, all_ratings = [], [], []
    for started in starts:
        progress = (started - (now - span)) / span
        row, steps, ratings = _session(library[rng.choices(ids, weights)[0]], started, progress, rng)
        all_sessions.append(row)
        all_steps += steps
        all_ratings += ratings
    db = sqlite3.connect(path)
    with db:
        db.executemany("INSERT INTO sessions (id, exercise_id, exercise_title, exercise_hash, started_at,"
                       " ended_at, outcome, steps_total, steps_done, solo) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       all_sessions)
        db.executemany("INSERT INTO steps VALUES (?,?,?,?,?)", all_steps)
        db.executemany("INSERT INTO ratings VALUES (?,?,?,?,?,?,?)", all_ratings)
    db.close()
    print(f"  filled: {len(all_sessions)} sessions, {len(all_steps)} steps, {len(all_ratings)} ratings, "
          f"{path.stat().st_size / 1e6:.1f} MB")


def fill_and_lock(home: Path, **options) -> None:
    """The same journal, then locked as 'voicecoach lock' does (the key stays cached in this process)."""
    from voicecoach.journal import locking
    from voicecoach.vault import lock

    fill(home, **options)
    os.environ[lock.ENVIRONMENT] = PASSPHRASE
    began = time.perf_counter()
    locking.lock_folder(home, PASSPHRASE)
    print(f"  locked in {(time.perf_counter() - began) * 1000:.0f} ms (scrypt n=2^{lock.SCRYPT['n'].bit_length() - 1}"
          f" included); sealed file {(home / (FILENAME + '.locked')).stat().st_size / 1e6:.1f} MB")


VARIANTS = {"unlocked": fill, "locked": fill_and_lock}


def in_process(args, runs):
    """(wall, CPU) milliseconds for each run of the click command in this process, imports warm."""
    from click.testing import CliRunner

    from voicecoach.cli.commands import cli

    runner = CliRunner()
    times = []
    for _ in range(runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        result = runner.invoke(cli, args, catch_exceptions=False)
        times.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
        assert result.exit_code == 0, result.output
    return times[1:]  # the first run pays for imports


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def as_process(command, runs):
    """(wall, CPU) milliseconds of a whole process, Python's start-up included, output thrown away."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(((time.perf_counter() - wall) * 1000, (_children_cpu() - cpu) * 1000))
    return times


def key_derivation(home: Path, runs):
    """(wall, CPU) milliseconds for each derivation of a locked journal's key, as every process that
    opens it does once: lock.json read, scrypt, the check value opened. The lock's protection, kept."""
    from voicecoach.vault import lock

    times = []
    for _ in range(runs):
        lock.forget_keys()
        wall, cpu = time.perf_counter(), time.process_time()
        lock.key(home)
        times.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
    return times


def voicecoach(*args):
    return [sys.executable, "-m", "voicecoach", *args]


def medians(times) -> tuple[float, float]:
    """(wall, CPU) medians of (wall, CPU) pairs."""
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def _figure(times):
    """The median wall time against the target, and the CPU time, which a busy machine inflates less."""
    wall, cpu = medians(times)
    mark = "ok" if wall < TARGET_MS else "over"
    return f"wall {wall:7.1f} ms (max {max(t[0] for t in times):7.1f})  cpu {cpu:7.1f} ms  [{mark}]"


def bench(name, setup, runs, commands) -> dict:
    """Prepare a fresh home with `setup(home)`, then time every command on it; returns
    {(command, how): (wall, cpu)} for the table."""
    found = {}
    with tempfile.TemporaryDirectory(prefix="voicecoach-bench-") as home:
        os.environ["VOICECOACH_HOME"] = home
        print(f"{name}:")
        setup(Path(home))
        (Path(home) / "safety-note-shown").touch()
        print(f"  load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for label, command in (("python -c pass (start-up alone)", [sys.executable, "-c", "pass"]),
                               ("--version (start-up and imports)", voicecoach("--version"))):
            times = as_process(command, runs)
            found[label, "process"] = medians(times)
            print(f"  {label:54} process    {_figure(times)}")
        if (Path(home) / "lock.json").exists():
            times = key_derivation(Path(home), runs)
            found[KEY, "process"] = medians(times)
            print(f"  {KEY:54} in-process {_figure(times)}")
        for args in commands:
            label = " ".join(args)
            for how, times in (("in-process", in_process(args, runs)), ("process", as_process(voicecoach(*args), runs))):
                found[label, how] = medians(times)
                print(f"  {label if how == 'in-process' else '':54} {how:10} {_figure(times)}")
        os.environ.pop("VOICECOACH_PASSPHRASE", None)
    return found


def table(results: dict) -> None:
    """One row a command, wall/CPU medians for each variant in-process and as a process; for a locked
    variant also as a process less the key derivation's median (what is left once the key is derived)."""
    columns = [(name, how) for name, found in results.items()
               for how in ("in-process", "process") + (("key aside",) if (KEY, "process") in found else ())]
    rows = list(dict.fromkeys(row for found in results.values() for row in found))
    head = "".join(f"  {name + ' ' + how:>23}" for name, how in columns)
    print(f"\nmedian wall / cpu ms (target: wall under {TARGET_MS} ms)\n{'':38}{head}")
    for label, how in rows:
        if how != "in-process" and (label, "in-process") in rows:
            continue
        cells = ""
        for name, column in columns:
            found = results[name]
            figure = found.get((label, column))
            if column == "key aside" and (label, "in-process") in found:  # the commands, which open the journal
                figure = [whole - key for whole, key in zip(found[label, "process"], found[KEY, "process"])]
            cells += f"  {'' if figure is None else f'{figure[0]:7.0f} / {figure[1]:5.0f}':>23}"
        print(f"{label:38}{cells}")




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--variant", choices=sorted(VARIANTS), action="append")
    parser.add_argument("--quick", action="store_true", help="Only history, stats and the two exports.")
    options = parser.parse_args()
    # Byte-compiled first, as pip does on install: where PYTHONDONTWRITEBYTECODE is set, each process
    # would otherwise compile every module it imports again (~40 ms a command).
    compileall.compile_dir(str(ROOT / "voicecoach"), quiet=1)
    results = {}
    for name in options.variant or VARIANTS:
        setup = functools.partial(VARIANTS[name], sessions=options.sessions, years=options.years)
        results[name] = bench(name, setup, options.runs, QUICK if options.quick else COMMANDS)
    table(results)


if __name__ == "__main__":
    main()
