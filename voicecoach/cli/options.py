"""Option types several commands share."""

import math
from contextlib import contextmanager

import click

from voicecoach.errors import BadInput


class _TimeScale(click.FloatRange):
    """A finite factor for every wait (infinity would overflow the clock, and nan compares as
    nothing); a bad one is one line naming it, as every bad value is (BadInput), not click's usage."""

    def convert(self, value, param, ctx):
        try:
            number = super().convert(value, param, ctx)
        except click.BadParameter:
            number = math.nan
        if math.isnan(number):
            raise BadInput(f"{param.opts[0]}: {value!r} is not a number from {self.min:g} to {self.max:g}")
        return number


TIME_SCALE = _TimeScale(min=0, max=100)
"""--time-scale: 0 (no waits) to 100 times slower."""


def recordings(ctx, param, value):
    """--audio-in's files, read while the command line is: one that cannot be used is said first,
    before a first run's safety note or anything spoken; None when there are none."""
    if not value:
        return None
    from voicecoach.hearing import Recordings

    return Recordings(value)


@contextmanager
def one_writer():
    """Around reading, changing and writing the plan, program, reminders or settings: one process at
    a time (the data and settings folders' flock), so two commands run at once both keep their change.
    Also a decorator; never around a session or a question, which would hold up another's journal."""
    from voicecoach import paths
    from voicecoach.vault import lock

    with lock.exclusive(paths.data_dir()), lock.exclusive(paths.config_dir()):
        yield
