"""Exercise files: YAML in, checked Exercise and Step objects out, every problem as file:line."""

import difflib
import hashlib
import os
import re
import stat
import string
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from voicecoach.errors import ExerciseError

MAX_FILE_BYTES = 1_000_000
MAX_SECONDS = 3 * 60 * 60
PARTNERS = ("A", "B")
ENDINGS = ("end", "decline")  # jump targets that close the exercise: gently, or as declined
CHIMES = ("bell", "turn", "start")  # the sounds shipped in voicecoach/audio
RESUME_TIME = "resume-time"  # filled by the session with a time to come back, from the wall clock


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an exercise file, printed as file:line: message."""

    file: str
    line: int | None
    message: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass(frozen=True, kw_only=True)
class Step:
    """A step of an exercise; `line` points back into its file, `label` names it for jumps."""

    line: int = 0
    label: str | None = None

    @property
    def kind(self) -> str:
        return type(self).__name__.lower()


@dataclass(frozen=True, kw_only=True)
class Say(Step):
    text: str


@dataclass(frozen=True, kw_only=True)
class Pause(Step):
    """A quiet wait; "next" ends it early."""

    seconds: float
    text: str | None = None


@dataclass(frozen=True, kw_only=True)
class Breathe(Step):
    inhale: float
    hold: float = 0
    exhale: float
    hold_after: float = 0
    rounds: int = 1
    text: str | None = None


@dataclass(frozen=True, kw_only=True)
class Chime(Step):
    sound: str = "bell"


@dataclass(frozen=True, kw_only=True)
class Turn(Step):
    """One partner has the floor until "I'm done" or the limit."""

    speaker: str
    prompt: str
    listener: str | None = None
    limit: float = 120
    time_up: str = "Thank you, {speaker}. Let's bring that to a close."


@dataclass(frozen=True, kw_only=True)
class Rate(Step):
    ask: str
    key: str
    who: str = "each"
    low: int | None = None
    if_low: str | None = None
    limit: float = 60


@dataclass(frozen=True, kw_only=True)
class Ask(Step):
    """A yes/no question to the couple; either answer may jump."""

    question: str
    if_yes: str | None = None
    if_no: str | None = None
    default: bool | None = None
    limit: float = 60


@dataclass(frozen=True, kw_only=True)
class Consent(Step):
    """Each partner in turn answers privately, by key or a neutral "not today"; any no ends kindly."""

    question: str
    who: str = "each"
    limit: float = 30


@dataclass(frozen=True, kw_only=True)
class Goto(Step):
    target: str


@dataclass(frozen=True)
class Pool:
    """Lines to choose from: each session picks `pick` of them, so a daily exercise varies."""

    name: str
    items: tuple
    pick: int = 1
    line: int = 0


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    minutes: float
    steps: tuple
    tags: tuple = ()
    description: str = ""
    basis: str = ""
    notes: str = ""
    solo: bool = False
    path: str = "<text>"
    digest: str = ""
    labels: dict = field(default_factory=dict)
    pools: dict = field(default_factory=dict)  # name -> Pool

    def index_of(self, target: str) -> int:
        return self.labels[target]


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


def partners(step: Step, solo: str | None = None) -> list:
    """Who does this step: each partner in turn, one of them, or the couple together ([None])."""
    who = getattr(step, "speaker", None) or getattr(step, "who", None)
    if who is None:
        return [None]
    if solo:
        return [solo]
    return ["A", "B"] if who == "each" else [who]


# What each step kind accepts: field name in YAML -> (dataclass field, type checker, required).
_SHORT_FORM = {"say": "text", "pause": "seconds", "chime": "sound", "goto": "target", "consent": "question"}
STEP_KINDS = {
    "say": (Say, {"text": str}),
    "pause": (Pause, {"seconds": "seconds", "say": str}),
    "breathe": (Breathe, {"in": "seconds", "hold": "seconds0", "out": "seconds",
                          "hold_after": "seconds0", "rounds": "rounds", "say": str}),
    "chime": (Chime, {"sound": "chime"}),
    "turn": (Turn, {"speaker": "who", "prompt": str, "listener": str, "limit": "seconds",
                    "time_up": str}),
    "rate": (Rate, {"ask": str, "key": "key", "who": "who", "low": "rating",
                    "if_low": "target", "limit": "seconds"}),
    "ask": (Ask, {"question": str, "if_yes": "target", "if_no": "target", "default": bool,
                  "limit": "seconds"}),
    "consent": (Consent, {"question": str, "limit": "seconds"}),
    "goto": (Goto, {"target": "target"}),
}
_RENAMED = {"in": "inhale", "out": "exhale", "say": "text"}
_REQUIRED = {
    "say": ("text",), "pause": ("seconds",), "breathe": ("in", "out"), "chime": (),
    "turn": ("speaker", "prompt"), "rate": ("ask", "key"), "ask": ("question",), "consent": ("question",),
    "goto": ("target",),
}
TOP_KEYS = {"id": "id", "title": str, "minutes": "minutes", "tags": "tags", "description": str,
            "basis": str, "notes": str, "solo": bool, "pools": None, "steps": None}
_TOP_REQUIRED = ("id", "title", "minutes", "steps")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_PLACEHOLDERS = {"A", "B"}
TEXT_FIELDS = ("text", "prompt", "listener", "time_up", "ask", "question")
_TURN_PLACEHOLDERS = {"A", "B", "speaker", "listener"}


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


def _read_text(path: Path, name: str) -> str:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ExerciseError([Problem(name, None, "is a folder, not an exercise file")])
        if not stat.S_ISREG(info.st_mode):
            raise ExerciseError([Problem(name, None, "is not a regular file")])
        if info.st_size > MAX_FILE_BYTES:
            raise ExerciseError([Problem(name, None, f"too large ({info.st_size / 1e6:.1f} MB); "
                                         f"an exercise file is at most {MAX_FILE_BYTES // 1_000_000} MB")])
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # the size can change between stat and read
    except FileNotFoundError:
        raise ExerciseError([Problem(name, None, "no such file")]) from None
    except OSError as error:
        raise ExerciseError([Problem(name, None, f"cannot be read ({error.strerror})")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ExerciseError([Problem(name, None, "too large; an exercise file is at most 1 MB")])
    if b"\0" in data:
        raise ExerciseError([Problem(name, None, "is a binary file, not a YAML exercise")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ExerciseError([Problem(name, line, "is not UTF-8 text")]) from None


def load_file(path: str | Path) -> Exercise:
    """Load and check one exercise file; raises ExerciseError listing every problem."""
    path = Path(path)
    name = str(path)
    return load_text(_read_text(path, name), name)


def load_text(text: str, name: str = "<text>") -> Exercise:
    """Parse and check exercise YAML given as text."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ExerciseError([Problem(name, None, "too large; an exercise file is at most 1 MB")])
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        what = error.problem or error.context or "not valid YAML"
        raise ExerciseError([Problem(name, line, f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as error:
        raise ExerciseError([Problem(name, None, f"not valid YAML: {error}")]) from None
    except RecursionError:
        raise ExerciseError([Problem(name, None, "not valid YAML: nested too deeply")]) from None
    if data is None:
        raise ExerciseError([Problem(name, 1, "the file is empty; an exercise needs id, title, minutes and steps")])
    if not isinstance(data, _Mapping):
        raise ExerciseError([Problem(name, 1, "an exercise must be a mapping of keys (id:, title:, steps: ...)")])
    return _Checker(name, text).exercise(data)


def names_in_safely(text: str) -> set:
    """names_in, or nothing for text whose braces are broken (that is reported elsewhere)."""
    try:
        return names_in(text)
    except ValueError:
        return set()


def _suggest(word, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Checker:
    """Turns parsed YAML into an Exercise, collecting problems instead of stopping at the first."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self.problems: list[Problem] = []
        self.pools: dict[str, Pool] = {}
        self.pool_names: set[str] = set()  # every pool named, even one with a mistake (said once, not twice)
        self.used_pools: set[str] = set()

    def problem(self, line, message):
        self.problems.append(Problem(self.name, line, message))

    def exercise(self, data: _Mapping) -> Exercise:
        values = {}
        for key, value in data.items():
            line = data.key_lines.get(key, data.line)
            if key not in TOP_KEYS:
                self.problem(line, f"unknown key {key!r}{_suggest(key, TOP_KEYS)}")
            elif key not in ("steps", "pools"):
                checked = self.value(TOP_KEYS[key], value, key, line)
                if checked is not None:
                    values[key] = checked
        for key in _TOP_REQUIRED:
            if key not in data:
                self.problem(data.line, f"missing {key!r}")
        if "pools" in data:
            self.pools = self.read_pools(data["pools"], data.key_lines["pools"])
        steps = self.steps(data.get("steps"), data.key_lines.get("steps", data.line)) if "steps" in data else []
        for pool in self.pools.values():
            if pool.name not in self.used_pools:
                self.problem(pool.line, f"pool {pool.name!r} is never used; put {{{pool.name}}} in a line "
                                        "that should say one of its items")
        labels = {}
        for index, step in enumerate(steps):
            if step.label:
                if step.label in labels or step.label in ENDINGS:
                    self.problem(step.line, f"label {step.label!r} is used twice" if step.label in labels
                                 else f"label {step.label!r} is reserved")
                labels[step.label] = index
        for step in steps:
            self.check_targets(step, labels)
        self.check_goto_loops(steps, labels)
        if values.get("solo") and any(isinstance(s, Turn) for s in steps):
            self.problem(data.key_lines["solo"], "a solo exercise cannot have turns (a turn needs two partners)")
        if self.problems:
            raise ExerciseError(self.problems)
        return Exercise(
            id=values["id"], title=values["title"], minutes=values["minutes"], steps=tuple(steps),
            tags=tuple(values.get("tags", ())), description=values.get("description", "").strip(),
            basis=values.get("basis", "").strip(), notes=values.get("notes", "").strip(),
            solo=values.get("solo", False), path=self.name,
            digest=hashlib.sha256(self.text.encode("utf-8")).hexdigest(), labels=labels, pools=self.pools,
        )

    def value(self, kind, value, key, line):
        """Check one value against its kind; returns it normalised or None after noting a problem."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind is str:
            if isinstance(value, str) and value.strip():
                return value
            self.problem(line, f"{key!r} must be text")
        elif kind is bool:
            if isinstance(value, bool):
                return value
            self.problem(line, f"{key!r} must be true or false")
        elif kind in ("seconds", "seconds0"):
            low = 0 if kind == "seconds0" else 0.1
            if number and low <= value <= MAX_SECONDS:
                return float(value)
            self.problem(line, f"{key!r} must be a number of seconds from {low:g} to {MAX_SECONDS}")
        elif kind == "minutes":
            if number and 0 < value <= 600:
                return value
            self.problem(line, "'minutes' must be a number of minutes above 0")
        elif kind == "rounds":
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100:
                return value
            self.problem(line, "'rounds' must be a whole number from 1 to 100")
        elif kind == "rating":
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10:
                return value
            self.problem(line, f"{key!r} must be a whole number from 0 to 10")
        elif kind == "who":
            if value in ("A", "B", "each"):
                return value
            self.problem(line, f"{key!r} must be A, B or each, not {value!r}")
        elif kind in ("id", "key", "target"):
            if isinstance(value, str) and _ID.match(value):
                return value
            self.problem(line, f"{key!r} must be a short name of lower-case letters, digits and dashes, "
                               f"not {value!r}")
        elif kind == "chime":
            if value in CHIMES:
                return value
            self.problem(line, f"unknown chime {value!r}{_suggest(value, CHIMES)}; chimes: {', '.join(CHIMES)}")
        elif kind == "tags":
            if isinstance(value, list) and all(isinstance(tag, str) and tag.strip() for tag in value):
                return [tag.strip() for tag in value]
            self.problem(line, "'tags' must be a list of words, like [check-in, daily]")
        return None

    def read_pools(self, pools, line) -> dict:
        """pools: {name: [item, ...]} or {name: {pick: 2, items: [...]}}, each item a line of text."""
        if not isinstance(pools, _Mapping):
            self.problem(line, "'pools' must list pools by name, like pools: {date-idea: [\"a walk\", \"a picnic\"]}")
            return {}
        found = {}
        for name, body in pools.items():
            name_line = pools.key_lines[name]
            if self.value("key", name, "pool name", name_line) is None:
                continue
            if name in _TURN_PLACEHOLDERS or name == RESUME_TIME:
                self.problem(name_line, f"{name!r} is a name voicecoach fills in itself; give the pool another name")
                continue
            self.pool_names.add(name)
            pick, items, items_line = 1, body, name_line
            if isinstance(body, _Mapping):
                for key in body:
                    if key not in ("pick", "items"):
                        self.problem(body.key_lines[key], f"unknown key {key!r} in pool {name!r}"
                                                          f"{_suggest(key, ('pick', 'items'))}")
                pick = body.get("pick", 1)
                items, items_line = body.get("items"), body.key_lines.get("items", name_line)
            if not isinstance(items, list) or not items:
                self.problem(items_line, f"pool {name!r} is empty; give it a list of items, like [\"a walk\", \"a picnic\"]")
                continue
            texts = []
            for item, item_line in zip(items, items.item_lines):
                if not isinstance(item, str) or not item.strip():
                    self.problem(item_line, f"an item of pool {name!r} must be text")
                elif self.check_names(item, item_line, _TURN_PLACEHOLDERS):
                    texts.append(item.strip())
            if len(set(texts)) != len(texts):
                self.problem(items_line, f"pool {name!r} has the same item twice")
            if isinstance(pick, bool) or not isinstance(pick, int) or not 1 <= pick <= len(items):
                self.problem(body.key_lines.get("pick", name_line) if isinstance(body, _Mapping) else name_line,
                             f"'pick' must be a whole number from 1 to the number of items ({len(items)})")
                continue
            if len(texts) == len(items):
                found[name] = Pool(name, tuple(texts), pick, name_line)
        return found

    def steps(self, items, line) -> list:
        if not isinstance(items, list) or not items:
            self.problem(line, "'steps' must be a list with at least one step")
            return []
        steps = []
        for item, item_line in zip(items, items.item_lines):
            step = self.step(item, item_line)
            if step is not None:
                steps.append(step)
        return steps

    def step(self, item, line):
        if not isinstance(item, _Mapping):
            self.problem(line, f"a step must be one of {', '.join(STEP_KINDS)} (like 'say: Hello'), "
                               f"not {item!r}")
            return None
        kinds = [key for key in item if key in STEP_KINDS]
        label = item.get("label")
        for key in item:
            if key not in STEP_KINDS and key != "label":
                self.problem(item.key_lines[key], f"unknown step kind {key!r}{_suggest(key, STEP_KINDS)}")
        if len(kinds) != 1:
            if len(kinds) > 1:
                self.problem(line, f"a step has one kind, this one has {len(kinds)}: {', '.join(kinds)}")
            elif all(key == "label" for key in item):
                self.problem(line, "a step needs a kind, like 'say: ...', beside its label")
            return None
        if label is not None and self.value("target", label, "label", item.key_lines["label"]) is None:
            label = None
        kind = kinds[0]
        cls, fields = STEP_KINDS[kind]
        body = item[kind]
        body_line = item.key_lines[kind]
        if not isinstance(body, _Mapping):
            if kind in _SHORT_FORM:
                body = {_SHORT_FORM[kind]: body}
                lines = {}
            else:
                settings = ", ".join(f"{key}: ..." for key in _REQUIRED[kind])
                self.problem(body_line, f"'{kind}' needs its settings, like {kind}: {{{settings}}}")
                return None
        else:
            lines = body.key_lines
        values = {}
        ok = True
        misspelled = set()
        for key, value in body.items():
            key_line = lines.get(key, body_line)
            if key not in fields:
                self.problem(key_line, f"unknown key {key!r} in '{kind}'{_suggest(key, fields)}")
                misspelled.update(difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.5))
                ok = False
                continue
            checked = self.value(fields[key], value, key, key_line)
            if checked is None:
                ok = False
            else:
                values[_RENAMED.get(key, key)] = checked
        for key in _REQUIRED[kind]:
            if key not in body and key not in misspelled:
                self.problem(body_line, f"'{kind}' is missing {key!r}")
                ok = False
        if not ok:
            return None
        step = cls(line=line, label=label, **values)
        self.check_text(step)
        return step

    def check_text(self, step):
        allowed = _TURN_PLACEHOLDERS if isinstance(step, (Turn, Rate, Consent)) else _PLACEHOLDERS
        for field_name in TEXT_FIELDS:
            text = getattr(step, field_name, None)
            if isinstance(text, str):
                self.check_names(text, step.line, allowed | self.pool_names | {RESUME_TIME})
                for name in names_in_safely(text) & set(self.pools):
                    self.used_pools.add(name)
                    inner = set().union(*(names_in(item) for item in self.pools[name].items))
                    if inner - allowed:
                        self.problem(step.line, f"pool {name!r} uses {{speaker}} or {{listener}}, which work only "
                                                "in turn, rate and consent steps")

    def check_names(self, text, line, allowed) -> bool:
        """Every name in braces is one we can fill in; notes a problem and says False otherwise."""
        try:
            fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                      if name is not None]
        except ValueError:
            self.problem(line, f"unbalanced braces in {text!r}: names go in {{A}}, {{B}}; "
                               "write {{ and }} for a brace")
            return False
        if any(spec or conversion for _, spec, conversion in fields):
            self.problem(line, f"only plain names like {{A}} go in braces, in {text!r}")
            return False
        unknown = {name for name, _, _ in fields} - allowed
        for name in sorted(unknown):
            hint = " ({speaker} and {listener} work in turn, rate and consent steps)" if name in _TURN_PLACEHOLDERS \
                else _suggest(name, allowed)
            self.problem(line, f"unknown name {{{name}}} in the text{hint}")
        return not unknown

    def check_targets(self, step, labels):
        for name in ("if_low", "if_yes", "if_no", "target"):
            target = getattr(step, name, None)
            if target and target not in labels and target not in ENDINGS:
                self.problem(step.line, f"jump to unknown label {target!r}{_suggest(target, list(labels) + list(ENDINGS))}")
        if isinstance(step, Rate) and (step.low is None) != (step.if_low is None):
            self.problem(step.line, "'low' and 'if_low' go together: a rating below 'low' jumps to 'if_low'")

    def check_goto_loops(self, steps, labels):
        """A goto that only reaches gotos would spin forever without a word (each step walked once)."""
        state = {}  # step index -> "walking" or "done"
        for start in range(len(steps)):
            index, path = start, []
            while isinstance(steps[index], Goto) and steps[index].target in labels and index not in state:
                state[index] = "walking"
                path.append(index)
                index = labels[steps[index].target]
            if state.get(index) == "walking":
                self.problem(steps[index].line, f"'goto: {steps[index].target}' loops forever between gotos")
                return
            for walked in path:
                state[walked] = "done"


# ---- finding exercises --------------------------------------------------------------

def builtin_files() -> list[Path]:
    folder = resources.files("voicecoach") / "library"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def user_files() -> list[Path]:
    from voicecoach import paths

    folder = paths.data_dir(create=False) / "exercises"  # only looked at: listing creates nothing
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def all_exercises() -> tuple[list[Exercise], list[Problem]]:
    """Built-in exercises, then the user's own; a user file that reuses a built-in id is refused."""
    exercises, problems, seen = [], [], {}
    for path in builtin_files() + user_files():
        try:
            exercise = load_file(path)
        except ExerciseError as error:
            problems.extend(error.problems)
            continue
        if exercise.id in seen:
            problems.append(Problem(str(path), None, f"id {exercise.id!r} is already used by {seen[exercise.id]}; "
                                                     "give your exercise an id of its own"))
            continue
        seen[exercise.id] = path.name if path.parent.name == "library" else str(path)
        exercises.append(exercise)
    return exercises, problems


STARTING_FILE = """\
# Your own exercise for voicecoach. Lines starting with # are notes for you; the voice skips them.
# Try it with:  voicecoach check {path}
#               voicecoach show {id}
#               voicecoach start {id}
# docs/EXERCISES.md in voicecoach's repository explains every step kind.
id: {id}
title: {title}
minutes: 4
tags: [my-own]
description: >
  One paragraph saying what this exercise is for, in your own words.
basis: >
  The practice it follows, and where it comes from.
notes: >
  Anything the couple should know before they start. Saying "pause" or
  "stop" works at any moment.
steps:
  - chime: start
  - say: "Welcome, {{A}} and {{B}}. Sit comfortably, facing each other."
  - breathe: {{in: 4, out: 6, rounds: 3}}
  - turn:
      speaker: each
      prompt: "{{speaker}}, share one thing that went well today. Say I'm done when you have finished."
      listener: "{{listener}}, just listen."
      limit: 90
  - rate:
      ask: "{{speaker}}, how close do you feel right now, from zero to ten?"
      key: closeness
      low: 4
      if_low: gentle
  - say: "Thank you both."
  - goto: end
  - label: gentle
    say: "Thank you for being honest. Let's take three slow breaths together, and leave it there for today."
  - breathe: {{in: 4, out: 6, rounds: 3}}
"""


def new_file(exercise_id: str) -> Path:
    """Write a commented starting file for a new exercise in the user's folder; refuses to overwrite."""
    from voicecoach import paths

    if not _ID.match(exercise_id):
        raise ExerciseError([Problem(exercise_id, None, "an id is a short name of lower-case letters, digits "
                                                        "and dashes, like evening-check-in")])
    if exercise_id in {path.stem for path in builtin_files()}:
        raise ExerciseError([Problem(exercise_id, None, "is a built-in exercise; choose an id of your own")])
    path = paths.exercises_dir() / f"{exercise_id}.yaml"
    title = exercise_id.replace("-", " ").capitalize()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only, never overwrites
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(STARTING_FILE.format(id=exercise_id, title=title, path=path))
    except FileExistsError:
        raise ExerciseError([Problem(str(path), None, "already exists; edit it, or choose another id")]) from None
    return path


def check_files(paths) -> list[Problem]:
    """Every problem in these files, and any id used by more than one of them."""
    problems, ids = [], {}
    builtins = {path.stem: path for path in builtin_files()}
    for path in paths:
        try:
            loaded = load_file(path)
        except ExerciseError as error:
            problems.extend(error.problems)
            continue
        if loaded.id in ids:
            problems.append(Problem(str(path), None, f"duplicate id {loaded.id!r} (also in {ids[loaded.id]})"))
        elif loaded.id in builtins and Path(path).resolve() != builtins[loaded.id].resolve():
            problems.append(Problem(str(path), None, f"id {loaded.id!r} is a built-in exercise's; "
                                                     "give yours an id of its own"))
        ids.setdefault(loaded.id, str(path))
    return problems


def find(ref: str) -> Exercise:
    """An exercise by id (built-in or the user's), or by the path of a YAML file."""
    path = Path(ref).expanduser()
    if ref.endswith((".yaml", ".yml")) or path.is_file() or "/" in ref:
        return load_file(path)
    exercises, _ = all_exercises()
    for exercise in exercises:
        if exercise.id == ref:
            return exercise
    ids = [e.id for e in exercises]
    raise ExerciseError([Problem(ref, None, f"no such exercise{_suggest(ref, ids)}; "
                                            "'voicecoach list' shows them all")])
