"""How long an exercise lasts read straight through, for planning and for checking its declared minutes."""

from voicecoach import exercise as ex
from voicecoach.session.engine import MAX_VISITS_PER_STEP
from voicecoach.session.picks import typical_picks


def plan_seconds(exercise: ex.Exercise, speech_seconds, chime_seconds=lambda name: 2.0,
                 names=None, solo=None, answer_seconds: float = 5.0, picks=None) -> float:
    """How long the exercise lasts read straight through: every turn and wait runs to its limit, and
    each question or rating takes `answer_seconds` (questions taken as yes). Follows jumps."""
    names = names or {"A": "Partner A", "B": "Partner B"}
    picks = typical_picks(exercise.pools) if picks is None else picks
    words = {name: ex.joined(items) for name, items in picks.items()}
    words[ex.RESUME_TIME] = "8:30 this evening"

    def say(text, slot=None):
        return speech_seconds(ex.fill(text, names, slot, words)) if text else 0.0

    total, index, visits = 0.0, 0, {}
    while index < len(exercise.steps):
        visits[index] = visits.get(index, 0) + 1
        if visits[index] > MAX_VISITS_PER_STEP:
            break
        step, target = exercise.steps[index], None
        for slot in ex.partners(step, solo):
            if isinstance(step, ex.Say):
                total += say(step.text, slot)
            elif isinstance(step, ex.Pause):
                total += say(step.text, slot) + step.seconds
            elif isinstance(step, ex.Breathe):
                total += say(step.text, slot) + step.rounds * (step.inhale + step.hold + step.exhale + step.hold_after)
            elif isinstance(step, ex.Chime):
                total += chime_seconds(step.sound)
            elif isinstance(step, ex.Turn):
                total += say(step.prompt, slot) + say(step.listener, slot) + step.limit + say(step.time_up, slot)
            elif isinstance(step, ex.Rate):
                total += say(step.ask, slot) + min(answer_seconds, step.limit)
            elif isinstance(step, (ex.Ask, ex.Consent)):
                total += say(step.question, slot) + min(answer_seconds, step.limit)
                target = getattr(step, "if_yes", None)
            elif isinstance(step, ex.Goto):
                target = step.target
        if target in ex.ENDINGS:
            break
        index = exercise.index_of(target) if target else index + 1
    return total


def estimate_seconds(exercise: ex.Exercise, words_per_minute: float = 160, partners: int = 2) -> float:
    """The plan with speech timed by its words, for checking an exercise's declared minutes."""
    return plan_seconds(exercise, lambda text: len(text.split()) * 60 / words_per_minute + 0.5,
                        solo="A" if partners == 1 else None)
