"""Reading an exercise file or text, safely, into a checked Exercise."""

import stat
from pathlib import Path

import yaml

from voicecoach.errors import ExerciseError
from voicecoach.exercise.checking import _Checker
from voicecoach.exercise.parsing import _Loader, _Mapping, explain
from voicecoach.exercise.problems import Problem
from voicecoach.exercise.steps import Exercise

MAX_FILE_BYTES = 1_000_000
TOO_LARGE = f"too large; an exercise file is at most {MAX_FILE_BYTES // 1_000_000} MB"


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
        raise ExerciseError([Problem(name, None, TOO_LARGE)])
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
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:  # text given directly; files were checked as bytes
        raise ExerciseError([Problem(name, None, TOO_LARGE)])
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        raise ExerciseError([Problem(name, *explain(error, text))]) from None
    except yaml.YAMLError as error:
        raise ExerciseError([Problem(name, None, f"not valid YAML: {' '.join(str(error).split())}")]) from None
    except RecursionError:
        raise ExerciseError([Problem(name, None, "not valid YAML: nested too deeply")]) from None
    if data is None:
        raise ExerciseError([Problem(name, 1, "the file is empty; an exercise needs id, title, minutes and steps")])
    if not isinstance(data, _Mapping):
        raise ExerciseError([Problem(name, 1, "an exercise must be a mapping of keys (id:, title:, steps: ...)")])
    return _Checker(name, text).exercise(data)
