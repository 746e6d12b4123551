"""Checked at every start: owner-only modes (a file another program loosened is tightened again),
and no temporary copy left behind by a write that a crash stopped."""

import os
import stat
import time
from pathlib import Path

from voicecoach import paths, vault

STALE_SECONDS = 60
"""A temporary file untouched this long is no write in progress (those take a moment) but a crash's leftover."""


def repair_modes() -> list[Path]:
    """Make voicecoach's files (0600) and folders (0700) in the data and config folders owner-only,
    and all inside its folders; returns what was loose. The folders themselves too, unless the user
    chose them (VOICECOACH_HOME): files of the user's own there are not ours to change."""
    repaired = []
    chosen = paths.home_override() is not None
    for top in {paths.data_dir(create=False), paths.config_dir(create=False)}:
        if not top.is_dir():
            continue
        if not chosen and _tighten(top, 0o700):
            repaired.append(top)
        for path in vault.own_paths(top):
            if _tighten(path, 0o700 if path.is_dir() and not path.is_symlink() else 0o600):
                repaired.append(path)
    return repaired


def _tighten(path: Path, wanted: int) -> bool:
    """chmod when group or others have any access; symlinks are left alone (they may point out)."""
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & 0o077:
            return False
        os.chmod(path, stat.S_IMODE(info.st_mode) & wanted)
        return True
    except OSError:
        return False  # vanished, or not ours to change


def remove_stale_temporaries() -> list[Path]:
    """Erase the temporary files of vault.write_atomically that a crash left beside our files in the data
    folder (they may hold plaintext) or the settings' folder; the user's own exercises, and a temporary
    file of anything else, are not ours to tidy."""
    cutoff = time.time() - STALE_SECONDS
    removed = []
    for folder in dict.fromkeys([paths.data_dir(create=False), paths.config_dir(create=False)]):
        for path in vault.own_paths(folder, skip=("exercises", "programs")):  # the user's own files
            if vault.TEMPORARY.fullmatch(path.name) and _modified_before(path, cutoff) and vault.erase(path):
                removed.append(path)
    return sorted(removed)


def _modified_before(path: Path, cutoff: float) -> bool:
    try:
        return os.lstat(path).st_mtime < cutoff
    except OSError:
        return False  # gone meanwhile: its write finished


def warning(repaired: list[Path]) -> str:
    return (f"Warning: others could read {len(repaired)} of voicecoach's files or folders; "
            f"made them yours only: {_names(repaired)}")


def removed_note(removed: list[Path]) -> str:
    return (f"Removed {len(removed)} temporary file{'s' if len(removed) != 1 else ''} that an interrupted "
            f"write left behind: {_names(removed)}")


def _names(found: list[Path]) -> str:
    return ", ".join(str(p) for p in found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
