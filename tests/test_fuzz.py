"""Property-based: whatever an exercise file, config.yaml, a plan, program or reminders file, or a
file to import holds, voicecoach succeeds or says why in one line naming the file (an exercise
file: one line a problem, each naming it), never a traceback, and each example within seconds and
MEMORY_BUDGET of Python allocations (tracemalloc's peak, numpy's arrays included).

Each example starts from a real file of the kind and changes it (a value somewhere replaced by
any JSON value, numbers of 30 digits, text with markup and control characters) or is raw bytes;
all runs in this process through click's CliRunner, in a fresh VOICECOACH_HOME."""

import copy
import io
import json
import tarfile
import tempfile
import tracemalloc
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicecoach import exercise
from voicecoach.cli.commands import cli

BUDGET = settings(max_examples=100, deadline=timedelta(seconds=5), database=None, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
"""derandomize: the same examples on every run, so a failure is seen again by whoever reruns it."""

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30) | st.sampled_from(
    ["[/]", "[bold]", "{A}", "{speaker}", "\x1b]52;c;aGk=\x07", "end", "next", "", "0001-01-01T00:00:00+14:00"])
SCALARS = (st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.integers(-3, 200)
           | st.floats(allow_nan=True, allow_infinity=True) | TEXT)
HOSTILE = st.sampled_from([10**25, 2**63, -2**63 - 1, 1e308, -0.0, "9" * 5000, "0001-01-01T00:00:00+14:00",
                           "9999-12-31T23:59:59-14:00", "x" * 200_000, [[[[[[[[]]]]]]]], {"": None}])
"""Values that broke voicecoach before: numbers past what SQLite or a date can hold, huge texts."""
MEMORY_BUDGET = 64 * 2**20


def laughs(key: str, levels: int = 9) -> str:
    """A "billion laughs": 9**levels values from a few hundred bytes of nested aliases."""
    rows = [f"{key}: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"x{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(rows) + f"\n{key}-again: *l{levels - 1}\n"


HOSTILE_YAML = st.sampled_from([laughs("partner-a"), laughs("title"), "[" * 10_000, "{a: " * 5_000,
                                "rate: " + "9" * 400, "steps: !!python/object:os.system ls", "\t- a\n"])
"""Files that broke voicecoach before: a few hundred bytes that take gigabytes, or deep nesting."""
VALUES = HOSTILE | st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                                | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)


def changed(document, data):
    """document with up to three values (or whole lists and maps) somewhere in it replaced."""
    document = json.loads(json.dumps(document))
    for _ in range(data.draw(st.integers(1, 3))):
        parent, key = None, None
        node = document
        while isinstance(node, (dict, list)) and node and data.draw(st.integers(0, 4)):  # mostly a leaf
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            parent, key = node, data.draw(st.sampled_from(keys))
            node = node[key]
        if parent is None:
            return copy.deepcopy(data.draw(VALUES))
        parent[key] = copy.deepcopy(data.draw(VALUES))  # HOSTILE's lists must not change under later draws
    return document


def run(home, *args, input=None):
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    else:
        tracemalloc.start()
    try:
        result = CliRunner().invoke(cli, list(args), input=input, env={"VOICECOACH_HOME": str(home)})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not tracing:
            tracemalloc.stop()
    assert peak < MEMORY_BUDGET, f"{args}: {peak / 2**20:.0f} MiB at its peak"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def said_in_one_line(result, name, each_line=False, unrelated=()):
    """Success, or a non-zero exit whose stderr is one line naming the file (each_line: one or more
    lines, each naming it, as `check` lists an exercise file's problems); unrelated: the command's
    own answers that are not about the file (no program under way)."""
    if result.exit_code == 0:
        return
    lines = result.stderr.strip().splitlines()
    assert lines, result.output
    assert len(lines) == 1 or each_line, result.stderr
    assert all(str(name) in line or any(text in line for text in unrelated) for line in lines), result.stderr


def write(path: Path, data: bytes | str) -> Path:
    """Owner-only, as voicecoach writes its files (a looser one draws a warning line of its own)."""
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(0o600)
    return path


@contextmanager
def a_home():
    """A fresh VOICECOACH_HOME for one example (the test's own tmp_path is shared by all of them)."""
    with tempfile.TemporaryDirectory(prefix="voicecoach-fuzz-") as folder:
        home = Path(folder) / "home"
        home.mkdir(mode=0o700)
        (home / "safety-note-shown").touch(mode=0o600)
        yield home


def fuzzed_yaml(start, data, raw) -> bytes:
    """Raw bytes, or start changed and written as YAML."""
    if raw:
        return data.draw(st.binary(max_size=300) | HOSTILE_YAML.map(str.encode))
    return yaml.safe_dump(changed(start, data), allow_unicode=True).encode()


DAILY = yaml.safe_load(next(p for p in exercise.builtin_files() if p.stem == "daily-check-in").read_text())


@BUDGET
@given(data=st.data(), raw=st.booleans())
def test_any_exercise_file_is_checked_or_its_problems_named(data, raw):
    with a_home() as home:
        path = write(home / "fuzzed.yaml", fuzzed_yaml(DAILY, data, raw))
        said_in_one_line(run(home, "check", str(path)), path, each_line=True)


CONFIG = {"partner-a": "Sam", "partner-b": "Alex", "rate": 160, "volume": 0.9, "prepare-seconds": 30,
          "spoken-reminders": False, "streaks": True, "helplines": "", "speech-engine": "", "voice": ""}


@BUDGET
@given(data=st.data(), raw=st.booleans())
def test_any_config_file_is_used_or_named(data, raw):
    with a_home() as home:
        path = write(home / "config.yaml", fuzzed_yaml(CONFIG, data, raw))
        said_in_one_line(run(home, "config", "show"), path)


PLAN = {"entries": [{"key": 1, "exercise": "daily-check-in", "rhythm": {
    "at": "20:00", "days": ["mon", "wed"], "every": 1, "unit": "days", "start": "2026-12-07"},
    "paused": False, "program": None, "touch": False}], "paused": False, "closeness_reminders": False,
    "next_key": 2}
PROGRAM = {"program": "first-week", "week": 1, "started": "2026-12-07", "week_started": "2026-12-07",
           "paused": False}
REMINDERS = {"done": {"2026-12-07T20:00": True}}


@BUDGET
@given(data=st.data(), which=st.sampled_from(["plan.json", "program.json", "reminders.json"]),
       raw=st.booleans())
def test_any_plan_program_or_reminders_file_is_used_or_named(data, which, raw):
    with a_home() as home:
        path = home / which
        start = {"plan.json": PLAN, "program.json": PROGRAM, "reminders.json": REMINDERS}[which]
        write(path, data.draw(st.binary(max_size=200)) if raw else json.dumps(changed(start, data)).encode())
        for args in {"plan.json": (["plan", "list"], ["due"]), "program.json": (["program", "status"],),
                     "reminders.json": (["remind"],)}[which]:
            said_in_one_line(run(home, *args), path, unrelated=["no program is under way"])


SESSION = {"id": "3f0c2a9e-5d1b-4c7a-9e8f-0a1b2c3d4e5f", "exercise_id": "daily-check-in",
           "exercise_title": "Daily check-in", "exercise_hash": "ab" * 32,
           "started_at": "2026-12-07T19:00:00.000+00:00", "ended_at": "2026-12-07T19:10:00.000+00:00",
           "outcome": "completed", "steps_total": 3, "steps_done": 2, "solo": False,
           "steps": [{"index": 0, "kind": "say", "result": "done", "at": "2026-12-07T19:01:00.000+00:00"}],
           "ratings": [{"step_index": 1, "key": "connection", "slot": "A", "name": "Sam", "value": 7,
                        "at": "2026-12-07T19:02:00.000+00:00"}]}
EXPORT = {"format": "voicecoach-journal", "version": 1, "time_zone": "UTC", "sessions": [SESSION]}
MANIFEST = {"format": "voicecoach-archive", "version": 1, "journal": "journal.json", "config": None,
            "files": [{"path": "data/plan.json", "private": True}]}


def archive(manifest, journal: bytes, members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in {"voicecoach/manifest.json": json.dumps(manifest).encode(),
                           "voicecoach/journal.json": journal, **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@BUDGET
@given(data=st.data(), kind=st.sampled_from(["json", "archive", "raw"]))
def test_any_file_to_import_is_imported_or_named_and_then_nothing_is_written(data, kind):
    with a_home() as home:
        path = home.parent / "to-import"
        if kind == "json":
            write(path, json.dumps(changed(EXPORT, data)))
        elif kind == "archive":
            names = data.draw(st.lists(st.sampled_from(["data/plan.json", "data/a", "data/a/b", "data/../x",
                                                        "voicecoach/data/plan.json", "data/"]), max_size=3))
            members = {f"voicecoach/{name}": data.draw(st.binary(max_size=40)) for name in names}
            write(path, archive(changed(MANIFEST, data), json.dumps(changed(EXPORT, data)).encode(), members))
        else:
            write(path, data.draw(st.binary(max_size=300)))
        result = run(home, "import", str(path))
        said_in_one_line(result, path)
        if result.exit_code != 0:
            assert not (home / "journal.sqlite3").exists() or run(home, "export").output.count('"id"') == 0
