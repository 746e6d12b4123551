"""Private files at rest: owner-only writes (here), the passphrase lock (lock), the sealed journal file
(sealed) and the start-up privacy check (privacy).

Private files beside the journal (voice profile, plan state): owner-only and written whole.

Every module that keeps something private in the data folder reads and writes it here. While the
journal is locked, what is written here is sealed with the lock's key (see lock.py), and read
back transparently. Each private file's name (never its content) is listed in `private-files.txt`
so that `voicecoach lock` knows what to seal and `unlock` what to open.

May import: paths, errors; never the journal (it knows bytes and keys, not what they hold).
"""

import glob
import os
import tempfile
from pathlib import Path

from voicecoach import paths
from voicecoach.errors import VoicecoachError

INDEX = "private-files.txt"
TEMPORARY = paths.TEMPORARY
"""How write_atomically names its temporary file (mkstemp's eight random characters); a crash
mid-write leaves one behind, in plaintext when the folder is not locked."""


def write_private(path: Path, data: bytes, folder: Path | None = None) -> None:
    """Write data to path owner-only (0600), atomically: a crash leaves the old file or the new.
    folder is the data folder whose lock applies (default: the data folder)."""
    path = Path(path)
    folder, name = _in_data_folder(path, folder)
    if folder is None:
        write_atomically(path, data)
        return
    from voicecoach.vault import lock

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with lock.while_unlocked(folder) as locked:  # `lock` cannot seal the folder between check and write
        if locked:
            data = lock.seal(lock.key(folder), data)
        _remember(folder, name)
        write_atomically(path, data)


def read_private(path: Path) -> bytes:
    """The bytes written by write_private; FileNotFoundError when there is none."""
    path = Path(path)
    data = path.read_bytes()
    from voicecoach.vault import lock

    if lock.is_sealed(data):
        folder, _ = _in_data_folder(path)
        return lock.unseal(lock.key(folder or path.parent), data, where=str(path))
    return data


def private_files(folder: Path) -> list[Path]:
    """The private files written in this data folder that still exist. The index is plain text that
    a hand or a damaged disk can change: a name leading out of the folder (absolute, '..', a link),
    or the index or journal themselves, is no private file, or lock would seal what is not its own."""
    folder = Path(folder)
    inside = folder.resolve()
    found = []
    for name in _listed(folder):
        path = folder / name
        if (not name or Path(name).is_absolute() or ".." in Path(name).parts or name == INDEX
                or name.startswith("journal.") or path.is_symlink() or not path.is_file()):
            continue
        if path.resolve().is_relative_to(inside):  # a folder on the way may itself be a link
            found.append(path)
    return found


def _listed(folder: Path) -> list[str]:
    """The names in the index; one line naming it when it is a folder, unreadable or not UTF-8."""
    index = Path(folder) / INDEX
    try:
        return index.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        why = getattr(error, "strerror", None) or "not UTF-8 text"
        raise VoicecoachError(f"{index}: cannot be read ({why}); voicecoach lists its private files there, "
                              "one name a line: move it aside, or remove it if you never locked the journal") from None


def own_paths(folder: Path, skip=()) -> list[Path]:
    """What voicecoach wrote in its data or settings folder, deepest first: the names it uses
    (paths.OWN_NAMES), the private files listed in its index, the temporary files of writes to
    those, and all inside its own folders; never a file of the user's that shares the folder."""
    folder = Path(folder)
    names = set(paths.OWN_NAMES) | {Path(name).parts[0] for name in _indexed(folder)}
    try:
        tops = [entry for entry in folder.iterdir() if entry.name not in skip and _named(entry.name, names)]
    except OSError:
        return []
    inside = [path for top in tops if top.is_dir() and not top.is_symlink() for path in top.rglob("*")]
    return sorted(tops + inside, key=lambda p: (-len(p.parts), p))


def _named(name: str, names: set) -> bool:
    temporary = TEMPORARY.fullmatch(name)
    return name in names or bool(temporary and temporary["name"] in names)


def _indexed(folder: Path) -> list[str]:
    try:
        return [name for name in (folder / INDEX).read_text(encoding="utf-8").splitlines() if name.strip()]
    except (OSError, UnicodeDecodeError):
        return []


def write_atomically(path: Path, data: bytes) -> None:
    """Owner-only, fsynced, then renamed over the old file; the folder is fsynced so the rename lasts."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise
    _sync_folder(path.parent)


def temporary_files(path: Path) -> list[Path]:
    """The temporary files write_atomically has beside path: a write in progress, or one a crash stopped."""
    path = Path(path)
    return sorted(found for found in path.parent.glob(f".{glob.escape(path.name)}.*.tmp")
                  if TEMPORARY.fullmatch(found.name))


def erase(path: Path) -> bool:
    """Overwrite with zeros, then remove: a best effort against recovery from the disk itself
    (copy-on-write file systems and SSDs may keep old blocks). True if there was a file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "r+b", buffering=0) as out:
            chunk = b"\0" * min(size, 1 << 20)
            left = size
            while left > 0:
                left -= out.write(chunk[:left])
            os.fsync(out.fileno())
    except FileNotFoundError:
        return False
    except OSError:
        pass  # not writable: still remove it
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _in_data_folder(path: Path, folder: Path | None = None):
    """(data folder, name inside it) when path is in the data folder, else (None, None)."""
    folder = Path(folder) if folder is not None else paths.data_dir(create=False)
    try:
        name = path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return None, None
    return folder, name.as_posix()


def _remember(folder: Path, name: str) -> None:
    names = _listed(folder)
    if name not in names:
        write_atomically(folder / INDEX, ("\n".join(names + [name]) + "\n").encode("utf-8"))


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its renames are durable enough
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass
