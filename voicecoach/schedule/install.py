"""Reminders through the system's own scheduler: systemd user timers where systemd runs the
user's session, else crontab lines. What was installed is recorded, so uninstalling removes that
and nothing else.

Each entry runs `<python> -m voicecoach remind` at each distinct practice time, every day; the
reminder itself decides whether anything is planned that day and not yet done.
"""

import os
import shlex
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from voicecoach import paths
from voicecoach.errors import ScheduleError
from voicecoach.schedule.plans import Rhythm, local_zone

UNIT = "voicecoach-remind"
CARRIED = ("VOICECOACH_HOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")
"""What the reminder needs from the session: our folder and the desktop bus for notify-send. Not TZ:
the scheduler fires by the system's zone, so the reminder must read the clock the same way."""


def environment(env=None) -> dict:
    env = os.environ if env is None else env
    return {name: env[name] for name in CARRIED if env.get(name)}


def command() -> list:
    return [str(Path(sys.executable).absolute()), "-m", "voicecoach", "remind"]


def choose(env=None) -> str:
    """'systemd' when a user manager answers, else 'cron'; VOICECOACH_SCHEDULER overrides."""
    env = os.environ if env is None else env
    chosen = env.get("VOICECOACH_SCHEDULER")
    if chosen:
        if chosen not in ("systemd", "cron"):
            raise ScheduleError(f"VOICECOACH_SCHEDULER={chosen!r}: use systemd or cron")
        return chosen
    try:
        answer = subprocess.run(["systemctl", "--user", "show-environment"], capture_output=True, timeout=10)
        return "systemd" if answer.returncode == 0 else "cron"
    except (OSError, subprocess.SubprocessError):
        return "cron"


# ---- systemd ---------------------------------------------------------------------------------

def systemd_dir(env=None) -> Path:
    env = os.environ if env is None else env
    if env.get("VOICECOACH_SYSTEMD_DIR"):
        return Path(env["VOICECOACH_SYSTEMD_DIR"])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def systemd_units(times: list, env: dict) -> dict:
    """The service (what runs) and the timer (when): file name -> text."""
    lines = ["[Unit]", "Description=voicecoach practice reminder", "", "[Service]", "Type=oneshot"]
    lines += [f'Environment="{name}={value}"' for name, value in env.items()]
    lines.append("ExecStart=" + " ".join(shlex.quote(part) for part in command()))
    timer = ["[Unit]", "Description=voicecoach practice reminders", "", "[Timer]"]
    timer += [f"OnCalendar=*-*-* {at}:00" for at in times]
    timer += ["AccuracySec=30s", "Persistent=true", "", "[Install]", "WantedBy=timers.target"]
    return {f"{UNIT}.service": "\n".join(lines) + "\n", f"{UNIT}.timer": "\n".join(timer) + "\n"}


def install_systemd(times, env, folder: Path, systemctl) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    units = systemd_units(times, env)
    for name in units:
        if (folder / name).exists():
            raise ScheduleError(f"{folder / name} exists and is not ours to replace; "
                                "'voicecoach plan uninstall' removes what voicecoach installed")
    for name, text in units.items():
        (folder / name).write_text(text, encoding="utf-8")
    try:
        systemctl("daemon-reload")
        systemctl("enable", "--now", f"{UNIT}.timer")
    except ScheduleError:
        for name in units:  # leave nothing half installed
            (folder / name).unlink(missing_ok=True)
        raise
    return {"kind": "systemd", "folder": str(folder), "units": sorted(units)}


# ---- cron ------------------------------------------------------------------------------------

def crontab(env=None):
    """The user's crontab, or a crontab file named by VOICECOACH_CRONTAB (tests never touch the real one)."""
    env = os.environ if env is None else env
    return _open_tab(env.get("VOICECOACH_CRONTAB"))


def _open_tab(tabfile: str | None):
    from crontab import CronTab

    try:
        if tabfile and not os.path.exists(tabfile):
            Path(tabfile).touch(mode=0o600)
        return CronTab(tabfile=tabfile) if tabfile else CronTab(user=True)
    except OSError as error:
        raise ScheduleError(f"the crontab cannot be used here ({error}); "
                            "'voicecoach plan export --ics FILE' puts the plan in a calendar instead") from None


def cron_command(env: dict) -> str:
    """`VAR=value ... python -m voicecoach remind`, with % escaped as cron requires."""
    words = [f"{name}={shlex.quote(value)}" for name, value in env.items()]
    words += [shlex.quote(part) for part in command()]
    return " ".join(words).replace("%", r"\%")


def install_cron(times, env, tab) -> dict:
    marker = f"{UNIT} {paths.data_dir()}"
    for at in times:
        hour, minute = at.split(":")
        job = tab.new(command=cron_command(env), comment=marker)
        job.setall(f"{int(minute)} {int(hour)} * * *")
    tab.write()
    return {"kind": "cron", "comment": marker, "command": cron_command(env), "tab": getattr(tab, "filen", None)}


# ---- both ------------------------------------------------------------------------------------

def install(times: list, kind: str, *, env: dict, folder: Path | None = None, tab=None, systemctl=None) -> dict:
    if not times:
        raise ScheduleError("nothing to remind of: the plan has no active practice times")
    if kind == "systemd":
        return install_systemd(times, env, folder, systemctl)
    return install_cron(times, env, tab)


def uninstall(record: dict, *, tab=None, systemctl=None) -> list:
    """Remove exactly what `record` says was installed; returns what was removed."""
    removed = []
    if record["kind"] == "systemd":
        folder = Path(record["folder"])
        systemctl("disable", "--now", f"{UNIT}.timer")
        for name in record["units"]:
            if name not in (f"{UNIT}.service", f"{UNIT}.timer"):
                continue  # the record is a plain file: it may name only the units install writes
            if (folder / name).exists():
                (folder / name).unlink()
                removed.append(str(folder / name))
        systemctl("daemon-reload")
    else:
        for job in list(tab):
            if job.comment == record["comment"] and job.command == record["command"]:
                removed.append(str(job))
                tab.remove(job)
        tab.write()
    return removed


def _systemctl(env):
    tool = env.get("VOICECOACH_SYSTEMCTL", "systemctl")  # tests point this at a stand-in

    def run(*args):
        try:
            answer = subprocess.run([tool, "--user", *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as error:
            raise ScheduleError(f"systemctl --user {' '.join(args)} failed ({error})") from None
        if answer.returncode != 0 and args[0] == "enable":
            said = (answer.stderr.strip().splitlines() or ["no reason given"])[-1]
            raise ScheduleError(f"systemctl --user {' '.join(args)} failed: {said}")

    return run


def catch_up_times(times: list, zone, today: date) -> list:
    """The minutes a daylight-saving change moves skipped practice times to, within a year.
    systemd skips a timer whose time does not exist that night (systemd issue 5595); cron runs it
    late by itself. The reminder fires once either way."""
    moved = set()
    for at in times:
        rhythm = Rhythm(at)
        for offset in range(366):
            moment = rhythm.fires_at(today + timedelta(days=offset), zone)
            if moment.strftime("%H:%M") != at:
                moved.add(moment.strftime("%H:%M"))
    return sorted(moved - set(times))


def install_here(times: list, env=None) -> dict:
    """Install with this machine's scheduler and this session's environment."""
    env = os.environ if env is None else env
    kind = choose(env)
    if kind == "systemd":
        fire = sorted(set(times) | set(catch_up_times(times, local_zone(), date.today())))
        record = install(fire, kind, env=environment(env), folder=systemd_dir(env), systemctl=_systemctl(env))
    else:
        record = install(times, kind, env=environment(env), tab=crontab(env))
    return {**record, "times": sorted(set(times))}  # the plan's times, to see when they change


def uninstall_here(record: dict, env=None) -> list:
    env = os.environ if env is None else env
    if record["kind"] == "systemd":
        return uninstall(record, systemctl=_systemctl(env))
    return uninstall(record, tab=_open_tab(record.get("tab")))
