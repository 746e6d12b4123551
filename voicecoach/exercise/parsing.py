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


MAX_VALUES = 20_000  # values aliases (*name) may add to a file once expanded; a long exercise has a few hundred


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # the C parser where PyYAML has it
    def construct_document(self, node):
        """Refuse a file whose aliases would expand past MAX_VALUES (a "billion laughs" file would
        otherwise take gigabytes and minutes to check), before anything is built from it."""
        expanded, distinct, line = _expanded_size(node)
        if expanded - distinct > MAX_VALUES:
            raise yaml.constructor.ConstructorError(
                None, None, f"its aliases (*name) expand to over {MAX_VALUES:,} values; write the steps out instead",
                line)
        return super().construct_document(node)


def _expanded_size(root):
    """How many values the node graph holds with every alias expanded (each node counted once per use,
    in time linear in the number of distinct nodes), how many distinct ones, and the first alias's mark."""
    sizes = {}
    first_alias = None
    order, stack = [], [root]
    while stack:  # an explicit stack: deep nesting must not overflow Python's
        node = stack.pop()
        if id(node) in sizes:
            first_alias = first_alias or node.start_mark
            continue
        sizes[id(node)] = None
        order.append(node)
        if isinstance(node, yaml.MappingNode):
            stack.extend(child for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    for node in reversed(order):  # children before parents: a node's size is known when its parent asks
        children = ([child for pair in node.value for child in pair] if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        sizes[id(node)] = 1 + sum(sizes[id(child)] or 0 for child in children)
    return sizes[id(root)], len(order), first_alias


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
