"""The console command's first code: it takes Ctrl-C, SIGTERM and SIGHUP before anything heavy is
imported, so an interruption at any moment ends with one line and 128 + the signal's number (130 for
Ctrl-C, 143 SIGTERM, 129 a closed terminal), never a traceback."""

import signal
import sys

SIGNALS: list[int] = []  # the signals that interrupted this process, for its exit status


def interrupt(signum, frame):
    SIGNALS.append(signum)
    raise KeyboardInterrupt


def take_signals() -> None:
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def main():
    take_signals()
    try:
        from voicecoach.cli import main as run

        run()
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        sys.exit(128 + (SIGNALS[-1] if SIGNALS else signal.SIGINT))
