"""Where spoken cues come from: the live microphone, or --audio-in recordings played as one.

Both hand over 16 kHz mono chunks of CHUNK_MS in real time, so the listener cannot tell them apart.
"""

import contextlib
import queue
import threading
import time

CHUNK_MS = 20
PLAYLIST_GAP_MS = 600  # a clip is heard out (endpointer, decision) before the next may start


def _recording(path) -> bytes:
    """One --audio-in file as 16 kHz mono; one that cannot be used is named in a one-line error."""
    from voicecoach import recognizer
    from voicecoach.errors import BadInput

    try:
        return recognizer.load_file(path).tobytes()
    except recognizer.AudioError as error:
        raise BadInput(f"--audio-in {path}: {error}") from None


class Recordings:
    """Recorded speech as the microphone, in real time: one file is one continuous stream; several
    are a playlist, each played when the session next opens a listening window."""

    def __init__(self, paths):
        self.clips = [_recording(path) for path in paths]
        self.continuous = len(self.clips) == 1
        self._playing = memoryview(b"")  # what is left of the clip playing: a view, so a chunk costs no copy of it
        self._quiet_ms = PLAYLIST_GAP_MS  # silence since the last clip ended
        self._lock = threading.Lock()
        self.finished = False

    def open_window(self):
        """The session listens now: a playlist starts its next clip, once the last one has ended
        and been heard out (PLAYLIST_GAP_MS of silence), so one clip answers one moment."""
        with self._lock:
            if (not self.continuous and not self._playing and self.clips
                    and self._quiet_ms >= PLAYLIST_GAP_MS):
                self._playing = memoryview(self.clips.pop(0))

    @property
    def settling(self) -> bool:
        """A playlist clip has started and is not yet heard out: the session's deadline waits for it,
        so that the clip answers the moment it was played for however fast the session runs
        (--time-scale), as a piped line does."""
        with self._lock:
            return not self.continuous and (bool(self._playing) or self._quiet_ms < PLAYLIST_GAP_MS)

    def chunks(self, stop: threading.Event):
        """16 kHz mono chunks of CHUNK_MS at real-time pace, silence between clips."""
        step = 16000 * CHUNK_MS // 1000 * 2
        start, sent = time.monotonic(), 0
        if self.continuous:
            self._playing = memoryview(self.clips.pop(0))
        while not stop.is_set():
            with self._lock:
                chunk, self._playing = bytes(self._playing[:step]), self._playing[step:]
                self._quiet_ms = 0 if chunk else self._quiet_ms + CHUNK_MS
                if not self._playing and not self.clips and self._quiet_ms >= 1000:
                    self.finished = True  # a second after the last word: its end has been heard
            yield chunk + bytes(step - len(chunk))
            sent += 1
            delay = start + sent * CHUNK_MS / 1000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def close(self):
        pass


class Microphone:
    """The default input device, at 16 kHz mono, each chunk stamped with when it was captured.

    PortAudio hands over each buffer from its own thread with the sound card's capture time
    (`input_buffer_adc_time`); the stamp is that time on our monotonic clock (voice.Played's), not
    the time the listener got round to the chunk, which is late and uneven on a busy machine and
    would misplace our voice for the echo canceller.
    """

    QUEUE_CHUNKS = 250  # five seconds held while the listener is busy; past that, chunks are dropped

    def __init__(self):
        from voicecoach.voice.streams import open_stream, stream_latency, stream_time_offset

        self._captured = queue.Queue(maxsize=self.QUEUE_CHUNKS)
        self._pa, self._stream = open_stream("microphone", rate=16000, input=True,
                                             frames_per_buffer=16000 * CHUNK_MS // 1000, on_input=self._capture)
        self._offset = stream_time_offset(self._stream)  # PortAudio's stream time to time.monotonic
        self._input_latency = stream_latency(self._stream, "input")
        self.latency_seconds = 0.0  # for the echo canceller: the stamps below already allow for it
        self.captured_at = None  # when the end of the chunk last yielded was captured (monotonic)
        self.finished = False

    def open_window(self):
        pass

    def _capture(self, data: bytes, times: dict) -> None:
        """PortAudio's thread: keep the chunk with its capture time (None: the host API gives none)."""
        adc = times.get("input_buffer_adc_time") or None
        with contextlib.suppress(queue.Full):  # the listener is far behind: this chunk is dropped
            self._captured.put_nowait((data, adc, time.monotonic()))

    def chunks(self, stop: threading.Event):
        """The chunks captured from now on (what came before, such as between two enrolment
        takes, is dropped), each with `captured_at` set to when its end was captured."""
        with contextlib.suppress(queue.Empty):
            while True:
                self._captured.get_nowait()
        while not stop.is_set():
            try:
                data, adc, handed = self._captured.get(timeout=0.1)
            except queue.Empty:
                if not self._stream.is_active():
                    raise OSError("the microphone stopped") from None
                continue
            seconds = len(data) / 2 / 16000
            known = adc is not None and self._offset is not None
            # Without the card's time, the hand-over less the input latency PortAudio reports.
            self.captured_at = adc + self._offset + seconds if known else handed - self._input_latency
            yield data

    def close(self):
        from voicecoach.voice import close_stream

        with contextlib.suppress(Exception):
            close_stream(self._pa, self._stream)
