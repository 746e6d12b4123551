"""A 'get comfortable' lead-in before a planned exercise: spoken, with a countdown the partners
can cut short with "next", and counted in the exercise's minutes."""

import dataclasses

from voicecoach import exercise as ex

LEAD_IN = ("Let's get comfortable first, {A} and {B}. Find your places, put your phones away, "
           "and let your shoulders drop. We begin in {seconds} seconds; say next if you are ready sooner.")


def with_lead_in(exercise: ex.Exercise, seconds: int) -> ex.Exercise:
    """The exercise with a spoken lead-in and a pause of `seconds` before its first step."""
    if seconds <= 0:
        return exercise
    text = LEAD_IN.replace("{seconds}", str(seconds))
    lead = (ex.Say(text=text), ex.Pause(seconds=float(seconds)))
    labels = {name: index + len(lead) for name, index in exercise.labels.items()}
    return dataclasses.replace(exercise, steps=lead + tuple(exercise.steps), labels=labels,
                               minutes=exercise.minutes + seconds / 60)
