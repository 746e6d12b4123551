"""A rehearsal is not practice: a run at another pace (--time-scale) or with recordings for a
microphone (--audio-in) stays out of the journal, the plan and the stats, unless --log asks for it."""


def why(time_scale: float, audio_in) -> str | None:
    """What makes a run a rehearsal, as the option that did it, or None when it is practice."""
    if audio_in:
        return "--audio-in"
    if time_scale != 1:
        return f"--time-scale {time_scale:g}"
    return None


def kept(log: bool | None, time_scale: float, audio_in) -> tuple[bool, str | None]:
    """Whether a run goes in the journal, and the line that tells a rehearsal it does not (or None).
    `log` is --log (True), --no-log (False) or neither (None)."""
    reason = why(time_scale, audio_in)
    if log is not None or reason is None:
        return log is not False, None
    return False, (f"A rehearsal ({reason}): not kept in your journal or counted as practice; "
                   "add --log to keep it.")
