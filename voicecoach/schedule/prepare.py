"""A 'get comfortable' lead-in before a planned exercise: spoken, with a countdown the partners
can cut short with "next", and counted in the exercise's minutes."""

import dataclasses

from voicecoach import exercise as ex

LEAD_IN = ("Let's get comfortable first, {A} and {B}. Find your places, put your phones away, "
           "and let your shoulders drop. We begin {when}; say next if you are ready sooner.")
LEAD_IN_SOLO = ("Let's get comfortable first, {name}. Find your place, put your phone away, "
                "and let your shoulders drop. We begin {when}; say next if you are ready sooner.")


def in_words(seconds: int) -> str:
    """How long until we begin, as it is said: 'in 30 seconds', 'in a minute and a half', 'in 10 minutes'."""
    minutes, rest = divmod(int(seconds), 60)
    if not minutes:
        return f"in {rest} second{'s' * (rest != 1)}"
    whole = "a minute" if minutes == 1 else f"{minutes} minutes"
    if not rest:
        return f"in {whole}"
    if rest == 30:
        return "in a minute and a half" if minutes == 1 else f"in {minutes} and a half minutes"
    return f"in {whole} and {rest} second{'s' * (rest != 1)}"


def with_lead_in(exercise: ex.Exercise, seconds: int, solo: str | None = None) -> ex.Exercise:
    """The exercise with a spoken lead-in and a pause of `seconds` before its first step; with
    `solo` ("A" or "B") it speaks to that partner alone."""
    if seconds <= 0:
        return exercise
    template = LEAD_IN_SOLO.replace("{name}", "{" + solo + "}") if solo else LEAD_IN
    lead = (ex.Say(text=template.replace("{when}", in_words(seconds))), ex.Pause(seconds=float(seconds)))
    labels = {name: index + len(lead) for name, index in exercise.labels.items()}
    return dataclasses.replace(exercise, steps=lead + tuple(exercise.steps), labels=labels,
                               minutes=exercise.minutes + seconds / 60)
