"""`voicecoach welcome`: the first run, as scripts/setup starts it at a terminal. A few gentle
minutes, each step skippable and the whole safe to run again: names, the safety note, a short
first exercise, an offer to learn your voices, and what to run next time."""

import sys

import click

from voicecoach.cli.options import TIME_SCALE

FIRST_EXERCISE = "first-few-minutes"

KEYS = """\
How it goes: voicecoach speaks each step and waits for you. While it runs:
  space or Enter  next                  d  I'm done, at the end of your turn
  p               pause, and resume     q  stop, at any moment, no reason needed
With a microphone you can say the words instead: next, I'm done, pause, resume, stop."""

NEXT_TIME = """\
Next time:
  voicecoach start daily-check-in   the daily check-in, about 12 minutes
  voicecoach list                   every exercise, with its minutes
  voicecoach plan add daily-check-in --at 21:00
                                    a time for it each day; then 'voicecoach today' starts it
  voicecoach welcome                this welcome again"""


@click.command(short_help="A first run: names, the safety note, a short exercise.")
@click.option("--time-scale", type=TIME_SCALE, default=1.0, show_default=True,
              help="Multiply the first exercise's waits by this, from 0 to 100 (a rehearsal, not kept).")
@click.pass_context
def welcome(ctx, time_scale):
    """A gentle first run: your names, the safety note, a short first exercise (about four
    minutes), an offer to teach voicecoach your voices, and what to run next time. Each step can
    be skipped; it is safe to run again."""
    from voicecoach import exercise, runner
    from voicecoach.cli import commands as cli
    from voicecoach.cli import rehearsal
    from voicecoach.errors import BadInput

    if not cli._person_at_terminal():
        raise BadInput("welcome asks questions, so it needs a terminal; without one, check that "
                       "voicecoach works with: voicecoach start daily-check-in --text --time-scale 0 --no-log")
    click.secho("Welcome to voicecoach.", bold=True)
    click.echo("A few minutes to begin: your names, a note on safety, a short first exercise together, "
               "and an offer to learn your voices. Press Enter to go on; you can skip each step.\n")
    settings = cli._ask_names(cli._settings())
    cli._show_safety_note_once(settings, again=True)
    first = exercise.find(FIRST_EXERCISE)
    click.secho(f"Your first exercise: {first.title}, about {first.minutes:g} minutes.", bold=True)
    click.echo(click.wrap_text(first.description) + "\n")
    click.echo(KEYS)
    if click.confirm("Start it now?", default=True):
        log, note = rehearsal.kept(None, time_scale, None)
        if note:
            click.secho(note, dim=True)
        if runner.run_exercise(first, settings, time_scale=time_scale, log=log) == "interrupted":
            sys.exit(cli.INTERRUPTED)
    click.echo()
    _offer_enrolment(ctx)
    click.echo(NEXT_TIME)


def _offer_enrolment(ctx):
    """Only where a microphone opens: the enrolment listens to each of you say the cue words."""
    from voicecoach.hearing import Microphone
    from voicecoach.voice import AudioUnavailable

    try:
        Microphone().close()
    except AudioUnavailable:
        click.echo("No microphone here, so sessions take your keys ('voicecoach doctor' says why). "
                   "With one plugged in, 'voicecoach enroll' teaches voicecoach your voices.\n")
        return
    if click.confirm("voicecoach understands you better once it knows your voices: each of you says the "
                     "cue words and numbers three times, about 4 minutes. Teach it now?", default=False):
        from voicecoach.cli.enroll import enroll

        ctx.invoke(enroll)
        click.echo()
    else:
        click.echo("Any time later: voicecoach enroll\n")
