"""Times keeping and erasing on a journal of 10,000 sessions over three years, locked and unlocked:
opening, writing (as a live session does), the key derivation, export --all, forget.

    PYTHONPATH=. python scripts/bench_keep.py [--sessions 10000]

Prints one line a measurement (median of a few runs, in milliseconds). Nothing is asserted:
targets are read by people, not tests. The journal is filled by bench_journal.fill(), and
history, stats and export json/csv are timed by bench_journal.py.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_journal import fill  # noqa: E402


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
    from voicecoach.journal import SEALED_FILENAME, Journal, forget, locking, transfer
    from voicecoach.vault import lock

    fill(home, sessions=count)

    def write_one():
        with Journal() as journal:
            journal.end(journal.begin("x", "X", "ab" * 32, 1), "completed")

    def read_history():
        with Journal() as journal:
            journal.sessions(20)

    def write_in_open_journal(journal):
        journal.end(journal.begin("x", "X", "ab" * 32, 1), "completed")

    def live_session(state, steps=20, pause=0.1):
        """Steps a tenth of a second apart, as a quick session writes them: how long each write holds
        up the runner (a seal on another thread must not)."""
        with Journal() as journal:
            session_id = journal.begin("x", "X", "ab" * 32, steps)
            waits = []
            for index in range(steps):
                began = time.perf_counter()
                journal.step(session_id, index, "say")
                waits.append((time.perf_counter() - began) * 1000)
                time.sleep(pause)
            journal.end(session_id, "completed")
        print(f"{state + ': a live session, one step write (median / max)':58} {statistics.median(waits):8.1f} ms"
              f"  (max {max(waits):7.1f} ms)")

    for state in ("unlocked", "locked"):
        if state == "locked":
            began = time.perf_counter()
            locking.lock_folder(home, os.environ["VOICECOACH_PASSPHRASE"])
            print(f"{'lock (seal the journal)':58} {(time.perf_counter() - began) * 1000:8.1f} ms")
            print(f"  sealed file {(home / SEALED_FILENAME).stat().st_size / 1e6:.1f} MB")
            lock.forget_keys()
            timed("derive the key from the passphrase (scrypt n=2^16)", lambda: (lock.forget_keys(), lock.key(home)))
        timed(f"{state}: open and close the journal", lambda: Journal().close())
        timed(f"{state}: open, read the newest 20 sessions (history), close", read_history)
        timed(f"{state}: open, write one session, close", write_one)
        with Journal() as journal:
            timed(f"{state}: one write transaction in an open journal", lambda: write_in_open_journal(journal), runs=9)
            timed(f"{state}: seal what waits now (journal.flush, as close does)", journal.flush, runs=1)
        live_session(state)
        timed(f"{state}: export --all archive", lambda: transfer.export_archive(home.parent / f"{home.name}.tar.gz"),
              runs=3)
    began = time.perf_counter()
    result = forget.forget_sessions(before="2024-01-01T00:00:00+00:00")
    print(f"{'locked: forget --before (a third of it), with VACUUM':58} {(time.perf_counter() - began) * 1000:8.1f} ms"
          f"  ({result.sessions} sessions)")
    began = time.perf_counter()
    locking.unlock_folder(home)
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
