"""Cues from a voice: a source's chunks cut into utterances and decided in the grammar of the moment,
half-duplex so the assistant never takes its own words for a cue."""

import collections
import threading
import time

from voicecoach.cues import Cue, Heard, Source
from voicecoach.hearing.sources import CHUNK_MS

MUTE_TAIL_SECONDS = 0.4  # after our own speech ends, the room still rings with it


def context_for(accepted) -> str:
    """The recogniser's grammar for what makes sense at this moment: a question (yes or no, where a
    consent question accepts every cue) before a rating; every grammar also hears "stop"."""
    if Cue.YES in accepted:
        return "answer"
    if Cue.NUMBER in accepted:
        return "rating"
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


class SpokenCues:
    """Cues from a voice: the source is cut into utterances, each decided in the grammar of the moment.

    Half-duplex: while our own voice plays (and a short tail after), what the source hears is only
    listened to for "stop", with PocketSphinx's strict grammar of a partner's turn (in which our own
    scripts gave no false stop), even when Whisper hears the rest (recognizer.choice.stop_engine_for);
    everything else heard then is dropped, so the assistant never takes its own words for a cue.
    Meanwhile, when `reference` gives what the player wrote (voice.Played), our own voice is first
    taken out of what the source hears (echo.py), so a stop said over it stands alone; when quiet,
    the source is heard as it is.
    """

    def __init__(self, source, recognizer=None, playing=lambda: None, on_heard=None, reference=lambda: None,
                 clock=time.monotonic, make=None, on_note=lambda line: None):
        """`recognizer`: the engine; or `make`, giving (engine, note), which the listening thread calls
        first, so a model that takes a second to load does so while the session's first line is
        spoken; `on_note` is told the note (why the engine wanted could not be used)."""
        self.source = source
        self._make = make
        self.recognizer = recognizer
        self.stop_engine = None  # for "stop" over our own voice (PocketSphinx), made with the engine
        self.on_note = on_note
        self.playing = playing  # the words our voice is saying now, "" for a chime, None when quiet
        self.reference = reference  # what our voice wrote to its sink (voice.Played), or None
        self.clock = clock
        self._echo = None  # echo.OwnVoiceRemoval, made on the first chunk heard over our voice
        self.on_heard = on_heard or (lambda text, cue: None)
        # A playlist's clip, once decided or given as silence: (its name, the words heard or None, the cue
        # or None, whether the moment took it), so the screen can show which clip answered what.
        self.on_clip = lambda name, text, heard, taken: None
        self.ended = False
        self.failure: str | None = None  # why listening stopped mid-session (a microphone unplugged), to be told
        self._utterances = collections.deque()
        self._stops = collections.deque()  # "stop" heard over our own voice
        self._lock = threading.Lock()
        self._decoding = threading.Lock()  # one decoder, used from the listener and the runner
        self.last_take = None
        self._context = "navigation"  # the grammar of the moment, set by take(): a word is decoded in it
        self._open = None  # the context of the utterance being decoded as it is spoken, if any
        self._muted_until = 0.0  # our own voice and its tail: only "stop" is listened for until then
        self._said = None  # the last line our voice said: Whisper hears an answer better knowing the question
        self._stop = threading.Event()
        self._thread = None
        self._wake = lambda: None

    def start(self, wake):
        self._wake = wake
        self._thread = threading.Thread(target=self.listen, name="spoken-cues", daemon=True)
        self._thread.start()

    def listen(self):
        """Read the source until it ends (run in a thread by `start`; the benchmark calls it directly)."""
        from voicecoach.hearing.recognizer import Endpointer
        from voicecoach.hearing.recognizer.choice import stop_engine_for

        try:
            if self._make is not None:
                self.recognizer, note = self._make()
                if note:
                    self.on_note(note)
            self.stop_engine = stop_engine_for(self.recognizer)
        except Exception as error:  # noqa: BLE001 - no engine (pocketsphinx missing): the keys still work
            self.failure = f"speech recognition could not start ({getattr(error, 'name', None) or error})"
            self.ended = True
            self._wake()
            return

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
                    self._said = words or self._said  # "" is a chime
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
                    clip = getattr(self.source, "now_playing", None)  # the recording it came from, if any
                    with self._lock:
                        self._utterances.append((utterance, context, decision, take, clip))
                    self._wake()
                if self._open is not None and not endpointer.in_speech:  # a click, too short for a word
                    self._end_open()
        except Exception as error:  # noqa: BLE001 - a microphone that fails leaves the keys working
            self.failure = str(error) or type(error).__name__
            self.ended = True
            self._wake()

    def _echo_removal(self):
        """Our voice's canceller, kept in step with the source from the first chunk (None: no voice)."""
        played = self.reference()
        if played is None:
            return None
        if self._echo is None or self._echo.played is not played:
            from voicecoach.hearing.echo import OwnVoiceRemoval

            self._echo = OwnVoiceRemoval(played, getattr(self.source, "latency_seconds", 0.0))
        return self._echo

    def _begin(self, preroll: bytes):
        with self._decoding:
            self._open = self._context
            self.recognizer.prompt = self._said
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
            self.stop_engine.prompt = None  # not our own words, which it is hearing over
            decision = self.stop_engine.decide(utterance.pcm, 16000, "turn")
        if decision.cue == "stop":
            with self._lock:
                self._stops.append(Heard(Cue.STOP, None, Source.VOICE))
            self._wake()

    @property
    def settling(self) -> bool:
        """A recording due now or still being heard, or decided and not yet taken: worth waiting for."""
        with self._lock:
            waiting = bool(self._utterances)
        return waiting or getattr(self.source, "settling", False)

    def moment_began(self, kind: str):
        """The session's new moment (Session.moment), for a playlist to play only the clips meant for it."""
        if hasattr(self.source, "moment_began"):
            self.source.moment_began(kind)

    @property
    def exhausted(self) -> bool:
        """A microphone never runs out; recordings do, once played and decided."""
        with self._lock:
            return self.source.finished and not self._utterances and not self._stops

    def take(self, accepted: frozenset, waiting: bool = True) -> Heard | None:
        with self._lock:
            self._context = context_for(accepted)  # before a clip starts: its words are decoded in it
            answered = bool(self._utterances)  # the last clip's words are still to reach the session
        if waiting and not answered and self.playing() is None and self.clock() >= self._muted_until:
            started = self.source.open_window()  # a recording starts once our voice and its tail are over
            if started is not None and started.pcm is None:
                self.on_clip(started.name, None, None, False)
        with self._lock:
            if self._stops:
                self._stops.clear()
                return Heard(Cue.STOP, None, Source.VOICE)
            if not self._utterances:
                return None
            utterance, context, decision, take, clip = self._utterances.popleft()
        if decision is None or context != self._context:  # the moment changed while it was spoken
            with self._decoding:
                self.recognizer.prompt = self._said
                decision = self.recognizer.decide(utterance.pcm, 16000, self._context)
                take = getattr(self.recognizer, "last", None)
        self.last_take = take  # with a voice profile: the take, for learning.py
        heard = heard_from(decision)
        self.on_heard(decision.text, heard)
        taken = heard is not None and heard.cue in accepted
        if clip is not None:
            self.on_clip(clip.name, decision.text, heard, taken)
        return heard if taken else None

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
