"""Private files beside the journal (voice profile, plan state): owner-only and written whole.

Every module that keeps something private in the data folder reads and writes it here, so
that locking the journal (issue 6) can encrypt all of it in one place.
"""

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write data to path owner-only (0600), atomically: a crash leaves the old file or the new."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def read_private(path: Path) -> bytes:
    """The bytes written by write_private; FileNotFoundError when there is none."""
    return Path(path).read_bytes()


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass
