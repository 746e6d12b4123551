"""The console command's first code: it takes Ctrl-C, SIGTERM and SIGHUP before anything heavy is
imported, so an interruption at any moment ends with one line and 128 + the signal's number (130 for
Ctrl-C, 143 SIGTERM, 129 a closed terminal), never a traceback."""

import os
import signal
import sys
import time

SIGNALS: list[int] = []  # the signals that interrupted this process, for its exit status
GRACE_SECONDS = 1.0
"""After a signal, others for this long count for the exit status but are not raised: a second
KeyboardInterrupt inside the clean-up the first started (the journal's close, a seal, the sound's
stop) broke it halfway ('release unlocked lock', a traceback from a C callback). One later than
that is raised again, so a clean-up that hangs can still be stopped."""
_raised_at: list[float] = []


def interrupt(signum, frame):
    SIGNALS.append(signum)
    now = time.monotonic()
    if _raised_at and now - _raised_at[-1] < GRACE_SECONDS:
        return  # the clean-up the last one started is running: let it finish
    _raised_at.append(now)
    raise KeyboardInterrupt


def take_signals() -> None:
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def main():
    take_signals()
    try:
        from voicecoach.cli.commands import main as run

        run()
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        leave(128 + (SIGNALS[-1] if SIGNALS else signal.SIGINT))
    except SystemExit as leaving:
        if SIGNALS:  # a session marked interrupted (130) or a prompt's "Aborted!" (1): 128 + the signal
            code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
            leave(128 + SIGNALS[-1] if code in (128 + signal.SIGINT, 1) else code)
        raise


def leave(status: int):
    """Exit with this status after a signal, everything already closed (the journal, the terminal's
    mode, the sound). Not through the interpreter's own exit: once a KeyboardInterrupt has passed
    through some libraries' C code, Python ends itself with SIGINT, whichever signal it was (a
    SIGTERM would look like a Ctrl-C)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)
