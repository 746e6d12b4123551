"""The locked journal on disk: the whole SQLite database sealed in one file (see lock.py).

While locked, the journal lives in memory: loaded with deserialize(); after a write transaction it
is serialized, sealed and atomically replaced under an exclusive flock of the folder. Sealing a
large journal takes a fifth of a second, so it is not done at every write: the first write starts
a timer, writes in the next SEAL_DELAY seconds join it, and the timer seals them all at once on
its own thread, so a live session never waits for it. close() (also on Ctrl-C and SIGTERM, which
voicecoach turns into Ctrl-C) seals at once. Only SIGKILL or a power cut can lose the writes of
the last SEAL_DELAY seconds (plus one seal's time); they are never half-written.

The flock is held from the first waiting write until it is sealed, so no other process writes in
between and loses ours, or has its own lost: two processes stay safe as before.
"""

import os
import sqlite3
import threading
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

from voicecoach import vault
from voicecoach.errors import JournalError
from voicecoach.vault import lock

SEALED_SUFFIX = ".locked"
SEAL_DELAY = 0.25
"""Seconds a write may wait in memory to be sealed with the ones after it."""


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
    return rollback_image(data)


def rollback_image(data: bytes) -> bytes:
    """The image with its header saying rollback journal rather than WAL (see image_of)."""
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
        self._mutex = threading.RLock()  # the timer's thread and the caller's take turns
        self._writing_out = threading.Lock()
        self._sealing = False  # a snapshot is being written: the file changes, but not under us
        self._db = None
        self._waiting = None  # an ExitStack holding the flock while writes wait to be sealed
        self._timer = None

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
        """One writer at a time: catch up with other processes' writes, then have ours sealed soon."""
        with self._mutex:
            try:
                with lock.exclusive(self.folder):
                    if not lock.is_locked(self.folder):
                        raise JournalError(f"{self.folder}: the journal was unlocked meanwhile; "
                                           "this process has stopped writing to it")
                    if self._waiting is None and not self._sealing and self._signature() != self._seen:
                        self.load(db)
                    yield
                    if self._waiting is None:
                        self._wait_to_seal(db)
                    elif not self._sealing and not self._timer.is_alive():  # the last seal failed: try again
                        self._start_timer()
            except OSError as error:
                raise JournalError(f"{self.path}: cannot be written ({error.strerror or error})") from None

    def _wait_to_seal(self, db) -> None:
        """Keep the folder's flock until the timer (or close) seals: nobody else writes meanwhile."""
        self._db = db
        self._waiting = ExitStack()
        self._waiting.enter_context(lock.exclusive(self.folder))
        self._start_timer()

    def _start_timer(self) -> None:
        # Not a daemon: a process that ends without close() still seals before it exits.
        self._timer = threading.Timer(SEAL_DELAY, self._seal_later)
        self._timer.start()

    def flush(self) -> None:
        """Seal the writes waiting in memory, now; a no-op when none wait. Only the snapshot is taken
        under the mutex: writes go on while it is encrypted and written (the flock is still held)."""
        with self._writing_out:  # one at a time, so an older snapshot never replaces a newer one
            with self._mutex:
                if self._waiting is None:
                    return
                image = self._db.serialize()  # the header is marked outside the mutex
                held, self._waiting = self._waiting, None
                self._timer.cancel()
                self._sealing = True
            try:
                vault.write_atomically(self.path, lock.seal(self.key, rollback_image(image)))
            except BaseException as error:  # a full disk, a second Ctrl-C: the old file stands whole
                with self._mutex:  # still ours to seal: keep the flock, close() tries again
                    self._sealing = False
                    if self._waiting is None:
                        self._waiting = held
                    else:
                        held.close()
                if isinstance(error, OSError):
                    raise JournalError(f"{self.path}: cannot be written ({error.strerror or error})") from None
                raise
            with self._mutex:
                self._seen = self._signature()
                self._sealing = False
                held.close()  # releases the flock unless newer writes wait

    def _seal_later(self) -> None:
        """On the timer's thread: a failure (a full disk) is left for close() to say, in the main thread."""
        try:
            self.flush()
        except JournalError:
            pass
