"""'voicecoach stats' on a terminal: small tables with bars drawn in text, and the trends in words."""

from datetime import date

from rich.console import Group
from rich.table import Table
from rich.text import Text

BARS = "▁▂▃▄▅▆▇█"
TOP_RATING = 10


def sparkline(values: list, top: float) -> str:
    """One character a week; a week without a value is a quiet dot, not a hole."""
    if not top:
        top = 1
    return "".join("·" if v is None else BARS[min(len(BARS) - 1, round(v / top * (len(BARS) - 1)))]
                   for v in values)


def hours_and_minutes(minutes: float) -> str:
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def practice_days_line(days: int) -> str:
    """Gentle whatever the number: a missed day resets nothing and is not mentioned."""
    if days == 0:
        return "No practice days so far this week; whenever suits you both is a fine time."
    return f"{days} practice day{'s' if days != 1 else ''} this week."


def _title(text: str) -> Text:
    return Text(text, style="bold")


def _weeks(summary: dict) -> Table:
    streaks = summary["streak"] is not None
    table = Table(box=None, pad_edge=False, title_justify="left")
    table.add_column("week of")
    table.add_column("sessions", justify="right")
    table.add_column("minutes", justify="right")
    table.add_column("")
    table.add_column("completed", justify="right")
    if streaks:
        table.add_column("practice days", justify="right")
    most = max((round(w["minutes"]) for w in summary["weeks"]), default=0) or 1
    for week in summary["weeks"]:  # the bar is as long as the minutes shown: none for a "0"
        bar = "█" * round(round(week["minutes"]) / most * 12)
        row = [date.fromisoformat(week["week"]).strftime("%a %d %b %Y"), str(week["sessions"]),
               f"{week['minutes']:.0f}", Text(bar, style="cyan"), str(week["completed"])]
        if streaks:
            row.append(str(week["practice_days"]))
        table.add_row(*row)
    return table


def _table(columns: tuple, right: tuple) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    return table


def _exercises(summary: dict) -> Table:
    table = _table(("exercise", "sessions", "completed", "minutes"), right=("sessions", "completed", "minutes"))
    for row in summary["exercises"]:
        table.add_row(row["title"], str(row["sessions"]), str(row["completed"]), f"{row['minutes']:.0f}")
    return table


def _trends(rows: list[dict], who: bool) -> Table:
    """Ratings (who: each partner's) or the gaps between them: a line of weeks, the latest, the trend."""
    table = _table(("rating", "who", "week by week", "latest", "lately") if who else
                   ("rating", "week by week", "latest", "lately"), right=("latest",))
    for series in rows:
        line = Text(sparkline([w["mean"] for w in series["weeks"]], TOP_RATING), style="magenta")
        latest = "-" if series["latest"] is None else f"{series['latest']:g}"
        cells = [series["key"], series["name"]] if who else [series["key"]]
        table.add_row(*cells, line, latest, series["trend"])
    return table


def render(summary: dict) -> Group:
    """Everything in one printable group, in the order a couple would ask about it."""
    totals = summary["totals"]
    weeks = len(summary["weeks"])
    parts = [_title(f"Practice in the last {weeks} week{'s' if weeks != 1 else ''} "
                    f"(from {summary['from']})"),
             Text(f"{totals['sessions']} session{'s' if totals['sessions'] != 1 else ''}, "
                  f"{hours_and_minutes(totals['minutes'])} together, {totals['completed']} completed.")]
    if summary["streak"] is not None:
        parts.append(Text(practice_days_line(summary["streak"]["practice_days_this_week"])))
    parts += [Text(), _weeks(summary)]
    if summary["exercises"]:
        parts += [Text(), _title("Which exercises"), _exercises(summary)]
    if summary["ratings"]:
        parts += [Text(), _title("Your ratings, week by week (average, 0 to 10)"),
                  _trends(summary["ratings"], who=True)]
    if summary["gaps"]:
        parts += [Text(), _title("How far apart your answers to the same question were (0 is the same)"),
                  _trends(summary["gaps"], who=False)]
    return Group(*parts)
