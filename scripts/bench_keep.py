"""Times keeping and erasing on a journal of 10,000 sessions over three years, locked and unlocked.

    PYTHONPATH=. python scripts/bench_keep.py [--sessions 10000]

Prints one line a measurement (median of a few runs, in milliseconds). Nothing is asserted:
targets are read by people, not tests.
"""

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path


def fill(journal, count: int) -> None:
    """count sessions spread over three years, each with 10 steps and 4 ratings, in one transaction."""
    start = datetime(2023, 1, 1, 20, tzinfo=timezone.utc)
    spacing = timedelta(days=3 * 365) / count
    with journal._transaction() as db:
        for n in range(count):
            sid = str(uuid.uuid4())
            began = start + n * spacing
            at = lambda minutes: (began + timedelta(minutes=minutes)).isoformat(timespec="milliseconds")  # noqa: E731
            db.execute("INSERT INTO sessions (id, exercise_id, exercise_title, exercise_hash, started_at, ended_at,"
                       " outcome, steps_total, steps_done, solo) VALUES (?, ?, ?, ?, ?, ?, ?, 10, 10, 0)",
                       (sid, "daily-check-in", "Daily check-in", "ab" * 32, at(0), at(12),
                        ("completed", "completed", "stopped", "interrupted")[n % 4]))
            db.executemany("INSERT INTO steps VALUES (?, ?, 'say', 'done', ?)",
                           [(sid, i, at(i)) for i in range(10)])
            db.executemany("INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(sid, i, key, slot, name, (n + i) % 11, at(i))
                            for i, key in ((3, "connection"), (8, "calm"))
                            for slot, name in (("A", "Sam"), ("B", "Alex"))])


def timed(what, fn, runs=5):
    """Median wall-clock and CPU time: on a busy machine the CPU time is the steadier figure."""
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    print(f"{what:58} {statistics.median(wall):8.1f} ms  (cpu {statistics.median(cpu):7.1f} ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    count = parser.parse_args().sessions
    home = Path(tempfile.mkdtemp(prefix="voicecoach-bench-"))
    os.environ["VOICECOACH_HOME"] = str(home)
    os.environ["VOICECOACH_PASSPHRASE"] = "benchmark passphrase"
    from voicecoach import forget, lock, transfer
    from voicecoach.journal import Journal, SEALED_FILENAME

    with Journal() as journal:
        fill(journal, count)
    size = (home / "journal.sqlite3").stat().st_size
    print(f"{count} sessions over three years: journal {size / 1e6:.1f} MB")

    def write_one():
        with Journal() as journal:
            journal.end(journal.begin("x", "X", "ab" * 32, 1), "completed")

    def read_history():
        with Journal() as journal:
            journal.sessions(20)

    def write_in_open_journal(journal):
        journal.end(journal.begin("x", "X", "ab" * 32, 1), "completed")

    for state in ("unlocked", "locked"):
        if state == "locked":
            began = time.perf_counter()
            lock.lock_folder(home, os.environ["VOICECOACH_PASSPHRASE"])
            print(f"{'lock (seal the journal)':58} {(time.perf_counter() - began) * 1000:8.1f} ms")
            print(f"  sealed file {(home / SEALED_FILENAME).stat().st_size / 1e6:.1f} MB")
            lock.forget_keys()
            timed("derive the key from the passphrase (scrypt n=2^16)", lambda: (lock.forget_keys(), lock.key(home)))
        timed(f"{state}: open and close the journal", lambda: Journal().close())
        timed(f"{state}: open, read the newest 20 sessions (history), close", read_history)
        timed(f"{state}: export --format json (all sessions)",
              lambda: transfer.as_json(transfer.journal_sessions(as_text=True)))
        timed(f"{state}: export --format csv", lambda: transfer.as_csv(transfer.journal_sessions()))
        timed(f"{state}: open, write one session, close", write_one)
        with Journal() as journal:
            timed(f"{state}: one write transaction in an open journal", lambda: write_in_open_journal(journal), runs=9)
        timed(f"{state}: export --all archive", lambda: transfer.export_archive(home.parent / f"{home.name}.tar.gz"),
              runs=3)
    began = time.perf_counter()
    result = forget.forget_sessions(before="2024-01-01T00:00:00+00:00")
    print(f"{'locked: forget --before (a third of it), with VACUUM':58} {(time.perf_counter() - began) * 1000:8.1f} ms"
          f"  ({result.sessions} sessions)")
    began = time.perf_counter()
    lock.unlock_folder(home)
    print(f"{'unlock':58} {(time.perf_counter() - began) * 1000:8.1f} ms")
    began = time.perf_counter()
    result = forget.forget_sessions(before="2025-01-01T00:00:00+00:00")
    print(f"{'unlocked: forget --before (another third), with VACUUM':58} "
          f"{(time.perf_counter() - began) * 1000:8.1f} ms  ({result.sessions} sessions)")
    forget.forget_all(home)
    (home.parent / f"{home.name}.tar.gz").unlink(missing_ok=True)
    for leftover in sorted(home.rglob("*"), reverse=True):
        leftover.unlink() if leftover.is_file() else leftover.rmdir()
    home.rmdir()


if __name__ == "__main__":
    main()
