"""The optional lock: private files encrypted at rest with a key derived from the couple's passphrase.

AES-GCM from the `cryptography` library, the key from scrypt with a random salt; the salt, the
scrypt parameters and a sealed check value (to tell a wrong passphrase) are in `lock.json` beside
the journal. That file holds nothing private. A forgotten passphrase cannot be recovered.
"""

import base64
import getpass
import json
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no cross-process lock
    fcntl = None

from voicecoach import paths
from voicecoach.errors import LockedError, WrongPassphrase

SETTINGS = "lock.json"
SEALED = b"VOICECOACH-SEALED-1\n"
CHECK = b"voicecoach passphrase check"
# 64 MB and about a third of a second, once a process: what slows down someone guessing passphrases
# against a copied journal. Keep n at 2^15 or more (OWASP's floor for scrypt is 2^17 with r=8).
SCRYPT = {"n": 2**16, "r": 8, "p": 1}
NONCE_BYTES = 12
SALT_BYTES = 16
MIN_PASSPHRASE = 8
ENVIRONMENT = "VOICECOACH_PASSPHRASE"
WARNING = ("If you forget this passphrase, your journal, voice profile and plans are lost for good: "
           "nobody can open them, not even voicecoach.")

_keys: dict = {}  # (folder, salt) -> key, so a process asks once


def settings_path(folder: Path) -> Path:
    return Path(folder) / SETTINGS


def is_locked(folder: Path | None = None) -> bool:
    return settings_path(folder or paths.data_dir(create=False)).exists()


def seal(key: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # here: an unlocked journal never needs it

    nonce = os.urandom(NONCE_BYTES)
    return SEALED + nonce + AESGCM(key).encrypt(nonce, data, SEALED)


def is_sealed(data: bytes) -> bool:
    return data.startswith(SEALED)


def unseal(key: bytes, data: bytes, where="") -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    body = memoryview(data)[len(SEALED):]  # no copies: a locked journal is tens of megabytes
    try:
        return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], SEALED)
    except (InvalidTag, ValueError):
        raise LockedError(f"{where or 'a locked file'} cannot be opened: it is damaged, "
                          "or was locked with another passphrase") from None


def at_terminal() -> bool:
    """Whether a passphrase can be asked (getpass reads the terminal, not a pipe)."""
    return bool(sys.stdin and sys.stdin.isatty())


def _derive(passphrase: str, salt: bytes, params: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"]).derive(
        passphrase.encode("utf-8"))


def _read_settings(folder: Path) -> dict:
    path = settings_path(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {"salt": base64.b64decode(data["salt"]), "check": base64.b64decode(data["check"]),
                "scrypt": {k: int(data["scrypt"][k]) for k in ("n", "r", "p")}}
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as error:
        raise LockedError(f"{path}: cannot be read ({error}); the lock settings are damaged") from None


def key(folder: Path | None = None) -> bytes:
    """The key of a locked folder: from VOICECOACH_PASSPHRASE, else asked once at a terminal."""
    folder = Path(folder or paths.data_dir(create=False))
    stored = _read_settings(folder)
    cached = _keys.get((str(folder), stored["salt"]))
    if cached:
        return cached
    given = os.environ.get(ENVIRONMENT)
    tries = [given] if given else []
    if not given:
        if not at_terminal():
            raise LockedError("the journal is locked: set VOICECOACH_PASSPHRASE or run voicecoach at a terminal")
        tries = (getpass.getpass("Passphrase for your journal: ") for _ in range(3))
    for passphrase in tries:
        candidate = _derive(passphrase, stored["salt"], stored["scrypt"])
        try:
            unseal(candidate, stored["check"])
        except LockedError:
            if not given:
                print("That passphrase does not open the journal.", file=sys.stderr)
            continue
        _keys[(str(folder), stored["salt"])] = candidate
        return candidate
    raise WrongPassphrase("wrong passphrase: the journal stays locked"
                      + (f" (from {ENVIRONMENT})" if given else ""))


def new_passphrase() -> str:
    """Asked twice (or taken from VOICECOACH_PASSPHRASE), never as an argument a shell would keep."""
    given = os.environ.get(ENVIRONMENT)
    if given is None:
        if not at_terminal():
            raise LockedError("locking needs a passphrase: run it at a terminal or set VOICECOACH_PASSPHRASE")
        given = getpass.getpass(f"New passphrase (at least {MIN_PASSPHRASE} characters): ")
        if len(given) < MIN_PASSPHRASE:  # said before it is typed a second time
            raise LockedError(f"the passphrase must have at least {MIN_PASSPHRASE} characters; nothing was locked")
        if getpass.getpass("The same passphrase again: ") != given:
            raise LockedError("the two passphrases differ; nothing was locked")
    if len(given) < MIN_PASSPHRASE:
        raise LockedError(f"the passphrase must have at least {MIN_PASSPHRASE} characters; nothing was locked")
    return given


def write_settings(folder: Path, passphrase: str) -> bytes:
    """Create lock.json with a fresh salt; returns the key."""
    salt = os.urandom(SALT_BYTES)
    new_key = _derive(passphrase, salt, SCRYPT)
    text = json.dumps({"version": 1, "cipher": "AES-256-GCM", "kdf": "scrypt", "scrypt": SCRYPT,
                       "salt": base64.b64encode(salt).decode(),
                       "check": base64.b64encode(seal(new_key, CHECK)).decode()}, indent=2)
    from voicecoach.vault import write_atomically

    write_atomically(settings_path(folder), text.encode())
    _keys[(str(folder), salt)] = new_key
    return new_key


def forget_keys() -> None:
    """Drop the keys this process holds (after unlock, and between tests)."""
    _keys.clear()


_held: dict = {}  # folder -> [fd, depth]: flock conflicts between two fds of one process
_guards: dict = {}  # folder -> threading.Lock over its entry in _held
_guards_lock = threading.Lock()


@contextmanager
def exclusive(folder: Path):
    """Serialise writers of a locked folder across processes: flock on the folder itself; re-entrant.

    The hold is the process's, as the flock is: any of its threads may enter again, and whichever
    leaves last lets it go (sealed.py takes it in a writer and releases it on its timer's thread),
    so the count is shared and guarded by a lock per folder rather than kept per thread."""
    name = str(Path(folder).resolve())
    if fcntl is None:
        yield
        return
    with _guards_lock:
        guard = _guards.setdefault(name, threading.Lock())
    with guard:  # a thread waiting for another process's flock holds up only this folder's entry
        if name in _held:
            _held[name][1] += 1
        else:
            fd = os.open(name, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            _held[name] = [fd, 1]
    try:
        yield
    finally:
        with guard:
            _held[name][1] -= 1
            if _held[name][1] == 0:
                os.close(_held.pop(name)[0])  # closing drops the lock


@contextmanager
def while_unlocked(folder: Path):
    """Yields whether the folder is locked; while it is not, the block holds the folder's flock, as
    lock_folder does, so the journal is never sealed between a plain write's check and the write."""
    if is_locked(folder):
        yield True
        return
    with exclusive(folder):
        yield is_locked(folder)
