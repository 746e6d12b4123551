"""Checking parsed YAML against what each step kind accepts, collecting every problem with its line."""

import difflib
import hashlib
import re
import string

from voicecoach.errors import ExerciseError
from voicecoach.exercise.parsing import _Mapping
from voicecoach.exercise.placeholders import names_in, names_in_safely
from voicecoach.exercise.problems import Problem, _suggest, _suggest_or_list
from voicecoach.exercise.steps import (
    CHIMES,
    ENDINGS,
    RESUME_TIME,
    Ask,
    Breathe,
    Chime,
    Consent,
    Exercise,
    Goto,
    Pause,
    Pool,
    Rate,
    Say,
    Turn,
)

MAX_SECONDS = 3 * 60 * 60
MAX_MINUTES = 600

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
WAITING = (Turn, Rate, Ask, Consent)  # steps that wait for the couple: a loop needs one of them


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
                self.problem(line, f"unknown key {key!r}{_suggest_or_list(key, TOP_KEYS)}")
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
        self.check_loops(steps, labels)
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
            id_line=data.key_lines.get("id"),
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
            if number and 0 < value <= MAX_MINUTES:  # also refuses .inf and .nan
                return value
            self.problem(line, f"'minutes' must be a number of minutes above 0 and at most {MAX_MINUTES}")
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
                                                          f"{_suggest_or_list(key, ('pick', 'items'))}")
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
                self.problem(item.key_lines[key], f"unknown step kind {key!r}{_suggest_or_list(key, STEP_KINDS, 'step kinds')}")
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
                self.problem(key_line, f"unknown key {key!r} in '{kind}'{_suggest_or_list(key, fields)}")
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

    def check_loops(self, steps, labels):
        """A jump back that reaches itself again with no step waiting for the couple (a turn, rating,
        question or consent) on the way would go round unanswered until the engine gives up."""
        state = {}  # step index -> "walking" or "done"
        for start in range(len(steps)):
            index, path = start, []
            while index < len(steps) and not isinstance(steps[index], WAITING) and index not in state:
                state[index] = "walking"
                path.append(index)
                step = steps[index]
                if isinstance(step, Goto):
                    index = labels.get(step.target, len(steps))  # an ending, or a jump already reported
                else:
                    index += 1
            if index < len(steps) and state.get(index) == "walking":
                loop = path[path.index(index):]
                back = next(steps[i] for i in loop if isinstance(steps[i], Goto) and labels[steps[i].target] <= i)
                self.problem(back.line, f"'goto: {back.target}' goes round again with no turn, rate, ask or "
                                        "consent step on the way, so it would repeat with nobody answering; "
                                        "put one of those in the loop (an ask can offer another round) "
                                        "or jump forward")
                return
            for walked in path:
                state[walked] = "done"
