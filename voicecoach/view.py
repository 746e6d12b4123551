"""The terminal view of a running session: a live panel on a terminal, plain lines elsewhere."""

import math
import unicodedata

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from voicecoach.cues import Cue, legend
from voicecoach.session import State, View

KIND_NAMES = {"say": "Guidance", "pause": "Quiet moment", "breathe": "Breathing", "chime": "Chime",
              "turn": "Turn", "rate": "Rating", "ask": "Question", "consent": "Private question", "goto": ""}


def shown(text: str) -> str:
    """Text from exercise files and settings as it is written: a control character (an escape sequence
    that would recolour the terminal or write to its clipboard) is shown as its code, never sent raw."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else f"\\x{ord(c):02x}" for c in text)


def _legend(view: View) -> list[tuple[str, str]]:
    return legend(view.offered, consent=view.kind == "consent")


# With no microphone, what the moment asks for, said as the key that does it ("say next" would not work).
_BY_KEY = ((Cue.DONE, "press d when you are done"), (Cue.NUMBER, "press 0 to 9 for a rating, t for ten"),
           (Cue.YES, "press y for yes or n for no"), (Cue.NEXT, "press space for next"))


def keys_only_hint(view: View) -> str:
    """The key for what the moment waits for, when only keys work (no microphone); "" otherwise."""
    if view.state is State.PAUSED:
        return "Keys only: press p to go on, or q to end"
    if view.state is State.CONFIRMING_STOP:
        return "Keys only: press y to stop here, or p to go on"
    if view.kind == "consent":
        return "Keys only: press y for yes or n for not today"
    return next((f"Keys only: {words}" for cue, words in _BY_KEY if cue in view.offered), "")


def _countdown(view: View, now: float) -> str:
    if view.deadline is None or view.state is not State.RUNNING:
        return ""
    seconds = max(0, math.ceil(view.deadline - now))
    return f"{seconds // 60}:{seconds % 60:02d}"


class PlainView:
    """One line per event: for pipes, logs, screen readers and --text sessions."""

    def __init__(self, console: Console, title: str, show_keys: bool,
                 how_to_stop: str = "type stop to end at any time"):
        self.console = console
        self.title = title
        self.show_keys = show_keys
        self.how_to_stop = how_to_stop
        self._legend = None

    def start(self):
        self.console.print(Text.assemble((shown(self.title), "bold"), f"  ({self.how_to_stop})"), highlight=False)

    def said(self, text: str):
        self.console.print(f"  {shown(text)}", highlight=False, markup=False)

    def chime(self, name: str):
        self.console.print(f"  ({shown(name)})", style="dim", highlight=False, markup=False)

    def heard(self, word: str):
        self.console.print(f"  > {shown(word)}", style="cyan", highlight=False, markup=False)

    def note(self, text: str):
        self.console.print(shown(text), style="yellow", highlight=False, markup=False)

    def clip(self, text: str):
        """Which recording answered what (--audio-in): apart from the session, so dim."""
        self.console.print(shown(text), style="dim", highlight=False, markup=False)

    def update(self, view: View, now: float):
        if not self.show_keys or view.speaking:
            return
        keys = ", ".join(f"{meaning}" for _, meaning in _legend(view))
        if keys != self._legend:
            self._legend = keys
            if keys:
                self.console.print(f"  [dim]you can type: {keys}[/]", highlight=False)

    def close(self):
        pass


class LiveView(PlainView):
    """The transcript scrolls above; a panel below shows the step, whose turn, the time left and the keys.
    `listening` False (no microphone): the panel says which key does what the moment asks."""

    def __init__(self, console: Console, title: str, listening: bool = True):
        super().__init__(console, title, show_keys=False, how_to_stop="press q to end at any time")
        self.listening = listening
        self._live = Live(console=console, auto_refresh=False, transient=True)

    def start(self):
        super().start()
        self._live.start()

    def update(self, view: View, now: float):
        self._live.update(self._render(view, now), refresh=True)

    def _render(self, view: View, now: float):
        head = Table.grid(expand=True)
        head.add_column()
        head.add_column(justify="right")
        kind = KIND_NAMES.get(view.kind, view.kind)
        if view.speaker and view.kind in ("turn", "rate"):
            kind = f"{kind}: {view.speaker}"
        if view.state is State.PAUSED:
            kind = "Paused"
        elif view.state is State.CONFIRMING_STOP:
            kind = "Stop here?"
        head.add_row(Text(kind, style="bold"), Text(_countdown(view, now), style="bold magenta"))
        progress = Table.grid(expand=True)
        progress.add_column(ratio=1)
        progress.add_column(justify="right")
        progress.add_row(ProgressBar(total=view.step_count, completed=view.step_number - 1),
                         Text(f" step {view.step_number} of {view.step_count}"))
        heard = Text(f"heard: {shown(view.last_heard.word)}" if view.last_heard else "heard: -", style="cyan")
        keys = Text("  ".join(f"[{key}] {meaning}" for key, meaning in _legend(view)), style="dim")
        lines = [head, Text(shown(view.text or ""))]
        if view.aside:
            lines.append(Text(shown(view.aside), style="dim"))
        hint = "" if self.listening or view.speaking else keys_only_hint(view)
        if hint:
            lines.append(Text(hint, style="bold"))
        body = Group(*lines, progress, heard, keys)
        return Panel(body, title=Text(shown(self.title)), border_style="blue")

    def close(self):
        self._live.stop()


OUTCOME_WORDS = {
    "completed": "Completed: {title}.",
    "stopped": "Stopped: {title}. Stopping is always alright.",
    "declined": "Not today: {title}. That is always alright.",
    "interrupted": "Interrupted: {title}.",
}


def summary(session, outcome: str, logged: bool) -> str:
    """The closing line of a session: what happened and whether it was kept."""
    parts = [OUTCOME_WORDS[outcome].format(title=shown(session.exercise.title))]
    answered = [r for r in session.ratings if r.value is not None]
    if answered and outcome != "declined":
        parts.append("Ratings: " + ", ".join(f"{shown(r.name)} {r.key} {r.value}" for r in answered) + ".")
    parts.append("Saved in your journal." if logged else "Not logged.")
    return " ".join(parts)
