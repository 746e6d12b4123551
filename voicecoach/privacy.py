"""Owner-only modes, checked at every start: a file another program loosened is tightened again."""

import os
import stat
from pathlib import Path

from voicecoach import paths


def repair_modes() -> list[Path]:
    """Make every file (0600) and folder (0700) under the data and config folders owner-only;
    returns what was loose. The folders themselves too, unless the user chose them (VOICECOACH_HOME)."""
    repaired = []
    chosen = paths.home_override() is not None
    for top in {paths.data_dir(create=False), paths.config_dir(create=False)}:
        if not top.is_dir():
            continue
        if not chosen and _tighten(top, 0o700):
            repaired.append(top)
        for folder, dirs, files in os.walk(top):
            for name in dirs + files:
                path = Path(folder) / name
                wanted = 0o700 if name in dirs else 0o600
                if _tighten(path, wanted):
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


def warning(repaired: list[Path]) -> str:
    names = ", ".join(str(p) for p in repaired[:3]) + (f" and {len(repaired) - 3} more" if len(repaired) > 3 else "")
    return f"Warning: others could read {len(repaired)} of voicecoach's files or folders; made them yours only: {names}"
