"""Locking and unlocking the journal's folder: the journal's side of the lock.

vault.lock knows keys and sealed bytes; this module knows that the journal is one of the files it
seals, opens the Journal to check no session is running, and seals its image with the others.
"""

import os
from pathlib import Path

from voicecoach import paths
from voicecoach.errors import LockedError
from voicecoach.vault.lock import (
    ENVIRONMENT,
    exclusive,
    forget_keys,
    is_locked,
    is_sealed,
    key,
    seal,
    settings_path,
    unseal,
    write_settings,
)


def lock_state(folder: Path | None = None) -> dict:
    """For the doctor: whether the journal is locked, and where it is kept."""
    folder = Path(folder or paths.data_dir(create=False))
    locked = is_locked(folder)
    from voicecoach.journal import FILENAME, SEALED_FILENAME

    journal = folder / (SEALED_FILENAME if locked else FILENAME)
    return {"locked": locked, "journal": str(journal), "exists": journal.exists(),
            "passphrase_from_environment": bool(os.environ.get(ENVIRONMENT))}


def journal_image(folder: Path, image: bool = True) -> bytes | None:
    """The unlocked journal as bytes, or None without one; refuses while a session runs. Called
    first with image False (only the checks) before the passphrase is asked, so a broken journal
    or a running session is said first; lock_folder then takes the image under the flock."""
    import sqlite3

    from voicecoach.journal import FILENAME, Journal

    if not hasattr(sqlite3.Connection, "deserialize"):
        raise LockedError("locking needs Python 3.11 or newer (to keep the open journal in memory only)")

    plain = Path(folder) / FILENAME
    if not plain.exists():
        return None
    with Journal(plain) as journal:
        if journal.running():
            raise LockedError("a session is running; lock the journal when it has ended")
        journal.check_whole()  # a damaged journal is never sealed: it could not be checked once locked
        return journal.image() if image else None


def lock_folder(folder: Path, passphrase: str) -> list[Path]:
    """Seal the journal, its backups and every private file; returns the files sealed.
    Run again after a crash, it finishes the job with the same passphrase."""
    import sqlite3

    from voicecoach import vault
    from voicecoach.journal import FILENAME, SEALED_SUFFIX, image_of

    folder = Path(folder)
    plain = folder / FILENAME
    sealed = []
    with exclusive(folder):
        files = _read_all(vault.private_files(folder), "nothing was locked")
        if is_locked(folder):
            new_key = key(folder)
            image = None
            if plain.exists():
                db = sqlite3.connect(plain)
                try:
                    image = image_of(db)
                finally:
                    db.close()
        else:
            image = journal_image(folder)
            new_key = write_settings(folder, passphrase)
        if image is not None:
            target = plain.with_name(plain.name + SEALED_SUFFIX)
            vault.write_atomically(target, seal(new_key, image))
            sealed.append(target)
            for suffix in ("", "-wal", "-shm"):
                vault.erase(Path(f"{plain}{suffix}"))
        for path, data in files.items():
            if not is_sealed(data):
                vault.write_atomically(path, seal(new_key, data))
                sealed.append(path)
    return sealed


def _read_all(paths_: list[Path], unchanged: str) -> dict:
    """Each file's bytes, read before anything changes: one that cannot be read stops the whole job."""
    files = {}
    for path in paths_:
        try:
            files[path] = path.read_bytes()
        except OSError as error:
            raise LockedError(f"{path}: cannot be read ({error.strerror or error}); {unchanged}") from None
    return files


def unlock_folder(folder: Path) -> list[Path]:
    """Open everything lock_folder sealed, then remove the lock; returns the files opened."""
    from voicecoach import vault
    from voicecoach.journal import FILENAME, SEALED_SUFFIX, Journal

    folder = Path(folder)
    if not is_locked(folder):
        raise LockedError("the journal is not locked")
    the_key = key(folder)
    plain = folder / FILENAME
    target = plain.with_name(plain.name + SEALED_SUFFIX)
    opened = []
    with exclusive(folder):
        files = _read_all(vault.private_files(folder), "nothing was unlocked")
        if not plain.exists():
            with Journal(plain) as journal:
                if journal.running():
                    raise LockedError("a session is running; unlock the journal when it has ended")
        if target.exists():
            vault.write_atomically(plain, unseal(the_key, target.read_bytes(), where=str(target)))
            opened.append(plain)
        for path, data in files.items():
            if is_sealed(data):
                vault.write_atomically(path, unseal(the_key, data, where=str(path)))
                opened.append(path)
        if target.exists():
            target.unlink()
        settings_path(folder).unlink()
    forget_keys()
    return opened
