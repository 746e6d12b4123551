"""One generator program a step kind: each yields the sounds and waits its step is made of."""

from dataclasses import dataclass

from voicecoach.cues import NUMBER_WORDS, Cue, Source
from voicecoach.session.actions import Hush

CONFIRM_TURN_END_LINE = "Finished, {speaker}?"
CONFIRM_TURN_END_SECONDS = 8  # silence after "Finished?" means yes: they said they were done
CONFIRM_SECONDS = 8  # how long "I heard seven. Is that right?" waits for a yes or no
UNCONFIRMED_LINE = "I will leave that one unanswered."


# ---- what a step program yields ---------------------------------------------------------

@dataclass(frozen=True)
class _Sound:
    """Play this; if `wait`, the program waits for it. An `early` cue (an answer before the question
    ends) cuts the sound short and goes to the program as its answer."""

    action: object
    wait: bool = True
    early: frozenset = frozenset()


@dataclass(frozen=True)
class _Wait:
    """Wait for one of `accepted`; ends after `after` seconds, or at step time `at` seconds. `quiet`:
    nobody needs to speak (a breathing phase, a pause that does not ask for "next"), so a playlist of
    recordings keeps its clips for the moments that do."""

    accepted: frozenset
    after: float | None = None
    at: float | None = None
    quiet: bool = False


class StepPrograms:
    """Mixed into Session: the programs use its words (_speak, _chime, _record) and its step clock."""

    def _make_program(self, step, slot):
        return getattr(self, f"_run_{step.kind}")(step, slot)

    def _run_say(self, step, slot):
        yield self._speak(step.text, slot)

    def _run_chime(self, step, slot):
        yield self._chime(step.sound)

    def _run_consent(self, step, slot):
        """Asked of each partner in turn, answered by a key or a neutral "not today" that needs no
        reason. Any no, or silence, ends the exercise as declined; nothing says who. Never read back."""
        answers = frozenset({Cue.YES, Cue.NO})
        heard = yield self._speak(step.question, slot, early=answers)
        if heard is None:
            heard = yield _Wait(answers, after=step.limit)
        if heard is None or heard.cue is Cue.NO or heard.unsure:
            return "decline"
        return None

    def _run_goto(self, step, slot):
        return step.target
        yield  # a generator that ends at once

    def _run_pause(self, step, slot):
        if step.text:
            yield self._speak(step.text, slot)
        asks_next = "say next" in (step.text or "").lower()  # "Say next when you are ready": a wait for next
        yield _Wait(frozenset({Cue.NEXT}), after=step.seconds, quiet=not asks_next)

    def _run_breathe(self, step, slot):
        """Phase words land on a schedule counted from the start of the step, so rounds do not drift.
        "next" moves on by one round (the next one starts at once), not past the whole block."""
        if step.text:
            yield self._speak(step.text, slot)
        self._origin = self.now  # the schedule starts after the spoken introduction
        elapsed = 0.0
        phases = [("Breathe in", step.inhale), ("Hold", step.hold),
                  ("Breathe out", step.exhale), ("Hold", step.hold_after)]
        period = sum(seconds for _, seconds in phases if seconds)
        for done in range(1, step.rounds + 1):
            for word, seconds in phases:
                if not seconds:
                    continue
                yield Hush()  # a word still sounding from the last phase gives way: the beat wins
                yield self._speak(word, slot, wait=False)
                elapsed += seconds
                heard = yield _Wait(frozenset({Cue.NEXT}), at=elapsed, quiet=True)
                if heard is not None:  # the schedule goes on from here, a round on
                    elapsed = done * period
                    self._origin = self.now - elapsed * self.time_scale
                    break

    def _run_turn(self, step, slot):
        """The floor for one partner; "I'm done" (d) ends it, even while the prompt is still being read."""
        done = frozenset({Cue.DONE})
        prompt = self._speak(step.prompt, slot, early=done)
        self.turn_prompt = self.last_text  # the screen keeps the speaker's prompt first all through the turn
        heard = yield prompt
        if heard is None and step.listener:
            heard = yield self._speak(step.listener, slot, early=done)
        ends = frozenset({Cue.DONE, Cue.NEXT})
        until = (self.now - self._origin) / self.time_scale + step.limit if self.time_scale else 0.0
        if heard is None:
            heard = yield _Wait(ends, at=until)
        while heard is not None and heard.source is Source.VOICE:
            # A spoken "I'm done" may be a phrase in the middle of what someone is saying: ask softly.
            answers = frozenset({Cue.YES, Cue.NO})
            answer = yield self._speak(CONFIRM_TURN_END_LINE, slot, early=answers)
            if answer is None:
                answer = yield _Wait(answers, after=CONFIRM_TURN_END_SECONDS)
            if answer is None or answer.cue is Cue.YES:
                return None
            heard = yield _Wait(ends, at=until)  # not finished: the floor stays, the clock runs on
        if heard is None:
            yield self._speak(step.time_up, slot)

    def _confirm(self, heard, slot):
        """A word the recogniser was unsure of is read back before it counts ("I heard seven").
        True for yes, False for no, None when nobody answered: a guess is never kept unconfirmed."""
        answers = frozenset({Cue.YES, Cue.NO})
        answer = yield self._speak(f"I heard {heard.word}. Is that right?", slot, early=answers)
        if answer is None:
            answer = yield _Wait(answers, after=CONFIRM_SECONDS)
        return None if answer is None else answer.cue is Cue.YES

    def _ask_until_sure(self, question, answers, limit, slot):
        """Ask, and wait for an answer; one the recogniser was unsure of is confirmed: a no asks
        again, silence leaves the question unanswered rather than keep what may be wrong."""
        for _ in range(3):
            heard = yield self._speak(question, slot, early=answers)
            if heard is None:
                heard = yield _Wait(answers, after=limit)
            if heard is None or not heard.unsure:
                return heard
            confirmed = yield from self._confirm(heard, slot)
            if confirmed:
                return heard
            if confirmed is None:
                yield self._speak(UNCONFIRMED_LINE, slot)
                return None
        return None

    def _run_rate(self, step, slot):
        answers = frozenset({Cue.NUMBER})
        heard = yield from self._ask_until_sure(step.ask, answers, step.limit, slot)
        value = heard.number if heard is not None else None
        self._answer = value
        if value is not None:
            yield self._speak(f"{NUMBER_WORDS[value].capitalize()}. Thank you.", slot)
        self._record(step, slot, value)

    def _run_ask(self, step, slot):
        heard = yield from self._ask_until_sure(step.question, frozenset({Cue.YES, Cue.NO}), step.limit, slot)
        answer = (heard.cue is Cue.YES) if heard is not None else step.default
        if answer is True:
            return step.if_yes
        if answer is False:
            return step.if_no
        return None
