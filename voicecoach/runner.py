"""Runs a Session for real: performs its actions with a voice, ears, a view and the journal.

All waiting happens here, on one monotonic clock, against the session's deadlines; sounds and
input report back through one queue, so the engine sees events one at a time, in order.
"""

import collections
import queue
import threading
import time

from voicecoach import session as S
from voicecoach.cues import Cue
from voicecoach.errors import VoicecoachError

REFRESH_SECONDS = 0.25
DRAIN_SECONDS = 15.0  # at the end, let the last words and chime finish, but never hang on them


class TextVoice:
    """Stands in when nothing can be heard: a line 'takes' as long as it would to say it, scaled."""

    def __init__(self, time_scale: float = 1.0, rate_wpm: int = 160):
        self.time_scale = time_scale
        self.rate_wpm = rate_wpm
        self._timers: list[threading.Timer] = []

    def _after(self, seconds: float, on_done):
        seconds *= self.time_scale
        if seconds <= 0:
            on_done()
            return
        timer = threading.Timer(seconds, on_done)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def speak(self, text: str, on_done):
        self._after(len(text.split()) * 60 / self.rate_wpm, on_done)

    def chime(self, name: str, on_done):
        self._after(1.0, on_done)

    def hush(self):
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def slower(self):
        self.rate_wpm = max(80, self.rate_wpm - 20)

    def faster(self):
        self.rate_wpm = min(320, self.rate_wpm + 20)

    def louder(self):
        pass

    def quieter(self):
        pass

    def close(self):
        self.hush()


class Runner:
    def __init__(self, session: S.Session, voice, ears, view, journal=None, session_id=None,
                 clock=time.monotonic):
        self.session = session
        self.voice = voice
        self.ears = ears
        self.view = view
        self.journal = journal
        self.session_id = session_id
        self.clock = clock
        self._events: queue.Queue = queue.Queue()
        self._pending: collections.deque = collections.deque()
        self._playing: set[int] = set()
        self._told_input_ended = False

    def run(self) -> S.Outcome:
        self.ears.start(wake=lambda: self._events.put(("wake", None)))
        self.view.start()
        try:
            actions = self.session.start(self.clock())
            while True:
                self._perform(actions)
                if self.session.finished:
                    break
                actions = self._next_actions()
            self._drain()
        finally:
            self.ears.close()
            self.view.close()
        return self.session.outcome

    # ---- doing what the session asks -------------------------------------------------------

    def _perform(self, actions):
        for action in actions:
            if isinstance(action, S.Speak):
                self.view.said(action.text)
                self._play(self.voice.speak, action.speech, action.id)
            elif isinstance(action, S.PlayChime):
                self.view.chime(action.sound)
                self._play(self.voice.chime, action.sound, action.id)
            elif isinstance(action, S.Hush):
                self.voice.hush()
                self._playing.clear()
            elif isinstance(action, S.AdjustVoice):
                change = {Cue.SLOWER: self.voice.slower, Cue.FASTER: self.voice.faster,
                          Cue.LOUDER: self.voice.louder, Cue.QUIETER: self.voice.quieter}[action.change]
                change()
            elif isinstance(action, S.StepDone) and self.journal:
                self.journal.step(self.session_id, action.index, action.kind, skipped=action.skipped)
            elif isinstance(action, S.RecordRating) and self.journal:
                self.journal.rating(self.session_id, action.index, action.key, action.slot, action.name,
                                    action.value)
            elif isinstance(action, S.Finish) and self.journal:
                self.journal.end(self.session_id, action.outcome.value)
        if actions:
            self.view.update(self.session.view(), self.clock())

    def _play(self, method, what, sound_id):
        self._playing.add(sound_id)
        done = lambda: self._events.put(("sound", sound_id))  # noqa: E731
        try:
            method(what, done)
        except VoicecoachError as error:  # the voice failed mid-session: go on in text, say why once
            self.view.note(f"Text only from here: {error}.")
            self.voice.close()
            self.voice = TextVoice(self.session.time_scale)
            getattr(self.voice, method.__name__)(what, done)

    # ---- waiting for what happens next ---------------------------------------------------

    def _next_actions(self) -> list:
        """Block until something happens that the session cares about; return its answer."""
        while True:
            now = self.clock()
            while self._pending or not self._events.empty():
                kind, value = self._pending.popleft() if self._pending else self._events.get_nowait()
                if kind == "sound":
                    self._playing.discard(value)
                    actions = self.session.sound_finished(value, now)
                    if actions:
                        return actions
            session = self.session
            heard = self.ears.take(session.accepted, waiting=not session.speaking)
            if heard is not None:
                actions = session.heard(heard, now)
                if actions:
                    self.view.heard(heard.word)
                    return actions
                continue
            if self.ears.exhausted and not self._told_input_ended:
                self._told_input_ended = True
                actions = session.input_ended(now)
                if actions:
                    return actions
            deadline = session.deadline
            if deadline is not None and now >= deadline:
                return session.tick(now)
            if deadline is None and not session.speaking:
                self.ears.drop_stuck(session.accepted)
            timeout = REFRESH_SECONDS if deadline is None else min(REFRESH_SECONDS, deadline - now)
            self.view.update(session.view(), now)
            try:
                self._pending.append(self._events.get(timeout=max(0.0, timeout)))
            except queue.Empty:
                pass

    def _drain(self):
        """Let what is still playing (a closing line, the bell) finish, within a limit."""
        end = self.clock() + DRAIN_SECONDS
        while self._playing and self.clock() < end:
            try:
                kind, value = self._events.get(timeout=max(0.0, end - self.clock()))
            except queue.Empty:
                break
            if kind == "sound":
                self._playing.discard(value)


def _open_voice(settings, audio_out, time_scale):
    """The real voice if it can work here, else the text stand-in and one line saying why."""
    try:
        from voicecoach import voice
    except ImportError as error:  # pragma: no cover - a broken install
        return TextVoice(time_scale, settings.rate_wpm), f"the speech module could not load ({error})"
    try:
        return voice.open_voice(audio_out, settings.voice or None, settings.rate_wpm, settings.volume), None
    except voice.AudioUnavailable as error:
        return TextVoice(time_scale, settings.rate_wpm), str(error)


def run_exercise(exercise, settings, *, text_cues=False, time_scale=1.0, log=True, solo=None,
                 audio_out=None, console=None) -> str:
    """Run one exercise with everything real: voice, keys or typed cues, live view, journal."""
    import sys

    from rich.console import Console

    from voicecoach import display
    from voicecoach.ears import Keys, TypedCues
    from voicecoach.journal import Journal

    journal = Journal() if log else None  # first: a journal problem should stop us before any sound
    console = console or Console(highlight=False)
    console.soft_wrap = not console.is_terminal  # logs and pipes get whole lines
    stdin = sys.stdin
    typing = text_cues or stdin is None or not stdin.isatty()
    if typing:
        view = display.PlainView(console, exercise.title, show_keys=stdin is not None and stdin.isatty())
    elif console.is_terminal:
        view = display.LiveView(console, exercise.title)
    else:
        view = display.PlainView(console, exercise.title, show_keys=False)
    voice, why = _open_voice(settings, audio_out, time_scale)
    if why:
        console.print(f"[yellow]Text only: {why}.[/]")
    rejected = lambda line, reason: view.note(f"  '{line}': {reason}")  # noqa: E731
    ears = TypedCues(stdin, interactive=stdin is not None and stdin.isatty(), on_rejected=rejected) \
        if typing else Keys(stdin)
    session = S.Session(exercise, settings.names(), settings.spoken_names(), solo=solo, time_scale=time_scale)
    runner = Runner(session, voice, ears, view, journal)
    try:
        if journal:
            runner.session_id = journal.begin(exercise.id, exercise.title, exercise.digest,
                                              len(exercise.steps), solo=solo is not None)
        outcome = runner.run().value
    except KeyboardInterrupt:
        runner.voice.hush()
        if journal and runner.session_id:
            journal.mark_interrupted(runner.session_id)
        console.print("\nInterrupted. " + ("The session is in your journal as interrupted, with the steps done."
                                           if journal else "Nothing was logged."))
        return "interrupted"
    finally:
        runner.voice.close()
        if journal:
            journal.close()
    console.print(display.summary(session, outcome, logged=journal is not None))
    return outcome
