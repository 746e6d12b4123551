"""Cues from the keyboard: whole typed lines (or piped input), or single key presses.

Each reads in a background thread into a small buffer, wakes the runner, and hands a cue over only
when the session asks with the cues that make sense at that moment (`take`).
"""

import codecs
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
        self._busy = False
        self._hidden = False

    def start(self, wake):
        self._wake = wake
        if self.stream is not None:
            fd = self._pipe_fd()
            target = self._read_pipe if fd is not None else self._read
            threading.Thread(target=target, args=(fd,) if fd is not None else (),
                             name="typed-cues", daemon=True).start()

    def _pipe_fd(self):
        """The descriptor of piped input, read raw so that `settling` can tell what is on its way."""
        if self.interactive:
            return None
        try:
            return self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            return None

    def _read(self):
        try:
            for line in self.stream:
                self._add([line])
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        self.ended = True
        self._wake()

    def _read_pipe(self, fd):
        """Read piped input in whole chunks, marking the moment between the pipe and the queue."""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        partial = ""
        try:
            while True:
                select.select([fd], [], [])
                with self._lock:
                    self._busy = True
                chunk = os.read(fd, 65536)
                text = partial + decoder.decode(chunk, final=not chunk)
                lines = text.splitlines(keepends=True)
                partial = lines.pop() if lines and chunk and not lines[-1].endswith(("\n", "\r")) else ""
                self._add(lines, busy=False)
                if not chunk:
                    break
        except (OSError, ValueError):
            pass
        with self._lock:
            self._busy = False
            self.ended = True
        self._wake()

    def _add(self, lines, busy=None):
        with self._lock:
            self._lines.extend(line for line in lines if line.strip())
            if busy is not None:
                self._busy = busy
        if any(line.strip() for line in lines):
            self._wake()

    @property
    def settling(self) -> bool:
        """Piped lines are still on their way to the queue: a deadline should wait a moment for them,
        so that a script means the same however fast it runs (--time-scale 0)."""
        fd = self._pipe_fd()
        if fd is None or self.ended:
            return False
        with self._lock:
            if self._busy:
                return True
        try:
            return bool(select.select([fd], [], [], 0)[0])
        except (OSError, ValueError):
            return False

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

    def hide_typing(self, hidden: bool) -> None:
        """While a partner answers privately, what is typed at the terminal is not shown (no echo)."""
        if not self.interactive or hidden == self._hidden:
            return
        try:
            import termios

            fd = self.stream.fileno()
            attributes = termios.tcgetattr(fd)
            attributes[3] = attributes[3] & ~termios.ECHO if hidden else attributes[3] | termios.ECHO
            termios.tcsetattr(fd, termios.TCSANOW, attributes)
            self._hidden = hidden
        except (ImportError, AttributeError, OSError, ValueError):
            pass  # not a terminal (or no termios): nothing is echoed by us anyway

    def close(self):
        self.hide_typing(False)


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
