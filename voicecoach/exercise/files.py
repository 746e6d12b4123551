"""Finding exercises: the built-in library, the user's own folder, a new file to start from."""

import os
from pathlib import Path

from voicecoach import paths
from voicecoach.errors import ExerciseError
from voicecoach.exercise.checking import _ID
from voicecoach.exercise.loading import load_file
from voicecoach.exercise.problems import Problem, _suggest
from voicecoach.exercise.steps import Exercise

builtin_files = paths.builtin_exercise_files  # listed in paths.py, so listing them loads none of this package
user_files = paths.user_exercise_files


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
            problems.append(Problem(str(path), exercise.id_line, f"id {exercise.id!r} is already used by {seen[exercise.id]}; "
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
            problems.append(Problem(str(path), loaded.id_line, f"duplicate id {loaded.id!r} (also in {ids[loaded.id]})"))
        elif loaded.id in builtins and Path(path).resolve() != builtins[loaded.id].resolve():
            problems.append(Problem(str(path), loaded.id_line, f"id {loaded.id!r} is a built-in exercise's; "
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
