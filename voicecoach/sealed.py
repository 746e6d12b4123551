"""The locked journal on disk: the whole SQLite database sealed in one file (see lock.py).

While locked, the journal lives in memory: loaded with deserialize(), and after each write
transaction serialized, sealed and atomically replaced under an exclusive flock of the folder.
"""

import os
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path

from voicecoach import lock, vault
from voicecoach.errors import JournalError

SEALED_SUFFIX = ".locked"


def image_of(db, scratch: Path | None = None) -> bytes:
    """The whole database as bytes, marked as a rollback-journal file so it can be deserialized
    into memory (bytes 18-19 of the header say WAL otherwise; the image has the WAL's pages).
    Python 3.10 has no serialize(): there, a copy is made in scratch (never used while locked)."""
    if hasattr(db, "serialize"):
        data = db.serialize()
    else:
        copy_path = Path(scratch) / f".copy-{uuid.uuid4()}.sqlite3"
        copy = sqlite3.connect(copy_path)
        try:
            db.backup(copy)
            copy.close()
            data = copy_path.read_bytes()
        finally:
            copy.close()
            vault.erase(copy_path)
    return data[:18] + b"\x01\x01" + data[20:] if data[18:20] == b"\x02\x02" else data



class SealedFile:
    """The locked journal on disk: the whole database sealed in one file, replaced atomically."""

    def __init__(self, plain: Path, on_load):
        self.on_load = on_load  # sets the connection's pragmas again after a deserialize
        self.path = plain.with_name(plain.name + SEALED_SUFFIX)
        self.folder = plain.parent
        if plain.exists():
            raise JournalError(f"{plain}: an unlocked journal beside a locked one; run 'voicecoach lock'"
                               " to finish locking, or 'voicecoach unlock'")
        self.key = lock.key(self.folder)
        self._seen = None

    def _signature(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def load(self, db) -> None:
        try:
            with open(self.path, "rb") as sealed:
                st = os.fstat(sealed.fileno())
                data = sealed.read()
        except FileNotFoundError:
            return  # a new locked journal starts empty
        except OSError as error:
            raise JournalError(f"{self.path}: cannot be read ({error.strerror})") from None
        try:
            db.deserialize(lock.unseal(self.key, data, where=str(self.path)))
        except sqlite3.Error as error:
            raise JournalError(f"{self.path} is not a voicecoach journal ({error})") from None
        self.on_load(db)
        self._seen = (st.st_ino, st.st_mtime_ns, st.st_size)

    @contextmanager
    def writing(self, db):
        """One writer at a time: catch up with other processes' writes, then seal what we wrote."""
        try:
            with lock.exclusive(self.folder):
                if not lock.is_locked(self.folder):
                    raise JournalError(f"{self.folder}: the journal was unlocked meanwhile; "
                                       "this process has stopped writing to it")
                if self._signature() != self._seen:
                    self.load(db)
                yield
                vault.write_atomically(self.path, lock.seal(self.key, image_of(db)))
                self._seen = self._signature()
        except OSError as error:
            raise JournalError(f"{self.path}: cannot be written ({error.strerror or error})") from None
