"""Hearing cues: typed lines and single key presses (the microphone comes later, behind the same shape).

Every source reads in a background thread into a small buffer, wakes the runner, and hands a
cue over only when the session asks with the cues that make sense at that moment (`take`).
"""

import collections
import contextlib
import os
import select
import sys
import threading

from voicecoach.cues import Cue, Heard, parse_key, parse_typed


class TypedCues:
    """Cues typed as lines ("next", "7", "I'm done").

    Interactive: a line that makes no sense at this moment is dropped with a word of explanation.
    Scripted (input piped from a file or program): a line waits until a moment that accepts it,
    so `printf 'next\\n7\\n6\\n' | voicecoach start ...` means the same however fast it runs.
    """

    def __init__(self, stream, interactive: bool, on_rejected=None):
        self.stream = stream
        self.interactive = interactive
        self.on_rejected = on_rejected or (lambda line, why: None)
        self.ended = stream is None
        self._lines = collections.deque()
        self._lock = threading.Lock()
        self._wake = lambda: None

    def start(self, wake):
        self._wake = wake
        if self.stream is not None:
            threading.Thread(target=self._read, name="typed-cues", daemon=True).start()

    def _read(self):
        try:
            for line in self.stream:
                if line.strip():
                    with self._lock:
                        self._lines.append(line)
                    self._wake()
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        self.ended = True
        self._wake()

    @property
    def exhausted(self) -> bool:
        """Input has ended and nothing is left to hand over."""
        with self._lock:
            return self.ended and not self._lines

    def take(self, accepted: frozenset, waiting: bool = True) -> Heard | None:
        """The next cue if it makes sense now; `waiting` is False while the assistant speaks."""
        with self._lock:
            while self._lines:
                line = self._lines[0]
                heard = parse_typed(line, accepted)
                if heard is None:
                    self._lines.popleft()
                    self.on_rejected(line.strip(), "not a cue I know")
                    continue
                if heard.cue in accepted and (waiting or self.interactive or heard.cue is Cue.STOP):
                    self._lines.popleft()
                    return heard
                if self.interactive:
                    self._lines.popleft()
                    self.on_rejected(line.strip(), "not something I can do at this moment")
                    continue
                return self._stop_further_on()
        return None

    def _stop_further_on(self) -> Heard | None:
        """Stop is honoured at any moment: it does not wait behind a line that does not fit yet."""
        for index, line in enumerate(self._lines):
            heard = parse_typed(line)
            if heard is not None and heard.cue is Cue.STOP:
                del self._lines[index]
                return heard
        return None

    def drop_stuck(self, accepted: frozenset):
        """Input has ended and the session waits with no time limit: a line it cannot use never will be."""
        with self._lock:
            if self.ended and self._lines:
                line = self._lines.popleft()
                self.on_rejected(line.strip(), "not something I can do at this moment")

    def close(self):
        pass


class Keys:
    """Single key presses on a terminal, read without Enter (cbreak mode, restored on close)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.fd = self.stream.fileno()
        self.ended = False
        self._keys = collections.deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._saved = None
        self._wake = lambda: None

    def start(self, wake):
        import termios
        import tty

        self._wake = wake
        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)  # keeps Ctrl-C working (ISIG stays on)
        threading.Thread(target=self._read, name="keys", daemon=True).start()

    def _read(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                continue
            data = os.read(self.fd, 32)
            if not data:
                self.ended = True
                self._wake()
                return
            for key in _split_keys(data.decode("utf-8", "replace")):
                with self._lock:
                    self._keys.append(key)
            self._wake()

    @property
    def exhausted(self) -> bool:
        return False  # someone at a keyboard can always press a key

    def take(self, accepted: frozenset, waiting: bool = True) -> Heard | None:
        with self._lock:
            while self._keys:
                heard = parse_key(self._keys.popleft(), accepted)
                if heard is not None:
                    return heard
        return None

    def drop_stuck(self, accepted: frozenset):
        pass

    def close(self):
        self._stop.set()
        if self._saved is not None:
            import termios

            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None


def _split_keys(text: str) -> list[str]:
    """Single keys from what the terminal sent; arrow and function keys (ESC [ ...) are dropped."""
    keys = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\x1b" and index + 1 < len(text) and text[index + 1] in "[O":
            index += 2
            while index < len(text) and not (text[index].isalpha() or text[index] == "~"):
                index += 1
            index += 1
            continue
        keys.append(char)
        index += 1
    return keys
