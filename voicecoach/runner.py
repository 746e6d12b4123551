"""Runs a Session for real: performs its actions with a voice, ears, a view and the journal.

All waiting happens here, on one monotonic clock, against the session's deadlines; sounds and
input report back through one queue, so the engine sees events one at a time, in order.
"""

import collections
import queue
import random
import time
from datetime import datetime

from voicecoach import exercise as ex
from voicecoach import session as S
from voicecoach.cues import Cue
from voicecoach.errors import JournalError, VoicecoachError

REFRESH_SECONDS = 0.25
DRAIN_SECONDS = 15.0  # at the end, let the last words and chime finish, but never hang on them
SETTLE_SECONDS = 0.002  # how long to wait for a piped line that is on its way


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
        self._told_listening_stopped = False
        self._words = ""
        self.learning = None  # learning.SessionLearning when confirmed spoken cues join the voice profile
        self.paused_line = "Paused. Say resume to go on, or stop to end."  # run_exercise words it for the mode
        self._was_paused = False

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
                self._words = action.speech
                self.view.said(action.text)
                self._play(self.voice.speak, action.speech, action.id)
            elif isinstance(action, S.PlayChime):
                self._words = ""
                self.view.chime(action.sound)
                self._play(self.voice.chime, action.sound, action.id)
            elif isinstance(action, S.Hush):
                self.voice.hush()
                self._playing.clear()
            elif isinstance(action, S.Listen) and hasattr(self.ears, "moment_began"):
                self.ears.moment_began(action.moment)  # a playlist plays the clips meant for it
            elif isinstance(action, S.AdjustVoice):
                change = {Cue.SLOWER: self.voice.slower, Cue.FASTER: self.voice.faster,
                          Cue.LOUDER: self.voice.louder, Cue.QUIETER: self.voice.quieter}[action.change]
                change()
            elif isinstance(action, S.StepDone) and self.journal:
                self._log("step", action.index, action.kind, skipped=action.skipped)
            elif isinstance(action, S.RecordRating) and self.journal:
                self._log("rating", action.index, action.key, action.slot, action.name, action.value)
            elif isinstance(action, S.RecordPick) and self.journal:
                self._log("record_picks", action.pool, action.items)
            elif isinstance(action, S.Finish) and self.journal:
                self._log("end", action.outcome.value)
        if actions:
            paused = self.session.state is S.State.PAUSED
            if paused and not self._was_paused:  # a pause is silent: show that it holds, and the way on
                self.view.note(self.paused_line)
            self._was_paused = paused
            if hasattr(self.ears, "hide_typing"):
                self.ears.hide_typing(self.session.private)  # a private answer is not echoed
            self.view.update(self.session.view(), self.clock())

    def playing_words(self) -> str | None:
        """What our voice is saying right now (None when quiet): the ears must not take it as a cue."""
        return self._words if self.voice.playing else None

    def _log(self, method, *args, **kwargs):
        """Write to the journal; if it cannot be written (a full disk), say so once and go on."""
        try:
            getattr(self.journal, method)(self.session_id, *args, **kwargs)
        except JournalError as error:
            self.view.note(f"The journal could not be written ({error}); this session is no longer logged.")
            self.journal = None

    def _play(self, method, what, sound_id):
        self._playing.add(sound_id)
        done = lambda: self._events.put(("sound", sound_id))  # noqa: E731
        try:
            method(what, done)
        except VoicecoachError as error:  # the voice failed mid-session: go on in text, say why once
            self.view.note(f"Text only from here: {error}.")
            self.voice.close()
            from voicecoach.voice import TextVoice

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
                private = session.private  # a partner's consent is never shown on screen
                speaker = session.view().speaker
                actions = session.heard(heard, now)
                if actions and self.learning:
                    self.learning.cue(heard, speaker)
                if actions:
                    self.view.heard("(answered)" if private else heard.word)
                    return actions
                continue
            failure = getattr(self.ears, "failure", None)
            if failure and not self._told_listening_stopped:  # hands-free, they must know to use the keys
                self._told_listening_stopped = True
                self.view.note(f"Not listening any more: {failure}. Keys and typed cues still work.")
            if self.ears.exhausted and not self._told_input_ended:
                self._told_input_ended = True
                actions = session.input_ended(now)
                if actions:
                    return actions
            deadline = session.deadline
            if deadline is not None and now >= deadline:
                if getattr(self.ears, "settling", False):  # a piped line is arriving: let it count
                    time.sleep(SETTLE_SECONDS)
                    continue
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


def _warn(line: str) -> None:
    """A note about the set-up (no voice, no microphone, no journal): on stderr, apart from the session."""
    import click

    click.secho(line, fg="yellow", err=True)


def _open_voice(settings, audio_out, time_scale):
    """The real voice if it can work here, else the text stand-in; and a line to tell the user, or None."""
    from voicecoach import voice

    try:
        return voice.open_voice(audio_out, settings.voice or None, settings.rate_wpm, settings.volume), None
    except voice.UnknownVoice as error:
        note = f"{error}; using the default voice ('voicecoach config set voice' to change it)"
        try:
            return voice.open_voice(audio_out, None, settings.rate_wpm, settings.volume), note
        except voice.AudioUnavailable as again:
            error = again
    except voice.AudioUnavailable as error_:
        error = error_
    return voice.TextVoice(time_scale, settings.rate_wpm), f"Text only: {error}."


def _open_ears(audio_in, listen, playing):
    """Spoken cues from recordings (ears.Recordings, read as --audio-in was parsed) or the
    microphone, or None and a line saying why not; the cue engine loads in the background."""
    if not audio_in and not listen:
        return None, None
    from voicecoach.hearing import Microphone, SpokenCues
    from voicecoach.voice import AudioUnavailable

    try:  # the source first: with no microphone there is no decoder to load
        source = audio_in or Microphone()
    except AudioUnavailable as error:
        return None, f"Keyboard only: {error}."
    from voicecoach.profile.enrolled import couple_recognizer

    # The engine (with the couple's enrolled voices, if they enrolled) is made by the listening thread
    # while the first line is spoken: Whisper's model takes most of a second to load.
    return SpokenCues(source, playing=playing, make=couple_recognizer, on_note=_warn), None


def clip_line(name, text, heard, taken, private=False) -> str:
    """Which --audio-in clip answered what, for a rehearsal's screen; a consent answer stays unshown."""
    if text is None and heard is None:
        return f"  clip {name}"
    if taken:
        return f"  clip {name}: " + ("answered" if private else heard.word)
    if private:
        return f"  clip {name}: not understood"
    words = f" (heard {text.strip()!r})" if text and text.strip() else ""
    return f"  clip {name}: " + ("not understood" if heard is None else f"{heard.word}, not an answer here") + words


def history(exercise, journal) -> dict:
    """What the session needs from earlier ones: pool items said lately, and the last ratings."""
    if journal is None:  # --no-log: the journal is neither read nor written
        return {}
    keys = {step.key for step in exercise.steps if isinstance(step, ex.Rate) and step.low is not None}
    picks = {name: journal.recent_picks(exercise.id, name) for name in exercise.pools}
    picks[S.THERAPIST_POOL] = journal.recent_picks(None, S.THERAPIST_POOL)  # said after any exercise
    return {"recent_picks": picks,
            "rating_history": {key: journal.recent_ratings_for_key(key) for key in keys}}


def _paused_line(typing: bool, spoken: bool) -> str:
    """How to go on from a pause, in the ways this session listens."""
    ways = "type resume to go on, or stop to end" if typing else "press p to go on, or q to end"
    return f"  Paused: {ways}" + (" (or say resume)." if spoken else ".")


def run_exercise(exercise, settings, *, text_cues=False, time_scale=1.0, log=True, solo=None,
                 audio_out=None, audio_in=None, listen=True, console=None, closing_line=True) -> str:
    """Run one exercise with everything real: voice, keys or typed cues, live view, journal.

    `closing_line` False leaves the last word to the caller (a private question such as a
    program's readiness check is not a session to sum up)."""
    import sys

    from rich.console import Console

    from voicecoach import view as display
    from voicecoach.cues import typed_words
    from voicecoach.hearing import AnyOf, Keys, TypedCues
    from voicecoach.journal import Journal

    console = console or Console(highlight=False)
    console.soft_wrap = not console.is_terminal  # logs and pipes get whole lines
    journal = None
    if log:  # first: a locked journal asks for its passphrase before any sound
        try:
            journal = Journal()
        except JournalError as error:  # read-only folder, full disk, locked: the session still runs
            _warn(f"This session will not be journalled: {error}.")
    stdin = sys.stdin
    interactive = stdin is not None and stdin.isatty()
    typing = text_cues or not interactive
    if typing:
        view = display.PlainView(console, exercise.title, show_keys=interactive)
    elif console.is_terminal:
        view = display.LiveView(console, exercise.title)
    else:
        view = display.PlainView(console, exercise.title, show_keys=False)
    def rejected(line, reason):
        words = typed_words(session.offered, consent=session.private) if session else []
        view.note(f"  '{line}': {reason}" + (f"; you can type: {', '.join(words)}" if words else ""))

    session = None
    ears = TypedCues(stdin, interactive=interactive, on_rejected=rejected) if typing else Keys(stdin)
    spoken, why_not = _open_ears(audio_in, listen, lambda: runner.playing_words() if runner else None)
    if why_not:
        _warn(why_not)
    if spoken is not None:
        spoken.reference = lambda: getattr(runner.voice, "played", None) if runner else None  # for its echo canceller
        ears = AnyOf(spoken, ears)
    view.listening = spoken is not None  # the live panel names the keys when nothing listens
    if spoken is not None and audio_in:
        spoken.on_clip = lambda *clip: view.clip(clip_line(*clip, private=session.private))
    session = S.Session(exercise, settings.names(), settings.spoken_names(), solo=solo, time_scale=time_scale,
                        rng=random.Random(), wall_clock=datetime.now(), helplines=settings.helplines,
                        **history(exercise, journal))
    runner = None
    try:
        voice, note = _open_voice(settings, audio_out, time_scale)
        if note:
            _warn(note)
        runner = Runner(session, voice, ears, view, journal)
        runner.paused_line = _paused_line(typing, spoken is not None)
        if log and spoken is not None:  # it learns only from takes an enrolled profile saw
            from voicecoach.profile.learning import SessionLearning

            runner.learning = SessionLearning(spoken, settings.names())
        if journal:
            try:
                runner.session_id = journal.begin(exercise.id, exercise.title, exercise.digest,
                                                  len(exercise.steps), solo=solo is not None)
            except JournalError as error:  # a full disk: say so once, go on without the journal
                _warn(f"This session will not be journalled: {error}.")
                runner.journal = None
        outcome = runner.run().value
    except KeyboardInterrupt:
        if runner:
            runner.voice.hush()
            if runner.journal and runner.session_id:
                runner.journal.mark_interrupted(runner.session_id)
        console.print("\nInterrupted. " + ("The session is in your journal as interrupted, with the steps done."
                                           if runner and runner.journal else "Nothing was logged."))
        return "interrupted"
    finally:
        if runner:
            runner.voice.close()
        if journal:
            journal.close()
    if closing_line:
        console.print(display.summary(session, outcome, logged=runner.journal is not None), markup=False)
    return outcome


def say_line(text: str, settings, audio_out=None) -> str:
    """Speak one line with the user's settings (names filled in) and wait until it has been heard."""
    import threading

    from voicecoach.errors import ExerciseError

    try:
        shown = ex.fill(text, settings.names())
        spoken = ex.fill(text, settings.spoken_names())
    except (KeyError, ValueError, IndexError):
        raise ExerciseError([ex.Problem("say", None, f"only {{A}} and {{B}} go in braces, in {text!r}")]) from None
    voice, note = _open_voice(settings, audio_out, 0.0)
    if note:
        _warn(note)
    done = threading.Event()
    try:
        voice.speak(spoken, done.set)
        done.wait(timeout=120)
    finally:
        voice.close()
    return shown
