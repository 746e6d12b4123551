"""Hearing cues: typed lines, single key presses, and spoken words from a microphone or recordings.

Every source reads in a background thread into a small buffer, wakes the runner, and hands a
cue over only when the session asks with the cues that make sense at that moment (`take`).
"""

import codecs
import collections
import contextlib
import os
import queue
import select
import sys
import threading
import time

from voicecoach.cues import Cue, Heard, Source, parse_key, parse_typed


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


# ---- spoken cues ----------------------------------------------------------------------------

CHUNK_MS = 20
MUTE_TAIL_SECONDS = 0.4  # after our own speech ends, the room still rings with it
PLAYLIST_GAP_MS = 600  # a clip is heard out (endpointer, decision) before the next may start


def context_for(accepted) -> str:
    """The recogniser's grammar for what makes sense at this moment."""
    if Cue.NUMBER in accepted:
        return "rating"
    if Cue.YES in accepted:
        return "answer"
    if Cue.DONE in accepted:
        return "turn"
    return "navigation"


def heard_from(decision) -> Heard | None:
    """The recogniser's canonical answer as a cue from the voice."""
    if decision.cue is None:
        return None
    if isinstance(decision.cue, int):
        return Heard(Cue.NUMBER, decision.cue, Source.VOICE, decision.unsure)
    return Heard(Cue(decision.cue), None, Source.VOICE, decision.unsure)


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
        self._playing = b""
        self._quiet_ms = PLAYLIST_GAP_MS  # silence since the last clip ended
        self._lock = threading.Lock()
        self.finished = False

    def open_window(self):
        """The session listens now: a playlist starts its next clip, once the last one has ended
        and been heard out (PLAYLIST_GAP_MS of silence), so one clip answers one moment."""
        with self._lock:
            if (not self.continuous and not self._playing and self.clips
                    and self._quiet_ms >= PLAYLIST_GAP_MS):
                self._playing = self.clips.pop(0)

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
            self._playing = self.clips.pop(0)
        while not stop.is_set():
            with self._lock:
                chunk, self._playing = self._playing[:step], self._playing[step:]
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


class SpokenCues:
    """Cues from a voice: the source is cut into utterances, each decided in the grammar of the moment.

    Half-duplex: while our own voice plays (and a short tail after), what the source hears is only
    listened to for "stop", with the strict grammar of a partner's turn (in which our own scripts
    gave no false stop); everything else heard then is dropped, so the assistant never takes its
    own words for a cue. Meanwhile, when `reference` gives what the player wrote (voice.Played),
    our own voice is first taken out of what the source hears (echo.py), so a stop said over it
    stands alone; when quiet, the source is heard as it is.
    """

    def __init__(self, source, recognizer, playing=lambda: None, on_heard=None, reference=lambda: None,
                 clock=time.monotonic):
        self.source = source
        self.recognizer = recognizer
        self.playing = playing  # the words our voice is saying now, "" for a chime, None when quiet
        self.reference = reference  # what our voice wrote to its sink (voice.Played), or None
        self.clock = clock
        self._echo = None  # echo.OwnVoiceRemoval, made on the first chunk heard over our voice
        self.on_heard = on_heard or (lambda text, cue: None)
        self.ended = False
        self._utterances = collections.deque()
        self._stops = collections.deque()  # "stop" heard over our own voice
        self._lock = threading.Lock()
        self._decoding = threading.Lock()  # one decoder, used from the listener and the runner
        self.last_take = None
        self._context = "navigation"  # the grammar of the moment, set by take(): a word is decoded in it
        self._open = None  # the context of the utterance being decoded as it is spoken, if any
        self._muted_until = 0.0  # our own voice and its tail: only "stop" is listened for until then
        self._stop = threading.Event()
        self._thread = None
        self._wake = lambda: None

    def start(self, wake):
        self._wake = wake
        self._thread = threading.Thread(target=self.listen, name="spoken-cues", daemon=True)
        self._thread.start()

    def listen(self):
        """Read the source until it ends (run in a thread by `start`; the benchmark calls it directly)."""
        from voicecoach.recognizer import Endpointer

        def streaming():  # each word is decoded while it is spoken, so little is left at its end
            return Endpointer(on_start=self._begin, on_frame=self._feed)

        endpointer, over_speech = streaming(), Endpointer()
        says_stop = False
        try:
            for chunk in self.source.chunks(self._stop):
                now = self.clock()
                captured_at = getattr(self.source, "captured_at", None)  # a sound card's own stamp
                at = now if captured_at is None else captured_at
                words = self.playing()
                if words is not None:
                    self._muted_until = now + MUTE_TAIL_SECONDS
                    says_stop = "stop" in words.lower()  # "say stop at any time": not theirs
                muted = now < self._muted_until
                echo = self._echo_removal()
                if muted:
                    self._end_open()
                    endpointer = streaming()  # forget any half-heard word from our own speech
                    heard = echo.clean(chunk, at) if echo else chunk
                    for utterance in over_speech.feed(heard):
                        if not says_stop:
                            self._listen_for_stop(utterance)
                    continue
                if echo:
                    echo.skip(at)
                over_speech = Endpointer()
                for utterance in endpointer.feed(chunk):
                    context, decision, take = self._end_open()
                    with self._lock:
                        self._utterances.append((utterance, context, decision, take))
                    self._wake()
                if self._open is not None and not endpointer.in_speech:  # a click, too short for a word
                    self._end_open()
        except Exception:  # noqa: BLE001 - a microphone that fails leaves the keys working
            self.ended = True
            self._wake()

    def _echo_removal(self):
        """Our voice's canceller, kept in step with the source from the first chunk (None: no voice)."""
        played = self.reference()
        if played is None:
            return None
        if self._echo is None or self._echo.played is not played:
            from voicecoach.echo import OwnVoiceRemoval

            self._echo = OwnVoiceRemoval(played, getattr(self.source, "latency_seconds", 0.0))
        return self._echo

    def _begin(self, preroll: bytes):
        with self._decoding:
            self._open = self._context
            self.recognizer.begin(self._open)
            self.recognizer.feed(preroll)

    def _feed(self, frame: bytes):
        with self._decoding:
            if self._open is not None:
                self.recognizer.feed(frame)

    def _end_open(self):
        """(context, decision, take) of the utterance decoded as it came; Nones if none was open."""
        with self._decoding:
            if self._open is None:
                return None, None, None
            context, self._open = self._open, None
            decision = self.recognizer.end()
            return context, decision, getattr(self.recognizer, "last", None)

    def _listen_for_stop(self, utterance):
        with self._decoding:
            decision = self.recognizer.decide(utterance.pcm, 16000, "turn")
        if decision.cue == "stop":
            with self._lock:
                self._stops.append(Heard(Cue.STOP, None, Source.VOICE))
            self._wake()

    @property
    def settling(self) -> bool:
        return getattr(self.source, "settling", False)

    @property
    def exhausted(self) -> bool:
        """A microphone never runs out; recordings do, once played and decided."""
        with self._lock:
            return self.source.finished and not self._utterances and not self._stops

    def take(self, accepted: frozenset, waiting: bool = True) -> Heard | None:
        if waiting and self.playing() is None and self.clock() >= self._muted_until:
            self.source.open_window()  # a recording starts once our voice and its tail are over
        with self._lock:
            if self._stops:
                self._stops.clear()
                return Heard(Cue.STOP, None, Source.VOICE)
            self._context = context_for(accepted)
            if not self._utterances:
                return None
            utterance, context, decision, take = self._utterances.popleft()
        if decision is None or context != self._context:  # the moment changed while it was spoken
            with self._decoding:
                decision = self.recognizer.decide(utterance.pcm, 16000, self._context)
                take = getattr(self.recognizer, "last", None)
        self.last_take = take  # with a voice profile: the take, for learning.py
        heard = heard_from(decision)
        self.on_heard(decision.text, heard)
        return heard if heard is not None and heard.cue in accepted else None

    def drop_stuck(self, accepted: frozenset):
        pass

    def close(self):
        self._stop.set()
        if self._thread is not None:  # let a read in progress return before the stream closes
            self._thread.join(timeout=1.0)
        self.source.close()


def stops_heard_while_saying(words: str, pcm16k: bytes, recognizer, played=None) -> int:
    """How many stops the half-duplex listener takes from a 16 kHz recording made while our voice
    says `words`: how the benchmark and the tests measure the assistant hearing itself. `played`
    (voice.Played, its times in seconds from the recording's start) is what the player wrote
    meanwhile, for the echo canceller."""
    step = 16000 * CHUNK_MS // 1000 * 2
    heard_until = [0.0]  # the recording's clock: the end of the chunk last heard

    class Recorded:
        finished = False

        def chunks(self, stop):
            for start in range(0, len(pcm16k) - step + 1, step):
                heard_until[0] = (start + step) / 2 / 16000
                yield pcm16k[start:start + step]

        def close(self):
            pass

    spoken = SpokenCues(Recorded(), recognizer, playing=lambda: words, reference=lambda: played,
                        clock=lambda: heard_until[0])
    spoken.listen()
    return len(spoken._stops)


class AnyOf:
    """Several sources at once (keys or typed lines, and a voice): the first cue that comes wins."""

    def __init__(self, *sources):
        self.sources = sources

    @property
    def ended(self):
        return all(source.ended for source in self.sources)

    @property
    def exhausted(self):
        return all(source.exhausted for source in self.sources)

    @property
    def settling(self):
        return any(getattr(source, "settling", False) for source in self.sources)

    def start(self, wake):
        for source in self.sources:
            source.start(wake)

    def take(self, accepted, waiting=True):
        for source in self.sources:
            heard = source.take(accepted, waiting)
            if heard is not None:
                return heard
        return None

    def drop_stuck(self, accepted):
        for source in self.sources:
            source.drop_stuck(accepted)

    def hide_typing(self, hidden):
        for source in self.sources:
            if hasattr(source, "hide_typing"):
                source.hide_typing(hidden)

    def close(self):
        for source in self.sources:
            source.close()


def level_dbfs(chunk: bytes) -> float:
    """Loudness of a chunk, in dB below full scale (-90 for digital silence)."""
    import math
    from array import array

    samples = array("h", chunk)
    if not samples:
        return -90.0
    rms = math.sqrt(sum(x * x for x in samples) / len(samples))
    return max(-90.0, 20 * math.log10(rms / 32768)) if rms else -90.0


def check_microphone(source, recognizer, seconds: float, on_level, on_heard, calibrate_seconds: float = 1.0):
    """Listen for a while: report the level of each chunk, the room's noise (its first second),
    and what each utterance was heard as. Returns the noise level in dBFS."""
    from voicecoach.recognizer import Endpointer

    stop = threading.Event()
    endpointer = Endpointer()
    noise, started = [], time.monotonic()
    for chunk in source.chunks(stop):
        elapsed = time.monotonic() - started
        level = level_dbfs(chunk)
        if elapsed < calibrate_seconds:
            noise.append(level)
        on_level(level, elapsed)
        for utterance in endpointer.feed(chunk):
            on_heard(recognizer.decide(utterance.pcm, 16000, "navigation"))
        if elapsed >= seconds or source.finished:
            stop.set()
            break
    for utterance in endpointer.flush():
        on_heard(recognizer.decide(utterance.pcm, 16000, "navigation"))
    source.close()
    return sorted(noise)[len(noise) // 2] if noise else -90.0
