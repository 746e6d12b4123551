"""The reminders' own small plain file, and the reminder itself.

`reminders.json` holds only what a reminder needs: practice times and which planned slots were
done, by number, with no exercise names. So `voicecoach remind` works while the journal and the
plan are locked, and the file says nothing about what a couple practises.
"""

import dataclasses
import json
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

from voicecoach import paths, vault
from voicecoach.errors import ScheduleError
from voicecoach.schedule.plans import Plan, stored_rhythm

FILENAME = "reminders.json"
WINDOW = timedelta(minutes=20)  # a scheduler that runs a little late still reminds, once
KEEP_DAYS = 62  # done marks older than this are of no use to anyone


def path() -> Path:
    return paths.data_dir(create=False) / FILENAME


def read() -> dict:
    try:
        state = json.loads(path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        state = {}
    except (OSError, ValueError, RecursionError) as error:
        raise ScheduleError(f"{path()}: cannot be read ({error})") from None
    if not isinstance(state, dict):
        raise ScheduleError(f"{path()}: cannot be read (not a voicecoach reminders file)")
    state = {"slots": [], "done": [], "reminded": [], "installed": None, **state}
    if not _well_formed(state):
        raise ScheduleError(f"{path()}: cannot be read (not a voicecoach reminders file)")
    return state


def _installed_well_formed(record) -> bool:
    """What install_here recorded: a systemd folder and its unit names, or a crontab's line."""
    if record is None:
        return True
    if not isinstance(record, dict) or not isinstance(record.get("times", []), list):
        return False
    if record.get("kind") == "systemd":
        return isinstance(record.get("folder"), str) and isinstance(record.get("units"), list)
    return (record.get("kind") == "cron" and isinstance(record.get("comment"), str)
            and isinstance(record.get("command"), str) and isinstance(record.get("tab"), (str, type(None))))


def _well_formed(state) -> bool:
    """The shape write() keeps, each slot's rhythm checked as the plan's are: a file edited by hand or
    damaged is one line, never a traceback in 'remind' or at a session's end."""
    marks = [*state["done"], *state["reminded"]] if all(isinstance(state[k], list) for k in ("done", "reminded")) else None
    if marks is None or not all(isinstance(mark, str) and mark.count("@") == 1 for mark in marks):
        return False
    if not isinstance(state["slots"], list) or not _installed_well_formed(state["installed"]):
        return False
    for slot in state["slots"]:
        try:
            stored_rhythm(slot["rhythm"])
        except (KeyError, TypeError, ValueError):
            return False
        if not isinstance(slot.get("key"), int):
            return False
    return True


def write(state: dict) -> None:
    """Whole and owner-only, and never encrypted: `remind` must read it while the journal is locked.
    A unique temporary file, so a reminder and a session ending at the same moment never mix."""
    paths.data_dir()
    vault.write_atomically(path(), json.dumps(state, indent=1).encode("utf-8"))


def sync(plan: Plan, state: dict | None = None) -> dict:
    """Copy the practice times of the plan into the reminders' file. Closeness exercises are left
    out unless both partners asked for their reminders."""
    state = state if state is not None else read()
    state["slots"] = [{"key": entry.key, "rhythm": dataclasses.asdict(entry.rhythm)}
                      for entry in plan.active() if not entry.touch or plan.closeness_reminders]
    write(state)
    return state


def slot_id(key: int, day: date) -> str:
    return f"{key}@{day.isoformat()}"


def mark_done(state: dict, key: int, day: date, today: date) -> None:
    """Note a planned slot as done, and forget marks too old to matter."""
    oldest = (today - timedelta(days=KEEP_DAYS)).isoformat()
    state["done"] = [mark for mark in state["done"] if mark.split("@")[1] >= oldest]
    if slot_id(key, day) not in state["done"]:
        state["done"].append(slot_id(key, day))
    state["reminded"] = [mark for mark in state["reminded"] if mark.split("@")[1] >= oldest]


def due_now(state: dict, now: datetime, zone) -> list:
    """(slot id, local time) of each slot whose moment came within the last few minutes, that is
    neither done nor reminded yet."""
    found = []
    local = now.astimezone(zone)
    for slot in state["slots"]:
        rhythm = stored_rhythm(slot["rhythm"])
        for day in (local.date() - timedelta(days=1), local.date()):
            if not rhythm.planned_on(day):
                continue
            moment = rhythm.fires_at(day, zone)
            mark = slot_id(slot["key"], day)
            if moment <= now < moment + WINDOW and mark not in state["done"] and mark not in state["reminded"]:
                found.append((mark, moment.astimezone(zone).strftime("%H:%M")))
    return found


def remind(now: datetime, zone, notify=None, speak=None) -> list:
    """Tell the couple, discreetly, that practice is planned now; nothing when it is done already.
    Returns the lines sent."""
    state = read()
    found = due_now(state, now, zone)
    lines = [f"voicecoach: practice planned at {at}" for at in sorted({at for _, at in found})]
    for line in lines:
        (notify or notify_desktop)(line)
        if speak:
            speak(line.removeprefix("voicecoach: ").capitalize() + ".")
    if found:
        state["reminded"].extend(mark for mark, _ in found)
        write(state)
    return lines


def notify_desktop(line: str) -> None:
    """A desktop notification with no title of its own; without notify-send, the line is printed."""
    tool = shutil.which("notify-send")
    if tool:
        try:
            subprocess.run([tool, "--app-name=voicecoach", line], check=True, timeout=15,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return
        except (OSError, subprocess.SubprocessError):
            pass
    print(line)


def installed() -> list[str]:
    """What 'plan install' put in place, one line each, for the doctor; empty when nothing is."""
    state = read()
    record = state.get("installed")
    if not record:
        return []
    from voicecoach.schedule import reminder_times

    times = ", ".join(reminder_times(state)) or "no times"
    if record["kind"] == "systemd":
        folder = Path(record["folder"])
        missing = [name for name in record.get("units", []) if not (folder / name).exists()]
        where = f"systemd user timer in {folder}" + (f" (missing: {', '.join(missing)})" if missing else "")
    else:
        where = f"crontab lines in {record.get('tab') or 'your crontab'}"
    return [f"{where}, at {times}"]
