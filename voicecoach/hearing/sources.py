"""Where spoken cues come from: the live microphone, or --audio-in recordings played as one.

Both hand over 16 kHz mono chunks of CHUNK_MS in real time, so the listener cannot tell them apart.
"""

import contextlib
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CHUNK_MS = 20
PLAYLIST_GAP_MS = 600  # a clip is heard out (endpointer, decision) before the next may start


SILENCE = "silence"  # a playlist entry that lets one moment pass with nobody speaking
# What a playlist clip may be said at (session.Session.moment): "KIND:FILE" waits for that kind of moment;
# a plain FILE is for the next moment that waits for a voice, which a timed one (breathing, a pause) is not.
MOMENTS = ("next", "turn", "rating", "question", "consent", "paused", "timed")
VOICE_MOMENTS = frozenset(MOMENTS) - {"timed"}


def _recording(path) -> bytes:
    """One --audio-in file as 16 kHz mono; one that cannot be used is named in a one-line error."""
    from voicecoach.errors import BadInput
    from voicecoach.hearing import recognizer

    try:
        return recognizer.load_file(path).tobytes()
    except recognizer.AudioError as error:
        raise BadInput(f"--audio-in {path}: {error}") from None


def _streamed(path):
    """One --audio-in file read as it plays, block by block: an hour costs no more memory than a
    minute. It is checked at once (a one-line error); a fault met later ends the recording there."""
    from voicecoach.errors import BadInput
    from voicecoach.hearing import recognizer

    try:
        blocks = recognizer.stream_file(path)
    except recognizer.AudioError as error:
        raise BadInput(f"--audio-in {path}: {error}") from None

    def pcm():
        try:
            for block in blocks:
                yield block.tobytes()
        except recognizer.AudioError:
            return

    return pcm()


def _one_plain_file(paths) -> bool:
    """A single entry that is a file for no moment in particular: played as one continuous stream."""
    if len(paths) != 1:
        return False
    kind, colon, _ = str(paths[0]).partition(":")
    return str(paths[0]) != SILENCE and not (colon and kind in MOMENTS)


@dataclass(frozen=True)
class Clip:
    """One playlist entry: its sound (None for silence), the kind of moment it is for (None: the next
    that waits for a voice), and how the screen names it ("3 seven.wav": its place and file)."""

    name: str
    pcm: bytes | None
    moment: str | None = None


def _entry(number: int, value) -> Clip:
    """`silence`, a file, or either behind a moment's kind ("timed:stop.wav")."""
    text = str(value)
    kind, colon, rest = text.partition(":")
    moment = kind if colon and kind in MOMENTS else None
    if colon and not moment and kind.isalpha() and not Path(text).exists():  # a kind mistyped, not a file
        from voicecoach.errors import BadInput

        raise BadInput(f"--audio-in {text}: '{kind}' is not a kind of moment (one of {', '.join(MOMENTS)})")
    text = rest if moment else text
    pcm = None if text == SILENCE else _recording(text)
    return Clip(f"{number} {text if pcm is None else Path(text).name}", pcm, moment)


class Recordings:
    """Recorded speech as the microphone, in real time: one file is one continuous stream; several
    are a playlist, standing in for two people: each clip is said at the moment it is meant for."""

    speed = 1.0  # times real time: tests may play faster, since what is heard is counted in samples

    def __init__(self, paths):
        paths = list(paths)
        self.continuous = _one_plain_file(paths)
        self._stream = _streamed(paths[0]) if self.continuous else None  # the continuous file, still to read
        self.clips = [] if self.continuous else [_entry(number, path) for number, path in enumerate(paths, 1)]
        self._playing = memoryview(b"")  # what is left of the clip playing: a view, so a chunk costs no copy of it
        self._quiet_ms = PLAYLIST_GAP_MS  # silence since the last clip ended
        self._lock = threading.Lock()
        self._moment = None  # the session's moment (Session.moment); None if never told (enrol, mic): any clip
        self._silent = False  # a silence entry was given to this moment: it passes without a clip
        self.now_playing: Clip | None = None  # the clip last started, whose words are being heard
        self.finished = False

    def moment_began(self, kind: str):
        """The session listens for something new: the next entry may be for it."""
        with self._lock:
            self._moment, self._silent = kind, False

    def _due(self) -> bool:
        """The playlist's next entry is for this moment (called holding the lock)."""
        if self.continuous or not self.clips or self._silent:
            return False
        wanted = self.clips[0].moment
        if self._moment is None:
            return True
        return self._moment in VOICE_MOMENTS if wanted is None else wanted == self._moment

    def open_window(self) -> Clip | None:
        """The session listens now, and our voice is quiet: the next entry starts if it is for this
        moment and the last clip has been heard out (PLAYLIST_GAP_MS of silence); the entry started,
        or None. A clip that is not understood leaves the moment open for the next one."""
        with self._lock:
            if self._playing or self._quiet_ms < PLAYLIST_GAP_MS or not self._due():
                return None
            clip = self.clips.pop(0)
            if clip.pcm is None:
                self._silent = True
            else:
                self._playing, self.now_playing = memoryview(clip.pcm), clip
            return clip

    @property
    def settling(self) -> bool:
        """A clip is due at this moment, playing, or not yet heard out: the session's deadline waits
        for it, so that it answers the moment it is meant for however fast the session runs
        (--time-scale), as a person would be waited for."""
        with self._lock:
            return not self.continuous and (bool(self._playing) or self._quiet_ms < PLAYLIST_GAP_MS or self._due())

    def chunks(self, stop: threading.Event):
        """16 kHz mono chunks of CHUNK_MS at real-time pace (times `speed`), silence between clips."""
        step = 16000 * CHUNK_MS // 1000 * 2
        start, sent = time.monotonic(), 0
        while not stop.is_set():
            with self._lock:
                while self._stream is not None and len(self._playing) < step:  # the next block, as it plays
                    block = next(self._stream, None)
                    if block is None:
                        self._stream = None
                    else:
                        self._playing = memoryview(bytes(self._playing) + block)
                chunk, self._playing = bytes(self._playing[:step]), self._playing[step:]
                self._quiet_ms = 0 if chunk else self._quiet_ms + CHUNK_MS
                if (not self._playing and self._stream is None and self._quiet_ms >= 1000
                        and all(clip.pcm is None for clip in self.clips)):
                    self.finished = True  # a second after the last word: its end has been heard
            yield chunk + bytes(step - len(chunk))
            sent += 1
            delay = start + sent * CHUNK_MS / 1000 / self.speed - time.monotonic()
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
        return None

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
