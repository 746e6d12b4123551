"""The layering DESIGN.md asks for, checked on every import in the package (function-level ones too):
which room may import which, no circle between rooms, and a session engine that does no I/O."""

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voicecoach"

# Each room (a package or a top-level module) and the rooms it may import. The order is the layering:
# a room names only rooms above it in this list, so no circle can be allowed.
MAY_IMPORT = {
    "errors": set(),
    "paths": set(),
    "cues": set(),
    "safety": {"paths"},
    "vault": {"errors", "paths"},
    "config": {"errors", "paths", "vault"},
    "exercise": {"errors", "paths"},
    "session": {"cues", "errors", "exercise"},
    "voice": {"errors", "exercise"},
    "hearing": {"cues", "errors", "voice"},
    "profile": {"config", "cues", "errors", "hearing", "paths", "vault"},
    "journal": {"config", "errors", "exercise", "paths", "vault"},
    "schedule": {"errors", "exercise", "paths", "vault"},
    "view": {"cues", "session"},
    "render": {"cues", "errors", "exercise", "session", "voice"},
    "runner": {"cues", "errors", "exercise", "hearing", "journal", "profile", "session", "view", "voice"},
    "doctor": {"config", "errors", "exercise", "hearing", "journal", "paths", "schedule", "vault", "voice"},
    "cli": {"config", "cues", "doctor", "errors", "exercise", "hearing", "journal", "paths", "profile", "render",
            "runner", "safety", "schedule", "session", "vault", "view", "voice"},
    "__main__": {"cli"},
}
SCREEN = {"rich", "click", "matplotlib"}  # only cli, the view and the runner that shows it draw
ENGINE_STDLIB = {"__future__", "collections", "dataclasses", "datetime", "difflib", "enum", "functools",
                 "itertools", "math", "random", "re", "string", "typing"}  # the engine: pure computation


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(package: Path = PACKAGE):
    """(importing module, imported module, file:line) for every absolute import in the package."""
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == package.name:  # from voicecoach import a, b: each is a module
                    names = [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    names = [node.module]
            else:
                continue
            for name in names:
                yield module, name, f"{path.relative_to(package.parent)}:{node.lineno}"


def problems(package: Path = PACKAGE) -> list[str]:
    found, edges = [], {}
    for module, name, where in imports(package):
        here, top = room(module), name.split(".")[0]
        if top == package.name:
            there = room(name)
            if there in ("", here, "__version__"):
                continue
            edges.setdefault(here, set()).add(there)
            if here not in MAY_IMPORT:
                found.append(f"{where}: {here} is a room DESIGN.md does not name; add it to MAY_IMPORT")
            elif there not in MAY_IMPORT[here]:
                found.append(f"{where}: {here} may not import {there}")
        elif top in SCREEN and here not in ("cli", "view", "runner"):
            found.append(f"{where}: {here} may not draw on the screen ({top})")
        elif here == "session" and top not in ENGINE_STDLIB:
            found.append(f"{where}: the session engine does no I/O and needs no {top}")
    try:
        tuple(graphlib.TopologicalSorter(edges).static_order())
    except graphlib.CycleError as error:
        found.append(f"rooms import each other in a circle: {' -> '.join(error.args[1])}")
    return found


def test_every_import_keeps_to_the_layering_of_design_md():
    assert problems() == []


def test_each_room_says_what_it_is_and_what_it_may_import():
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert doc and "May import" in doc, f"{init}: its docstring says what the room is and what it may import"


@pytest.mark.parametrize("module, line, said", [
    ("session/engine_extra.py", "from voicecoach.cli import commands\n", "session may not import cli"),
    ("session/engine_extra.py", "import sqlite3\n", "the session engine does no I/O and needs no sqlite3"),
    ("journal/shown.py", "def f():\n    from rich.console import Console\n", "journal may not draw on the screen (rich)"),
    ("vault/back.py", "from voicecoach.journal import Journal\n", "vault may not import journal"),
])
def test_a_wrong_import_is_caught(tmp_path, module, line, said):
    import shutil

    copy = tmp_path / "voicecoach"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.yaml", "*.wav"))
    (copy / module).write_text(line)
    assert any(said in problem for problem in problems(copy)), problems(copy)


def test_a_circle_between_rooms_is_caught(tmp_path, monkeypatch):
    copy = tmp_path / "voicecoach"
    (copy / "a").mkdir(parents=True)
    (copy / "b").mkdir()
    (copy / "a" / "__init__.py").write_text("from voicecoach.b import x\n")
    (copy / "b" / "__init__.py").write_text("from voicecoach.a import y\n")
    monkeypatch.setitem(MAY_IMPORT, "a", {"b"})
    monkeypatch.setitem(MAY_IMPORT, "b", {"a"})
    assert any("circle" in problem for problem in problems(copy))



def test_ruff_finds_nothing():
    """The rule set in pyproject.toml ([tool.ruff.lint]) holds for every file: run `ruff check --fix .`."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                            cwd=PACKAGE.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
