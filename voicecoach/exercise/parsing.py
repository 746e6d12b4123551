"""YAML parsed into mappings and lists that remember the line of each key and item, for file:line problems."""

import yaml


class _Mapping(dict):
    """A YAML mapping that remembers the line of each key."""

    line = 0
    key_lines: dict


class _Sequence(list):
    """A YAML list that remembers the line of each item."""

    line = 0
    item_lines: list


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # the C parser where PyYAML has it
    pass


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            duplicate = key in mapping
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain word",
                                                    key_node.start_mark) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}",
                                                    key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _construct_sequence(loader, node):
    items = _Sequence(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


_INDENTATION = ("did not find expected key", "did not find expected '-' indicator",
                "mapping values are not allowed")
INDENTATION_HINT = ("check the indentation: the items under 'steps:' each start with '- ' in the same column, "
                    "and a step's settings go two spaces further in, lined up with each other")


def explain(error: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """YAML's complaint as a line and words a beginner can act on: tabs, indentation, an unclosed quote."""
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else None
    problem = error.problem or error.context or "not valid YAML"
    for number, row in enumerate(text.splitlines()[: line or None], start=1):
        if "\t" in row[: len(row) - len(row.lstrip(" \t"))]:
            return number, "this line is indented with a tab; YAML needs spaces: replace the tab with spaces"
    context = error.context or ""
    if "quoted scalar" in context and error.context_mark is not None:
        opened = error.context_mark.line + 1
        if opened != line:
            return opened, (f"a quote opens on this line and is not closed (YAML read on to line {line}: "
                            f"{problem}); end the text with the same quote mark it starts with")
    if problem.startswith(_INDENTATION):
        return line, f"not valid YAML: {problem}; {INDENTATION_HINT}"
    return line, f"not valid YAML: {problem}"
