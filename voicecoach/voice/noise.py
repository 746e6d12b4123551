"""What C audio libraries write straight to fd 2 (ALSA and JACK probe messages, PortAudio errors),
kept off the user's screen unless they ask for it with --verbose.

fd 2 belongs to the whole process, so the blocks share one redirection: the first block in sends
fd 2 to a temporary file, the last one out gives it back, whichever threads they run on. A block
stuck in a device that never answers (the doctor's timeout) must not keep the screen's errors
away for good: restore() gives fd 2 back at once, and that block then leaves without touching it.
"""

import contextlib
import os
import sys
import tempfile
import threading

shown = False
"""True under --verbose: the libraries' messages reach the screen as they are written."""

_guard = threading.Lock()
_depth = 0  # blocks inside now
_saved = None  # a copy of the real fd 2 while it is redirected
_held = None  # the temporary file fd 2 is sent to (a pipe could fill and block the library)
_round = 0  # counts redirections, so a block that outlived a restore() knows it


class Caught:
    """The lines held back during one muffled() block."""

    def __init__(self):
        self.lines: list[str] = []

    def hint(self) -> str:
        """Half a line for an error message: where the held-back detail can be seen."""
        if not self.lines:
            return ""
        count = len(self.lines)
        return f"{count} message{'s' if count != 1 else ''} from the audio libraries hidden; --verbose shows them"


@contextlib.contextmanager
def muffled():
    """Send fd 2 to a temporary file for the block; the lines written meanwhile are in the Caught."""
    caught = Caught()
    if shown:
        yield caught
        return
    entered, start = _enter()
    try:
        yield caught
    finally:
        caught.lines = _leave(entered, start)


def restore() -> None:
    """Give fd 2 back now, even to blocks still inside (a thread stuck in a device)."""
    global _depth
    with _guard:
        if _depth:
            _depth = 0
            _give_back()


def _enter():
    global _depth, _saved, _held, _round
    with _guard:
        if _depth == 0:
            _flush()
            _saved = os.dup(2)
            _held = tempfile.TemporaryFile()
            os.dup2(_held.fileno(), 2)
            _round += 1
        _depth += 1
        return _round, os.lseek(_held.fileno(), 0, os.SEEK_END)


def _leave(entered: int, start: int) -> list[str]:
    global _depth
    with _guard:
        if entered != _round or _depth == 0:
            return []  # restore() gave fd 2 back meanwhile; a later redirection is not ours
        _flush()
        end = os.lseek(_held.fileno(), 0, os.SEEK_END)
        text = os.pread(_held.fileno(), end - start, start).decode("utf-8", "replace")
        _depth -= 1
        if _depth == 0:
            _give_back()
    return [line for line in text.splitlines() if line.strip()]


def _give_back() -> None:
    global _saved, _held
    _flush()
    os.dup2(_saved, 2)
    os.close(_saved)
    _held.close()
    _saved = _held = None


def _flush() -> None:
    with contextlib.suppress(ValueError, OSError):
        sys.stderr.flush()
