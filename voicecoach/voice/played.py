"""What the player wrote to its sink lately, and when: the echo canceller's reference."""

from __future__ import annotations

import bisect
import collections
import itertools
import threading

from voicecoach.voice.frames import SAMPLE_RATE

KEEP_SECONDS = 3.0  # enough for the ears to catch up after a busy moment


class Played:
    """The last few seconds written to the sink as one continuous stream (the player writes
    silence when idle), each chunk with the monotonic time its write began."""

    def __init__(self, latency_seconds: float = 0.0, keep_seconds: float = KEEP_SECONDS):
        self.latency_seconds = latency_seconds  # from the write to the loudspeaker, as the sink reports it
        self._chunks: collections.deque[tuple[int, float, bytes]] = collections.deque()  # (first sample, time, frames)
        self._keep = int(keep_seconds * SAMPLE_RATE)
        self.written = 0  # samples so far
        self._lock = threading.Lock()

    def wrote(self, frames: bytes, at: float) -> None:
        with self._lock:
            self._chunks.append((self.written, at, frames))
            self.written += len(frames) // 2
            while self._chunks and self._chunks[0][0] + len(self._chunks[0][2]) // 2 < self.written - self._keep:
                self._chunks.popleft()

    def position_at(self, when: float) -> int | None:
        """The sample being written at monotonic time `when` (None before anything was written).

        A chunk written late (the player was held up, then caught up in a burst) is stamped late
        for its place in the stream; the chunk written most on time in the last seconds says
        where the stream stands, so the earliest start of the stream its stamps imply counts."""
        with self._lock:
            if not self._chunks:
                return None
            origin = min(at - start / SAMPLE_RATE for start, at, _ in self._chunks)
            first = self._chunks[0][0]
            return min(max(first, round((when - origin) * SAMPLE_RATE)), self.written)

    def read(self, start: int, count: int) -> bytes:
        """Samples [start, start + count) as 16-bit frames; silence for what is not (or no longer) held."""
        out = bytearray(2 * count)
        with self._lock:
            index = max(0, bisect.bisect_right(self._chunks, start, key=lambda chunk: chunk[0]) - 1)
            for first, _, frames in itertools.islice(self._chunks, index, None):
                if first >= start + count:
                    break
                lo, hi = max(start, first), min(start + count, first + len(frames) // 2)
                if lo < hi:
                    out[2 * (lo - start):2 * (hi - start)] = frames[2 * (lo - first):2 * (hi - first)]
        return bytes(out)
