"""What C audio libraries write straight to fd 2 (ALSA and JACK probe messages, PortAudio errors),
kept off the user's screen unless they ask for it with --verbose."""

import contextlib
import os
import sys
import tempfile

shown = False
"""True under --verbose: the libraries' messages reach the screen as they are written."""


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
    """Send fd 2 to an unlinked temporary file for the block (a pipe could fill and block the library)."""
    caught = Caught()
    if shown:
        yield caught
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield caught
        finally:
            with contextlib.suppress(ValueError, OSError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode("utf-8", "replace")
            caught.lines = [line for line in text.splitlines() if line.strip()]
