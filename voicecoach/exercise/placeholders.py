"""The {names} in an exercise's lines: which names a line has, and the line with them filled in."""

import string


def fill(text: str, names: dict, slot: str | None = None, words: dict | None = None) -> str:
    """Put the partners' names into a line; in a partner's part, {speaker} is them, {listener} the other.

    `words` fills the other names (a pool's pick, the resume time); they may hold names themselves."""
    values = {"A": names["A"], "B": names["B"]}
    if slot:
        values.update(speaker=names[slot], listener=names["B" if slot == "A" else "A"])
    if words:
        values.update((name, fill(words[name], names, slot)) for name in names_in(text) if name in words)
    return text.format_map(values)


def names_in(text: str) -> set:
    """The names in braces in a checked line of text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def joined(items) -> str:
    """Several picks as they are said: "a walk, a picnic or a film"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def names_in_safely(text: str) -> set:
    """names_in, or nothing for text whose braces are broken (that is reported elsewhere)."""
    try:
        return names_in(text)
    except ValueError:
        return set()
