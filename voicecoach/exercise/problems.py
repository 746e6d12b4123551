"""What is wrong with an exercise file, said as file:line, with a close spelling suggested."""

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an exercise file, printed as file:line: message."""

    file: str
    line: int | None
    message: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


def _suggest(word, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _suggest_or_list(word, choices, what="allowed keys") -> str:
    """A close spelling if there is one, else every choice: a beginner sees what would work."""
    return _suggest(word, choices) or f"; {what}: {', '.join(choices)}"
