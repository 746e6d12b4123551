"""Option types several commands share."""

import math

import click


class _TimeScale(click.FloatRange):
    """A finite factor for every wait: infinity would overflow the clock, and nan compares as nothing."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number from {self.min:g} to {self.max:g}.", param, ctx)
        return number


TIME_SCALE = _TimeScale(min=0, max=100)
"""--time-scale: 0 (no waits) to 100 times slower."""
