"""Commands to look back at the journal: history and stats. Parse, call, print."""

import json
from datetime import date, datetime, time
from pathlib import Path

import click

SCREENFUL = 20
"""Sessions 'history' shows on a terminal unless asked for more; --json gives them all."""


class BadInput(click.ClickException):
    """A mistyped value: one line, exit status 2, no usage text."""

    exit_code = 2


def day_option(ctx, param, value):
    """A DATE option's value as local midnight, or one line naming the option and the value."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d")  # local midnight
    except ValueError:
        raise BadInput(f"{param.opts[0]}: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01") from None


def _outcome(ctx, param, value):
    from voicecoach.journal import ENDINGS

    if value is not None and value not in ENDINGS:
        raise BadInput(f"--outcome: {value!r} is not one of {', '.join(ENDINGS)}")
    return value


@click.command()
@click.option("--since", metavar="DATE", callback=day_option, help="Only sessions from this day on (YYYY-MM-DD).")
@click.option("--exercise", "exercise_id", metavar="ID", help="Only sessions of this exercise.")
@click.option("--outcome", metavar="OUTCOME", callback=_outcome,
              help="Only sessions that ended so: completed, stopped, declined or interrupted.")
@click.option("--limit", type=click.IntRange(min=1), help="Show the newest N sessions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts (every session unless --limit).")
def history(since, exercise_id, outcome, limit, as_json):
    """List past sessions, newest first."""
    from voicecoach.cli import history as past
    from voicecoach.journal import Journal

    shown = limit or (None if as_json else SCREENFUL)
    with Journal() as journal:
        sessions = journal.sessions(None if shown is None else shown + 1, since=since,
                                    exercise=exercise_id, outcome=outcome)
    more = shown is not None and len(sessions) > shown
    sessions = [past.as_shown(s) for s in sessions[:shown]]
    if exercise_id and not sessions:
        from voicecoach import exercise

        exercise.find(exercise_id)  # an id that is nowhere is one line and exit 2
    if as_json:
        click.echo(json.dumps(sessions))  # on one line: ten times faster than indented for a long journal
    elif not sessions:
        filtered = since or exercise_id or outcome
        click.echo("No sessions match." if filtered else
                   "No sessions yet. 'voicecoach start daily-check-in' is a good first one.")
    else:
        from rich.console import Console

        Console(markup=False, highlight=False).print(past.table(sessions))  # names are never markup
        if more and not limit:
            click.secho(f"The newest {shown} are shown; --limit N or --since DATE shows others.", dim=True)


@click.command(short_help="How your practice is going, week by week.")
@click.option("--weeks", type=click.IntRange(min=1, max=520), default=12, show_default=True,
              help="How many recent weeks to look at.")
@click.option("--png", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw a chart into this image file: .png, .jpg, .svg or .pdf (needs the 'charts' extra).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def stats(weeks, png, as_json):
    """How your practice is going: week by week, which exercises, ratings and their trends."""
    from voicecoach import config, paths
    from voicecoach.journal import Journal
    from voicecoach.journal import stats as progress

    if png:
        from voicecoach.cli import charts

        charts.check_available(png)
    today = date.today()
    since = datetime.combine(progress.window(today, weeks)[0], time())
    with Journal() as journal:
        sessions = journal.sessions(since=since, with_ratings=False)
        ratings = journal.ratings(since=since)
        began = journal.first_started()
    closeness = progress.closeness_ids(paths.builtin_exercise_files() + paths.user_exercise_files())
    summary = progress.summary(sessions, ratings, today, weeks, closeness, config.load().streaks, began)
    if png:
        charts.write_png(summary, png)  # first, so a path that cannot be written is the only line
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        from rich.console import Console

        from voicecoach.cli import stats_view

        Console(markup=False, highlight=False).print(stats_view.render(summary))
    if png:
        click.echo(f"Wrote {png}", err=as_json)
