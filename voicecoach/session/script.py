"""An exercise as a person reads it: every line it can speak, in order, with the names filled in."""

from voicecoach import exercise as ex
from voicecoach.session import DECLINE_LINE


def _seconds(value: float) -> str:
    value = round(value)
    if value < 60:
        return f"{value} s"
    return f"{value // 60} min" + (f" {value % 60:02d} s" if value % 60 else "")


RESUME_SHOWN = "<a time about two hours from now, such as 8:30 this evening>"


def lines(exercise: ex.Exercise, names: dict, solo: str | None = None) -> list[tuple[str, str]]:
    """(marker, text) pairs: marker is '' for spoken words, or a short note of what happens."""
    words = {name: f"<{name}>" for name in exercise.pools}
    words[ex.RESUME_TIME] = RESUME_SHOWN

    def fill(text, names, slot=None):
        return ex.fill(text, names, slot, words)

    out = []
    for step in exercise.steps:
        if step.label:
            out.append(("label", f"[{step.label}]"))
        if isinstance(step, ex.Say):
            out.append(("", fill(step.text, names)))
        elif isinstance(step, ex.Pause):
            if step.text:
                out.append(("", fill(step.text, names)))
            out.append(("wait", f"(quiet for up to {_seconds(step.seconds)}, or until 'next')"))
        elif isinstance(step, ex.Breathe):
            if step.text:
                out.append(("", fill(step.text, names)))
            phases = [f"in {step.inhale:g}", f"hold {step.hold:g}" if step.hold else "",
                      f"out {step.exhale:g}", f"hold {step.hold_after:g}" if step.hold_after else ""]
            out.append(("wait", f"(breathing: {', '.join(p for p in phases if p)} seconds; "
                                f"{step.rounds} round{'s' if step.rounds != 1 else ''})"))
        elif isinstance(step, ex.Chime):
            out.append(("wait", f"(chime: {step.sound})"))
        elif isinstance(step, ex.Turn):
            for slot in ex.partners(step, solo):
                out.append(("", fill(step.prompt, names, slot)))
                if step.listener:
                    out.append(("", fill(step.listener, names, slot)))
                out.append(("wait", f"({names[slot]} has the floor for up to {_seconds(step.limit)}, "
                                    "until 'I'm done')"))
                out.append(("if time runs out", fill(step.time_up, names, slot)))
        elif isinstance(step, ex.Rate):
            for slot in ex.partners(step, solo):
                out.append(("", fill(step.ask, names, slot)))
            if step.low is not None:
                out.append(("wait", f"(a rating below {step.low}: {_target(step.if_low)})"))
        elif isinstance(step, ex.Ask):
            out.append(("", fill(step.question, names)))
            for answer, target in (("yes", step.if_yes), ("no", step.if_no)):
                if target:
                    out.append(("wait", f"(on {answer}: {_target(target)})"))
        elif isinstance(step, ex.Consent):
            for slot in ex.partners(step, solo):
                out.append(("", fill(step.question, names, slot)))
            out.append(("wait", "(each answers privately: yes, or no for not today; any no ends kindly, "
                                "and nothing records who)"))
        elif isinstance(step, ex.Goto):
            out.append(("wait", f"(then: {_target(step.target)})"))
    return out


def pool_lines(exercise: ex.Exercise, names: dict) -> list[tuple[str, str]]:
    """Each pool and its items, as `show` prints them after the script (after a blank line)."""
    out = [("label", "")] if exercise.pools else []
    for pool in exercise.pools.values():
        many = f"{pool.pick} of these are" if pool.pick > 1 else "one of these is"
        out.append(("label", f"<{pool.name}>: {many} picked each session, not one said lately"))
        out.extend(("item", _item(item, names)) for item in pool.items)
    return out


def _item(item: str, names: dict) -> str:
    """A pool item with the names filled; whoever has the floor is 'the speaker', the other 'the listener'."""
    return item.format_map({"A": names["A"], "B": names["B"], "speaker": "the speaker", "listener": "the listener"})


def _target(target: str) -> str:
    if target == "end":
        return "the end"
    if target == "decline":
        return f"end as declined: \"{DECLINE_LINE}\""
    return f"go to [{target}]"
