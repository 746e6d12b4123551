"""Multi-week programs: YAML files of weeks, each with its practice and what moves the couple on.

A week moves on when its sessions are done AND both partners, each asked privately, say they are
ready. A "not today" from either needs no reason, is not counted, and keeps the week as it is.
"""

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import yaml

from voicecoach import exercise as ex
from voicecoach import paths, vault
from voicecoach.errors import ExerciseError, ScheduleError
from voicecoach.exercise.parsing import _Loader, _Mapping
from voicecoach.exercise.problems import _suggest
from voicecoach.schedule import plans
from voicecoach.schedule.text import wrapped

STATE_FILE = "program.json"
_TOP = {"id", "title", "description", "weeks"}
_WEEK = {"title", "about", "practice", "move_on"}
_PRACTICE = {"exercise", "at", "days", "every"}
_MOVE_ON = {"sessions"}


@dataclass(frozen=True)
class Practice:
    exercise: str
    at: str
    days: object = "daily"
    every: str | None = None


@dataclass(frozen=True)
class Week:
    title: str
    practice: tuple
    sessions: int
    """Completed sessions of this week's exercises before the couple is asked whether to move on."""
    about: str = ""


@dataclass(frozen=True)
class Program:
    id: str
    title: str
    weeks: tuple
    description: str = ""
    path: str = ""


# ---- files -------------------------------------------------------------------------------

def builtin_files() -> list:
    folder = resources.files("voicecoach") / "library" / "programs"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def user_files() -> list:
    folder = paths.data_dir(create=False) / "programs"
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")) if folder.is_dir() else []


def is_program_file(path: Path) -> bool:
    """A program has weeks; an exercise has steps. Used by 'voicecoach check' to tell them apart."""
    try:
        return Path(path).parent.name == "programs" or "\nweeks:" in "\n" + Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def load_file(path, exercise_ids=None) -> Program:
    """Load and check a program; raises ExerciseError with every problem as file:line."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_Loader)  # keeps each key's line
    except OSError as error:
        raise ExerciseError([ex.Problem(name, None, f"cannot be read ({error.strerror})")]) from None
    except UnicodeDecodeError:
        raise ExerciseError([ex.Problem(name, None, "is not UTF-8 text")]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ExerciseError([ex.Problem(name, mark.line + 1 if mark else None, "not valid YAML")]) from None
    if exercise_ids is None:
        exercise_ids = {e.id for e in ex.all_exercises()[0]}
    return _Checker(name, exercise_ids).program(data)


class _Checker:
    def __init__(self, name, exercise_ids):
        self.name = name
        self.ids = exercise_ids
        self.problems = []

    def problem(self, line, message):
        self.problems.append(ex.Problem(self.name, line, message))

    def mapping(self, data, keys, what, line):
        if not isinstance(data, dict):
            self.problem(line, f"{what} should be a mapping of keys")
            empty = _Mapping()
            empty.key_lines = {}  # nothing to point at: callers fall back to the item's own line
            return empty
        for key in data:
            if key not in keys:
                self.problem(data.key_lines[key], f"unknown key {key!r} in {what}; known: {', '.join(sorted(keys))}")
        return data

    def program(self, data) -> Program:
        data = self.mapping(data, _TOP, "a program", 1)
        for key in ("id", "title", "weeks"):
            if data and key not in data:
                self.problem(data.line, f"missing {key!r}")
        weeks = data.get("weeks")
        if "weeks" in data and (not isinstance(weeks, list) or not weeks):
            self.problem(data.key_lines["weeks"], "weeks should be a list with at least one week")
            weeks = []
        built = tuple(self.week(item, line) for item, line in zip(weeks or [], getattr(weeks, "item_lines", [])))
        if self.problems:
            raise ExerciseError(self.problems)
        return Program(str(data["id"]), str(data["title"]), built, str(data.get("description", "")).strip(),
                       self.name)

    def week(self, data, line) -> Week | None:
        data = self.mapping(data, _WEEK, "a week", line)
        practice = data.get("practice")
        if not isinstance(practice, list) or not practice:
            self.problem(getattr(data, "line", line), "a week needs 'practice': a list of exercises")
            practice = []
        items = tuple(self.practice(item, item_line)
                      for item, item_line in zip(practice, getattr(practice, "item_lines", [])))
        move_on = self.mapping(data.get("move_on", {}), _MOVE_ON, "move_on", data.key_lines.get("move_on", line))
        sessions = move_on.get("sessions", 0)
        if not isinstance(sessions, int) or isinstance(sessions, bool) or not 0 <= sessions <= 100:
            self.problem(move_on.key_lines["sessions"], "sessions should be a whole number from 0 to 100")
            sessions = 0
        if "title" not in data:
            self.problem(getattr(data, "line", line), "a week needs a title")
        return Week(str(data.get("title", "")), items, sessions, str(data.get("about", "")).strip())

    def practice(self, data, line) -> Practice | None:
        data = self.mapping(data, _PRACTICE, "a practice", line)
        exercise_id = data.get("exercise")
        if exercise_id not in self.ids:
            self.problem(data.key_lines.get("exercise", line), f"unknown exercise {exercise_id!r}"
                         f"{_suggest(str(exercise_id), sorted(self.ids))}; 'voicecoach list' shows them")
        try:
            plans.rhythm(data.get("at", ""), data.get("days", "daily"), data.get("every"))
        except ScheduleError as error:
            self.problem(data.key_lines.get("at", line), str(error))
        return Practice(str(exercise_id), str(data.get("at", "")), data.get("days", "daily"), data.get("every"))


def all_programs() -> tuple:
    """Built-in programs, then the user's own; a broken file is reported and left out."""
    found, problems = [], []
    exercise_ids = {e.id for e in ex.all_exercises()[0]}
    for path in builtin_files() + user_files():
        try:
            found.append(load_file(path, exercise_ids))
        except ExerciseError as error:
            problems.extend(error.problems)
    return found, problems


def find(program_id: str) -> Program:
    found = {program.id: program for program in all_programs()[0]}
    if program_id not in found:
        raise ScheduleError(f"{program_id!r}: no such program; 'voicecoach program list' shows them")
    return found[program_id]


def of_state(state: dict) -> Program:
    """The program under way, its week checked against its length: program.json is a plain file, and
    week 10**25 of a four-week program was a traceback in 'today' and 'program status'."""
    program = find(state["id"])
    if not 1 <= state["week"] <= len(program.weeks):
        raise ScheduleError(f"{state_path()}: cannot be read (week {str(state['week'])[:12]} of {program.id}, "
                            f"which has {len(program.weeks)})")
    return program


# ---- the couple's progress (private) ----------------------------------------------------------

def state_path() -> Path:
    return paths.data_dir(create=False) / STATE_FILE


def load_state() -> dict | None:
    """{'id', 'week' (from 1), 'since', 'done': {exercise: count}, 'paused', 'finished'} or None."""
    try:
        state = json.loads(vault.read_private(state_path()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as error:
        raise ScheduleError(f"{state_path()}: cannot be read ({error})") from None
    if not _well_formed(state):
        raise ScheduleError(f"{state_path()}: cannot be read (not a voicecoach program file)")
    return state


def _well_formed(state) -> bool:
    """The shape save_state writes, so a file edited by hand or damaged is one line, not a traceback."""
    kinds = {"id": str, "week": int, "since": str, "done": dict, "paused": bool, "finished": bool}
    return (isinstance(state, dict) and all(isinstance(state.get(key), kind) for key, kind in kinds.items())
            and all(isinstance(k, str) and isinstance(v, int) for k, v in state["done"].items()))


def save_state(state: dict | None) -> None:
    if state is None:
        state_path().unlink(missing_ok=True)
    else:
        paths.data_dir()
        vault.write_private(state_path(), json.dumps(state, indent=1).encode())


def own_entry(plan: plans.Plan, exercise_id: str) -> plans.Entry | None:
    """The couple's own plan entry of this exercise (not a program's), if they have one."""
    return next((entry for entry in plan.entries if entry.exercise == exercise_id and not entry.program), None)


def entries_used(plan: plans.Plan, program: Program, week: int) -> list:
    """The couple's own entries that `week` (from 1) of the program uses instead of its own."""
    found = (own_entry(plan, item.exercise) for item in program.weeks[week - 1].practice)
    return [entry for entry in found if entry]


def plan_week(plan: plans.Plan, program: Program, week: int, today: date, touch_ids: set) -> None:
    """Replace the program's entries in the plan by those of `week` (from 1). An exercise the couple
    already planned themselves is not planned twice: the program uses their entry, and leaves it
    to them when it pauses or stops."""
    plan.entries = [entry for entry in plan.entries if entry.program != program.id]
    for item in program.weeks[week - 1].practice:
        if not own_entry(plan, item.exercise):
            plan.add(item.exercise, plans.rhythm(item.at, item.days, item.every, start=today),
                     program=program.id, touch=item.exercise in touch_ids)


def start(plan, program: Program, today: date, touch_ids: set) -> dict:
    running = load_state()
    if running and not running.get("finished"):
        raise ScheduleError(f"the {running['id']} program is already under way; "
                            "'voicecoach program stop' ends it first")
    plan_week(plan, program, 1, today, touch_ids)
    return {"id": program.id, "week": 1, "since": today.isoformat(), "done": {}, "paused": False,
            "finished": False}


def counted(state: dict, program: Program, exercise_id: str) -> bool:
    """A completed session of this week's practice counts toward moving on."""
    if state["paused"] or state["finished"]:
        return False
    if exercise_id not in {item.exercise for item in program.weeks[state["week"] - 1].practice}:
        return False
    state["done"][exercise_id] = state["done"].get(exercise_id, 0) + 1
    return True


def sessions_left(state: dict, program: Program) -> int:
    return max(0, program.weeks[state["week"] - 1].sessions - sum(state["done"].values()))


def move_on(state: dict, plan, program: Program, today: date, both_ready: bool, touch_ids: set) -> str:
    """Go to the next week if its sessions are done and both said, privately, they are ready.
    Returns 'moved', 'finished', 'not-yet' (sessions left) or 'staying'."""
    if sessions_left(state, program):
        return "not-yet"
    if not both_ready:
        return "staying"
    if state["week"] == len(program.weeks):
        state["finished"] = True
        plan.entries = [dataclasses.replace(e, program=None) if e.program == program.id else e
                        for e in plan.entries]  # the routines stay theirs
        return "finished"
    state.update(week=state["week"] + 1, since=today.isoformat(), done={})
    plan_week(plan, program, state["week"], today, touch_ids)
    return "moved"


def set_paused(state: dict, plan, paused: bool) -> None:
    state["paused"] = paused
    for entry in list(plan.entries):
        if entry.program == state["id"]:
            plan.replace(entry, paused=paused)


def stop(state: dict, plan) -> int:
    """Remove the program's entries from the plan; returns how many."""
    before = len(plan.entries)
    plan.entries = [entry for entry in plan.entries if entry.program != state["id"]]
    return before - len(plan.entries)


READY_QUESTION = ("{speaker}, would you like to move on to the next week of the program? "
                  "Answer yes, or no if not yet; no reason is needed. "
                  "{listener}, please look away while {speaker} answers.")


def readiness_exercise(program: Program, week: int) -> ex.Exercise:
    """A tiny exercise of one private consent step: completed means both said yes."""
    after = (f"Thank you both. Week {week + 1} begins today." if week < len(program.weeks) else
             "Thank you both. That completes the program; your practice times stay as they are.")
    steps = (ex.Consent(question=READY_QUESTION, decline="That's fine. There is no hurry."), ex.Say(text=after))
    return ex.Exercise(id="program-ready", title="Moving on in the program",
                       minutes=1, steps=steps)


def status(state: dict, program: Program, plan, done: list, now, zone, titles: dict) -> list:
    """The lines of 'voicecoach program status': the week, what is done, what comes next."""
    from voicecoach.schedule import due

    week = program.weeks[state["week"] - 1]
    since = date.fromisoformat(state["since"]).strftime("%A %d %B")
    name = lambda exercise_id: titles.get(exercise_id, exercise_id)  # noqa: E731
    if state["finished"]:
        return [f"{program.title}: complete, all {len(program.weeks)} weeks. Your practice times stay in your plan."]
    lines = [f"{program.title}: week {state['week']} of {len(program.weeks)}, {week.title} (since {since})"
             + (" (paused)" if state["paused"] else "")]
    if week.about:
        lines.append(wrapped(week.about, "  ", "  "))
    lines.append("  Practice this week:")
    for item in week.practice:
        theirs = own_entry(plan, item.exercise)
        rhythm = theirs.rhythm if theirs else plans.rhythm(item.at, item.days, item.every)
        count = state["done"].get(item.exercise, 0)
        lines.append(wrapped(f"{name(item.exercise):34} {rhythm.describe():28} done {count}", " " * 6, "    "))
    total = sum(state["done"].values())
    left = sessions_left(state, program)
    lines.append(f"  Sessions done this week: {total} of {week.sessions}.")
    if state["paused"]:
        lines.append("  Paused: 'voicecoach program resume' picks it up again.")
        return lines
    ahead = due.coming(plan, done, now, zone)
    if ahead:
        lines.append(f"  Next: {name(ahead.entry.exercise)}, {ahead.when.strftime('%A %H:%M')}.")
    nxt = f"week {state['week'] + 1}" if state["week"] < len(program.weeks) else "the end of the program"
    if left:
        lines.append(wrapped(f"{left} more session{'s' * (left > 1)}, then you can each say, privately, "
                             f"whether you are ready for {nxt}.", "  ", "  "))
    else:
        lines.append(wrapped(f"Ready for {nxt} when you both are: 'voicecoach program continue' asks each "
                             "of you privately.", "  ", "  "))
    return lines


def check_files(files) -> list:
    """Every problem in these program files, as file:line."""
    problems = []
    ids = {e.id for e in ex.all_exercises()[0]}
    for file in files:
        try:
            load_file(file, ids)
        except ExerciseError as error:
            problems.extend(error.problems)
    return problems
