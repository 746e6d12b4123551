"""Where voicecoach keeps its files: VOICECOACH_HOME if set, else the platform's places."""

import os
import re
from pathlib import Path

import platformdirs

APP = "voicecoach"

# Everything voicecoach writes at the top of its data and settings folders, by name. Checks at start-up
# (owner-only modes, a crash's temporary files) and `forget --all` touch these and what is inside them
# only, so a folder the user chose (VOICECOACH_HOME) may also hold files of their own, left untouched.
OWN_NAMES = frozenset({
    "journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm", "journal.sqlite3-journal",
    "journal.sqlite3.locked", "journal-damaged.sqlite3", "backups", "running", "lock.json",
    "config.yaml", "safety-note-shown", "private-files.txt", "voice-profile.npz",
    "plan.json", "program.json", "reminders.json", "exercises", "programs",
})
TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")
"""How an atomic write names its temporary file: a dot, the file's name, mkstemp's eight random characters."""


def _private_dir(path: Path, ours: bool = True) -> Path:
    """Create the folder owner-only (0700): it holds intimate data. A folder the user chose and
    that already existed keeps its mode (it may be shared); what we put in it is owner-only."""
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if ours or not existed:
        os.chmod(path, 0o700)
    return path


def home_override() -> Path | None:
    value = os.environ.get("VOICECOACH_HOME")
    return Path(value).expanduser() if value else None


def config_dir(create: bool = True) -> Path:
    home = home_override()
    path = home if home else Path(platformdirs.user_config_dir(APP))
    if not create:
        return path
    return _private_dir(path, ours=home is None)


def data_dir(create: bool = True) -> Path:
    home = home_override()
    path = home if home else Path(platformdirs.user_data_dir(APP))
    if not create:
        return path
    return _private_dir(path, ours=home is None)


def exercises_dir() -> Path:
    """The user's own exercise files live here, beside the journal."""
    return _private_dir(data_dir() / "exercises")


def builtin_exercise_files() -> list[Path]:
    """The exercise files that come with voicecoach."""
    from importlib import resources  # here: most commands list no exercises

    folder = resources.files("voicecoach") / "library"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def user_exercise_files() -> list[Path]:
    """The user's own exercise files; only looked at: listing them creates nothing."""
    folder = data_dir(create=False) / "exercises"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
