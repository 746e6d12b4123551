"""'voicecoach stats --png': one chart image to keep or print, drawn with matplotlib (the 'charts' extra).

Partners differ by colour and by line and marker, so the chart still reads in black and white.
"""

import io
import os
from datetime import date
from pathlib import Path

from voicecoach.errors import VoicecoachError

PARTNER_STYLE = {  # blue solid line, filled circles; vermilion dashed line, open squares (drawn under)
    "A": {"color": "#0072B2", "linestyle": "-", "marker": "o", "markersize": 6, "linewidth": 2, "zorder": 3},
    "B": {"color": "#D55E00", "linestyle": "--", "marker": "s", "markersize": 9, "linewidth": 2,
          "markerfacecolor": "white", "markeredgewidth": 1.8, "zorder": 2},
}
PRACTICE_COLOUR = "#8fbcbb"
DENSE_WEEKS = 26
"""Beyond this many weeks, bars lose their labels and lines their big markers."""
QUESTIONS = {
    "connection": "How connected you felt",
    "calm": "How calm you felt",
    "understood": "How understood you felt",
    "closeness": "How close you felt",
    "comfort": "How comfortable you felt",
}


class ChartsUnavailable(VoicecoachError):
    """matplotlib is not installed."""


def _pyplot_free_figure():
    """A Figure without pyplot: no window, no global state, works with no display."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ChartsUnavailable(
            "charts need matplotlib: pip install 'voicecoach[charts]' (or pip install matplotlib)") from None
    return Figure


IMAGE_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg", ".pdf": "pdf"}


def image_format(path: Path) -> str:
    """The format the file's name asks for; a one-line error for one matplotlib cannot write."""
    found = IMAGE_FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise VoicecoachError(f"{path}: the chart is written as .png, .jpg, .svg or .pdf, "
                              f"not {Path(path).suffix or 'a name with no ending'}")
    return found


def check_available(path: Path | None = None) -> None:
    """Fail before any work is done, in one line: no matplotlib, or a file name of another format."""
    if path is not None:
        image_format(path)
    _pyplot_free_figure()


def _dates(weeks: list[dict]) -> list[date]:
    return [date.fromisoformat(w["week"]) for w in weeks]


def _format_dates(axis) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axis.grid(axis="y", color="#dddddd", linewidth=0.8)
    axis.set_axisbelow(True)
    for side in ("top", "right"):
        axis.spines[side].set_visible(False)


def _practice(axis, summary: dict) -> None:
    weeks = _dates(summary["weeks"])
    minutes = [w["minutes"] for w in summary["weeks"]]
    axis.bar(weeks, minutes, width=5, color=PRACTICE_COLOUR, edgecolor="#4c7a78", linewidth=0.6)
    if len(weeks) <= DENSE_WEEKS:
        for when, week in zip(weeks, summary["weeks"]):
            if week["sessions"]:
                label = f"{week['sessions']} session{'s' if week['sessions'] != 1 else ''}"
                axis.annotate(label, (when, week["minutes"]), textcoords="offset points", xytext=(0, 3),
                              ha="center", fontsize=7, color="#333333")
    if not any(minutes):
        axis.text(0.5, 0.5, "Your sessions will show here, week by week.", transform=axis.transAxes,
                  ha="center", va="center", fontsize=12, color="#555555")
    axis.set_title("Minutes you practised together, week by week", loc="left", fontsize=12)
    axis.set_ylabel("minutes")
    axis.set_xlabel("week starting")
    axis.set_ylim(0, max(minutes + [10]) * 1.18)
    _format_dates(axis)


def _points(weeks: list[dict]) -> tuple[list[date], list[float]]:
    """Only the weeks with a rating: the line joins them across quiet weeks."""
    kept = [w for w in weeks if w["mean"] is not None]
    return _dates(kept), [w["mean"] for w in kept]


def _lately(trend: str) -> str:
    return trend if trend.endswith("lately") else f"{trend} lately"


def _rating(axis, key: str, series: list[dict], gap: dict | None) -> None:
    many = len(series[0]["weeks"]) > DENSE_WEEKS
    for partner in series:
        style = dict(PARTNER_STYLE.get(partner["slot"], PARTNER_STYLE["A"]))
        if many:  # markers shrink so a long window stays a line, not a crowd
            style["markersize"] /= 2.5
            style["linewidth"] = 1.4
        known = partner["trend"] != "too soon to tell"
        label = f"{partner['name']} ({_lately(partner['trend'])})" if known else partner["name"]
        axis.plot(*_points(partner["weeks"]), label=label, **style)
    if len(series) == 2:
        both = [(a["week"], a["mean"], b["mean"]) for a, b in zip(series[0]["weeks"], series[1]["weeks"])
                if a["mean"] is not None and b["mean"] is not None]
        if both:
            weeks, first, second = zip(*both)
            known = gap is not None and gap["trend"] != "too soon to tell"
            label = f"between you ({_lately(gap['trend'])})" if known else "between you"
            axis.fill_between([date.fromisoformat(w) for w in weeks], first, second, color="#999999",
                              alpha=0.2, linewidth=0, label=label)
    axis.set_title(QUESTIONS.get(key, key.capitalize()), loc="left", fontsize=12)
    axis.set_ylabel("average rating (0 to 10)")
    axis.set_ylim(-0.3, 10.3)
    axis.set_yticks(range(0, 11, 2))
    axis.legend(loc="lower right", fontsize=8.5, frameon=True, framealpha=0.85, edgecolor="none")
    _format_dates(axis)


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d %b %Y").lstrip("0")


def figure(summary: dict):
    """The practice bars across the top, then one panel a rating key, two to a row."""
    Figure = _pyplot_free_figure()
    counts = {}
    for series in summary["ratings"]:
        counts[series["key"]] = counts.get(series["key"], 0) + sum(w["count"] for w in series["weeks"])
    keys = sorted(counts, key=lambda k: (-counts[k], k))  # the most answered question first
    columns = 2 if len(keys) > 1 else 1
    rows = 1 + (len(keys) + columns - 1) // columns
    fig = Figure(figsize=(11, 3.4 * rows), layout="constrained", dpi=100)
    grid = fig.add_gridspec(rows, columns)
    practice = fig.add_subplot(grid[0, :])
    _practice(practice, summary)
    gaps = {g["key"]: g for g in summary["gaps"]}
    for number, key in enumerate(keys):
        axis = fig.add_subplot(grid[1 + number // columns, number % columns], sharex=practice)
        _rating(axis, key, [s for s in summary["ratings"] if s["key"] == key], gaps.get(key))
    fig.suptitle(f"Your practice together, {_day(summary['from'])} to {_day(summary['to'])}",
                 fontsize=15, fontweight="bold")
    return fig


def write_png(summary: dict, path: Path) -> None:
    """Rendered in memory in the format the name asks for (PNG, JPEG, SVG, PDF), then written
    owner-only: the ratings in it are private."""
    buffer = io.BytesIO()
    figure(summary).savefig(buffer, format=image_format(path), dpi=150)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(buffer.getvalue())
    except OSError as error:
        raise VoicecoachError(f"{path}: cannot write the chart ({error.strerror})") from None
