"""The Player: one thread keeps a sink fed, so hush and volume act within a chunk."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable

from voicecoach.voice.frames import CHUNK_FRAMES, scale
from voicecoach.voice.played import Played
from voicecoach.voice.sinks import Sink

OnDone = Callable[[], None] | None


class Player:
    """One thread owns the sink and keeps it fed, with silence when idle, so hush and volume act at once."""

    def __init__(self, sink: Sink, volume: float = 1.0):
        self._sink = sink
        self._volume = volume
        self._lock = threading.Lock()
        self._queue: deque[tuple[bytes, OnDone]] = deque()
        self._current: tuple[bytes, OnDone] | None = None
        self._pos = 0
        self._hushes = 0
        self._closing = False
        self.error: BaseException | None = None
        self._silence = bytes(2 * CHUNK_FRAMES)
        self.played = Played(getattr(sink, "latency_seconds", 0.0))  # for the ears' echo canceller
        self._thread = threading.Thread(target=self._run, name="voicecoach-player", daemon=True)
        self._thread.start()

    @property
    def volume(self) -> float:
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = min(1.0, max(0.0, value))

    @property
    def playing(self) -> bool:
        """Something is sounding or queued: the ears stop listening meanwhile."""
        return self._current is not None or bool(self._queue)

    def play(self, frames: bytes, on_done: OnDone = None) -> None:
        """Queue a sound; on_done runs on the player thread once its last chunk is written."""
        with self._lock:
            failed = self.error is not None
            if not failed:
                self._queue.append((frames, on_done))
        if failed and on_done:
            on_done()  # the sink is gone: let the session go on in text

    def hush(self) -> None:
        """Drop what is playing and queued, without their on_done: used for "stop"."""
        with self._lock:
            self._queue.clear()
            self._current = None
            self._hushes += 1

    def close(self) -> None:
        """Stop the thread, then close the sink; queued sounds are dropped."""
        with self._lock:
            self._closing = True
        self._thread.join(timeout=2.0)
        try:
            self._sink.close()
        except Exception:
            if self.error is None:  # a sink that already failed may fail again on close: said once
                raise

    def _next_chunk(self) -> tuple[bytes, OnDone, int, bool]:
        with self._lock:
            if self._current is None and self._queue:
                self._current, self._pos = self._queue.popleft(), 0
            if self._current is None:
                return self._silence, None, self._hushes, False
            frames, on_done = self._current
            chunk = frames[self._pos : self._pos + 2 * CHUNK_FRAMES]
            self._pos += len(chunk)
            last = self._pos >= len(frames)
            if last:
                self._current = None
            return chunk, on_done, self._hushes, last

    def _run(self) -> None:
        try:
            while not self._closing:
                chunk, on_done, hushes, last = self._next_chunk()
                if chunk is not self._silence:
                    chunk = scale(chunk, self._volume)
                if chunk:
                    self.played.wrote(chunk, time.monotonic())
                    self._sink.write(chunk)
                if last and on_done and hushes == self._hushes:
                    on_done()
        except BaseException as e:
            with self._lock:
                self.error = e
                pending = [self._current] if self._current else []
                pending += list(self._queue)
                self._queue.clear()
                self._current = None
            for _, on_done in pending:
                if on_done:
                    with contextlib.suppress(Exception):
                        on_done()
