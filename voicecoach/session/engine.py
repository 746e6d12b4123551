"""The Session: it moves through the steps and handles pause, repeat, skip and stop around them."""

import dataclasses
import random
from datetime import datetime, timedelta

from voicecoach import exercise as ex
from voicecoach.cues import Cue, Heard, Source
from voicecoach.session import resume
from voicecoach.session.actions import (
    AdjustVoice,
    Finish,
    Hush,
    Listen,
    Outcome,
    PlayChime,
    RecordPick,
    RecordRating,
    Speak,
    State,
    StepDone,
    View,
)
from voicecoach.session.picks import choose_picks
from voicecoach.session.steps import StepPrograms, _Sound, _Wait
from voicecoach.session.therapist import (
    HELPLINES_LINE,
    THERAPIST_LINE,
    THERAPIST_POOL,
    THERAPIST_WORD,
    TROUBLED_SESSIONS,
    said_lately,
    troubled,
    without_therapist,
)

NAVIGATION = frozenset({Cue.PAUSE, Cue.REPEAT, Cue.SKIP, Cue.SLOWER, Cue.FASTER,
                        Cue.LOUDER, Cue.QUIETER, Cue.STOP})
VOICE_CHANGES = frozenset({Cue.SLOWER, Cue.FASTER, Cue.LOUDER, Cue.QUIETER})
# At a consent question every cue is an answer: only a sure yes opens the exercise; repeat asks again and
# the voice may be changed; anything else (no, stop, skip, next, a number, a word that is no cue) declines.
CONSENT_ANSWERS = frozenset({Cue.YES, Cue.NO})  # what the screen offers there
CONSENT_HEARS = frozenset(Cue)
STOP_SILENCE_SECONDS = 20
MAX_VISITS_PER_STEP = 25
DECLINE_LINE = "That's completely fine. Not today is always a good answer. We'll leave it here."
CONFIRM_STOP_LINE = "Shall we stop here?"
STILL_PAUSED_LINE = "Alright. We're paused. Say resume when you're both ready."


class Session(StepPrograms):
    """One run of an exercise, driven by events; see the package docstring."""

    def __init__(self, exercise: ex.Exercise, names: dict, spoken_names: dict | None = None,
                 solo: str | None = None, time_scale: float = 1.0, *, recent_picks: dict | None = None,
                 rng: random.Random | None = None, rating_history: dict | None = None,
                 wall_clock: datetime | None = None, helplines: str = ""):
        """recent_picks: pool -> items said in earlier sessions, newest first; rating_history: rating
        key -> earlier sessions' {slot: value}, newest first; wall_clock: the local time at start()."""
        self.exercise = exercise
        self.names = dict(names)
        self.spoken_names = dict(spoken_names or names)
        self.solo = solo
        self.time_scale = time_scale
        self.state = State.READY
        self.outcome: Outcome | None = None
        self.index = 0
        self.part = 0
        self.now = 0.0
        self.last_heard: Heard | None = None
        self.last_text = ""
        self.turn_prompt = ""  # the prompt of the turn under way, as shown
        self.ratings: list[RecordRating] = []
        self._program = None
        self._waiting = None  # the _Sound or _Wait the current program waits on
        self._deadline: float | None = None
        self._origin = 0.0  # monotonic time at which the current part started, shifted by pauses
        self._paused_at = 0.0
        self._held_deadline: float | None = None
        self._sound_id = 0
        self._out: list = []
        self._step_values: list = []
        self._skipped_parts = 0
        self._visits: dict[int, int] = {}
        self._next_step = None  # the step _enter_step's loop enters next (see there)
        self._entering = False
        self._input_ended = False
        self._answer: int | None = None  # a rating heard in this part, not yet recorded
        self.picks = choose_picks(exercise.pools, recent_picks or {}, rng or random.Random())
        self._said_picks: set[str] = set()
        self.rating_history = rating_history or {}
        self.wall_clock = wall_clock
        self.helplines = helplines
        self._started_at = 0.0
        self._resume_said: str | None = None  # the time to come back, once offered: said the same after
        self.suggest_therapist = False  # ratings stayed low or far apart: said once, at the end
        self._therapist_said_lately = said_lately((recent_picks or {}).get(THERAPIST_POOL, ()),
                                                  wall_clock.date() if wall_clock else None)
        self._therapist_mentioned = False  # a line of the exercise (its gentle path) already named one

    # ---- events ---------------------------------------------------------------------

    def start(self, now: float) -> list:
        self.now = now
        self._started_at = now
        self.state = State.RUNNING
        self._enter_step(0)
        return self._flush()

    def sound_finished(self, sound_id: int, now: float) -> list:
        self.now = now
        if self.state is State.CONFIRMING_STOP and sound_id == self._sound_id:
            self._listen(frozenset({Cue.YES, Cue.NO, Cue.RESUME, Cue.STOP}),
                         now + STOP_SILENCE_SECONDS * self.time_scale)
        elif (self.state is State.RUNNING and isinstance(self._waiting, _Sound)
              and self._waiting.action.id == sound_id):
            self._advance(None)
        return self._flush()

    def tick(self, now: float) -> list:
        """The clock reached (or passed) the deadline."""
        self.now = now
        if self._deadline is None or now < self._deadline:
            return []
        if self.state is State.CONFIRMING_STOP:
            self._finish(Outcome.STOPPED)
        elif self.state is State.RUNNING and isinstance(self._waiting, _Wait):
            self._advance(None)
        return self._flush()

    def heard(self, heard: Heard, now: float) -> list:
        self.now = now
        if self.state in (State.READY, State.FINISHED) or heard.cue not in self.accepted:
            return []
        if not self.private:
            self.last_heard = heard
        cue = heard.cue
        if self.private:
            self._consent_heard(heard)
        elif self.state is State.CONFIRMING_STOP:
            if cue in (Cue.YES, Cue.STOP):
                self._finish(Outcome.STOPPED)
            elif cue is Cue.RESUME:
                self._resume()
            else:  # "no" to "shall we stop?": stay paused, with no clock; only "resume" goes on
                self.state = State.PAUSED
                self._say_system(STILL_PAUSED_LINE)
                self._listen(self.accepted, None)
                if self._input_ended:
                    self._finish(Outcome.STOPPED)
        elif self.state is State.PAUSED:
            if cue is Cue.STOP:
                self._stop(heard)
            elif cue is Cue.RESUME:
                self._resume()
        elif cue is Cue.STOP:
            self._stop(heard)
        elif cue is Cue.PAUSE:
            self._pause()
        elif cue is Cue.REPEAT:
            self._out.append(Hush())
            self._start_part()
        elif cue is Cue.SKIP:
            self._out.append(Hush())
            self._skip()
        elif cue in VOICE_CHANGES:
            self._out.append(AdjustVoice(cue))
        elif isinstance(self._waiting, _Sound):  # "next", or an answer, while speaking: move on
            self._out.append(Hush())
            self._advance(heard if cue in self._waiting.early else None)
        else:
            self._advance(heard)
        return self._flush()

    def _consent_heard(self, heard: Heard):
        """A partner's private answer: a sure yes goes to the step, which asks the other partner next."""
        if heard.cue in VOICE_CHANGES:
            self._out.append(AdjustVoice(heard.cue))
        elif heard.cue is Cue.REPEAT:
            self._out.append(Hush())
            self._start_part()
        elif heard.cue is Cue.YES and not heard.unsure:
            if isinstance(self._waiting, _Sound):
                self._out.append(Hush())
            self._advance(heard)
        else:
            self._out.append(Hush())
            self._part_done("decline", skipped=False)

    def input_ended(self, now: float) -> list:
        """No more typed cues will come: a pause nobody can resume ends the session."""
        self.now = now
        self._input_ended = True
        if self.state in (State.PAUSED, State.CONFIRMING_STOP) and self._deadline is None:
            self._finish(Outcome.STOPPED)
        return self._flush()

    # ---- what the runner and the view read ----------------------------------------------

    @property
    def finished(self) -> bool:
        return self.state is State.FINISHED

    @property
    def speaking(self) -> bool:
        """A step waits for its words to be spoken (cues typed ahead wait for the end of them)."""
        return self.state is State.RUNNING and isinstance(self._waiting, _Sound)

    @property
    def deadline(self) -> float | None:
        return self._deadline

    @property
    def accepted(self) -> frozenset:
        if self.state is State.PAUSED:
            return frozenset({Cue.RESUME, Cue.STOP})
        if self.state is State.CONFIRMING_STOP:
            return frozenset({Cue.YES, Cue.NO, Cue.RESUME, Cue.STOP})
        if self.state is not State.RUNNING:
            return frozenset()
        if self.private:
            return CONSENT_HEARS
        if isinstance(self._waiting, _Wait):
            return self._waiting.accepted | NAVIGATION
        early = self._waiting.early if isinstance(self._waiting, _Sound) else frozenset()
        return NAVIGATION | {Cue.NEXT} | early

    @property
    def moment(self) -> str:
        """What the session waits for now, in a word a playlist of recordings can be written against:
        "speaking" while its words are said (only a stop counts then), "timed" for a wait that ends on
        its own with nobody needing to speak (a breathing phase, a pause that does not ask for "next"),
        else what it waits for:
        "next", "turn", "rating", "question", "consent" or "paused"; "" when it no longer listens."""
        if self.state is State.PAUSED:
            return "paused"
        if self.state is State.CONFIRMING_STOP:
            return "question"
        if self.state is not State.RUNNING or self._waiting is None:
            return ""
        if isinstance(self._waiting, _Sound):
            return "speaking"
        if self.private:
            return "consent"
        accepted = self._waiting.accepted
        if Cue.NUMBER in accepted:
            return "rating"
        if Cue.DONE in accepted:
            return "turn"
        if Cue.YES in accepted:
            return "question"
        return "timed" if self._waiting.quiet else "next"

    @property
    def offered(self) -> frozenset:
        """The cues the screen offers now: at a consent question only its answers, though any cue declines."""
        return CONSENT_ANSWERS if self.private else self.accepted

    @property
    def step(self):
        return self.exercise.steps[self.index] if self.index < len(self.exercise.steps) else None

    @property
    def private(self) -> bool:
        """Answers at this moment must not be shown or said back (a partner's consent)."""
        return isinstance(self.step, ex.Consent) and self.state is State.RUNNING

    def view(self) -> View:
        step = self.step
        slot = self._slots(step)[self.part] if step is not None and self.part < len(self._slots(step)) else None
        text, aside = self.last_text, ""
        if isinstance(step, ex.Turn) and self.turn_prompt and self.turn_prompt != text:
            text, aside = self.turn_prompt, text  # whose turn and what to say first; the listener's line after
        return View(step_number=min(self.index + 1, len(self.exercise.steps)),
                    step_count=len(self.exercise.steps), kind=step.kind if step else "",
                    speaker=self.names.get(slot) if slot else None, text=text, aside=aside,
                    state=self.state, deadline=self._deadline, offered=self.offered,
                    last_heard=self.last_heard, speaking=self.speaking)

    # ---- moving through the steps -------------------------------------------------------

    def _slots(self, step) -> list:
        return ex.partners(step, self.solo)

    def _enter_step(self, index: int):
        """A loop rather than a call a step: a step that ends at once (a goto) asks for the next one
        from inside this loop, which enters it when the stack is back here, so 500 chained gotos
        are 500 turns of the loop, not 500 nested calls (a RecursionError)."""
        self._next_step = index
        if self._entering:
            return
        self._entering = True
        try:
            while self._next_step is not None:
                index, self._next_step = self._next_step, None
                self._enter_one(index)
        finally:
            self._entering = False

    def _enter_one(self, index: int):
        if index >= len(self.exercise.steps):
            self._finish(Outcome.COMPLETED)
            return
        visits = self._visits.get(index, 0) + 1
        self._visits[index] = visits
        if visits > MAX_VISITS_PER_STEP:  # a jump loop nobody is answering: end it rather than spin
            self._finish(Outcome.STOPPED)
            return
        self.index = index
        self.part = 0
        self._step_values = []
        self._skipped_parts = 0
        self._start_part()

    def _start_part(self):
        self._answer = None
        self.last_heard = None  # what the last part heard is not this one's (the panel's "heard:")
        self.turn_prompt = ""
        self._origin = self.now
        self._waiting = None
        self._program = self._make_program(self.step, self._slots(self.step)[self.part])
        if self._suggestion_due() and self._closing_chimes_from(self.index):
            self._program = self._said_first(self._suggestion(), self._program)
        self._advance(None)

    def _said_first(self, line: str, program):
        """A line of the engine's own, said (and waited for) before a step's program runs."""
        yield _Sound(Speak(line, line, self._next_sound_id()))
        return (yield from program)

    def _advance(self, value):
        """Run the step program until it waits again, or ends."""
        try:
            item = self._program.send(value)
            while not isinstance(item, (_Wait, _Sound)) or (isinstance(item, _Sound) and not item.wait):
                self._out.append(item.action if isinstance(item, _Sound) else item)
                item = self._program.send(None)
        except StopIteration as end:
            self._part_done(end.value, skipped=False)
            return
        self._waiting = item
        if isinstance(item, _Sound):
            self._out.append(item.action)
            self._listen(self.accepted, None)
        else:
            if item.at is not None:
                deadline = self._origin + item.at * self.time_scale
            elif item.after is not None:
                deadline = self.now + item.after * self.time_scale
            else:
                deadline = None
            self._listen(self.accepted, deadline)

    def _part_done(self, target, skipped: bool):
        self._program = None
        self._waiting = None
        self._skipped_parts += skipped
        step = self.step
        if target == "decline":  # one partner's "not today" is enough; the other is not asked
            self._say_system(getattr(step, "decline", "") or DECLINE_LINE, wait=False)
            self._finish(Outcome.DECLINED)
            return
        if self.part + 1 < len(self._slots(step)):
            self.part += 1
            self._start_part()
            return
        if isinstance(step, ex.Rate) and step.low is not None:
            if any(v is not None and v < step.low for v in self._step_values):
                target = step.if_low
            self._notice_sustained_trouble(step)
        self._out.append(StepDone(self.index, step.kind, skipped=self._skipped_parts == len(self._slots(step))))
        if target == "end":
            self._finish(Outcome.COMPLETED)
        elif target:
            self._enter_step(self.exercise.index_of(target))
        else:
            self._enter_step(self.index + 1)

    def _skip(self):
        step = self.step
        slot = self._slots(step)[self.part]
        if isinstance(step, ex.Rate):  # a rating already given is kept
            self._record(step, slot, self._answer)
        self._part_done(None, skipped=True)

    def _hold(self):
        """Freeze the clock of the step: remember when, and what deadline was running."""
        self._paused_at = self.now
        self._held_deadline = self._deadline

    def _pause(self):
        self._hold()
        self.state = State.PAUSED
        self._out.append(Hush())
        self._listen(self.accepted, None)
        if self._input_ended:
            self._finish(Outcome.STOPPED)

    def _resume(self):
        """Go on where we were: timers continue, an interrupted sentence starts again."""
        held = self.now - self._paused_at
        self._origin += held
        self.state = State.RUNNING
        waiting = self._waiting
        if isinstance(waiting, _Sound):
            action = dataclasses.replace(waiting.action, id=self._next_sound_id())
            self._waiting = dataclasses.replace(waiting, action=action)
            self._out.append(action)
            self._listen(self.accepted, None)
        else:
            deadline = self._held_deadline + held if self._held_deadline is not None else None
            self._listen(self.accepted, deadline)

    def _stop(self, heard: Heard):
        """Typed or keyed, stop ends at once; spoken, it silences and asks first."""
        self._out.append(Hush())
        if heard.source is not Source.VOICE:
            self._finish(Outcome.STOPPED)
            return
        if self.state is State.RUNNING:
            self._hold()
        self.state = State.CONFIRMING_STOP
        self._say_system(CONFIRM_STOP_LINE)

    def _notice_sustained_trouble(self, step):
        """Low or far-apart ratings for this key in this session and the ones before it. Only in exercises
        for two: how calm someone feels after self-care says little about the relationship."""
        if self.solo or self.exercise.solo:
            return
        now = {r.slot: r.value for r in self.ratings if r.index == self.index and r.key == step.key}
        sessions = [now] + list(self.rating_history.get(step.key, ()))[:TROUBLED_SESSIONS - 1]
        if len(sessions) == TROUBLED_SESSIONS and all(troubled(values, step.low) for values in sessions):
            self.suggest_therapist = True

    def _suggestion_due(self) -> bool:
        """The therapist suggestion is to be said: never after a stop or a decline, nor twice in a week,
        nor when a line of the exercise named one already."""
        return self.suggest_therapist and not self._therapist_mentioned and not self._therapist_said_lately

    def _suggestion(self) -> str:
        """The suggestion, said once; the day is remembered so the week after stays quiet."""
        self.suggest_therapist = False
        self._remember_therapist_named()
        return THERAPIST_LINE + (HELPLINES_LINE.format(helplines=self.helplines) if self.helplines else "")

    def _remember_therapist_named(self):
        if self.wall_clock is not None and not self._therapist_mentioned:
            self._out.append(RecordPick(THERAPIST_POOL, (self.wall_clock.date().isoformat(),)))
        self._therapist_mentioned = True

    def _closing_chimes_from(self, index: int) -> bool:
        """Only chimes are left (the closing bell): words for the end go before them, not after."""
        rest = self.exercise.steps[index:]
        return bool(rest) and all(isinstance(step, ex.Chime) for step in rest)

    def _finish(self, outcome: Outcome):
        if outcome is Outcome.COMPLETED and self._suggestion_due():
            line = self._suggestion()
            self._out.append(Speak(line, line, self._next_sound_id()))
        self.state = State.FINISHED
        self.outcome = outcome
        self._program = None
        self._waiting = None
        self._deadline = None
        self._out.append(Finish(outcome))

    def _listen(self, accepted, deadline):
        self._deadline = deadline
        self._out.append(Listen(frozenset(accepted), deadline, self.moment))

    def _flush(self) -> list:
        out, self._out = self._out, []
        return out

    # ---- words --------------------------------------------------------------------------

    def _next_sound_id(self) -> int:
        self._sound_id += 1
        return self._sound_id

    def _speak(self, text: str, slot: str | None = None, wait: bool = True, early=frozenset()) -> _Sound:
        words = self._words(text)
        shown, speech = ex.fill(text, self.names, slot, words), ex.fill(text, self.spoken_names, slot, words)
        if THERAPIST_WORD in shown.lower():  # a gentle path's "a couples therapist can help": once a week
            if self._therapist_said_lately:
                shown, speech = without_therapist(shown), without_therapist(speech)
            else:
                self._remember_therapist_named()
        self.last_text = shown
        return _Sound(Speak(shown, speech, self._next_sound_id()), wait, early)

    def _words(self, text: str) -> dict:
        """A pool's pick (announced the first time it is said) and the time to come back, for this line."""
        words = {}
        for name in ex.names_in(text):
            if name in self.picks:
                words[name] = ex.joined(self.picks[name])
                if name not in self._said_picks:
                    self._said_picks.add(name)
                    self._out.append(RecordPick(name, self.picks[name]))
            elif name == ex.RESUME_TIME:
                if self._resume_said is None:
                    self._resume_said = self._resume_time()
                words[name] = self._resume_said
        return words

    def _say_system(self, line: str, wait: bool = True):
        """A line of the engine's own (stop, decline), spoken outside any step."""
        sound = self._speak(line, wait=wait)
        self._out.append(sound.action)
        self._deadline = None
        if self.state is State.CONFIRMING_STOP:
            self._out.append(Listen(self.accepted, None, self.moment))

    def _resume_time(self) -> str:
        """A time to come back, from the local time now; without a clock (a rendered file), a day on."""
        if self.wall_clock is None:
            return resume.WITHOUT_CLOCK
        now = self.wall_clock + timedelta(seconds=self.now - self._started_at)
        return resume.spoken(resume.offer(now), now)

    def _chime(self, name: str) -> _Sound:
        return _Sound(PlayChime(name, self._next_sound_id()))

    def _record(self, step, slot, value):
        rating = RecordRating(self.index, step.key, slot, self.names[slot], value)
        self.ratings.append(rating)
        self._step_values.append(value)
        self._out.append(rating)
