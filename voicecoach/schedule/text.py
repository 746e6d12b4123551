"""Lines that fit an 80-column terminal, wrapped between words so no id, title or time is split
(a pipe gets the same lines, so what is read is what a terminal shows)."""

import textwrap

WIDTH = 78


def wrapped(text: str, indent: str = "", first: str = "") -> str:
    """`text` after `first`, wrapped at WIDTH with `indent` before each further line."""
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)
