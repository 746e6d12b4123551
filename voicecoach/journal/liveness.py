"""Which running sessions are still alive: a flock per session under running/, the pid where flock is missing."""

import os
from contextlib import suppress
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: liveness falls back to the pid
    fcntl = None

from voicecoach.errors import JournalError


def _pid_alive(pid) -> bool:
    """Only where flock is missing: a reused pid can make a dead session look alive."""
    if not pid:
        return False
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _take_lock(path: Path):
    """Hold an exclusive flock: the kernel drops it when the process dies, however it dies."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as error:  # a folder or a link in its place: not ours to use or remove
        raise JournalError(f"{path}: cannot be used as a session's lock ({error.strerror}); move it away") from None
    try:
        os.fchmod(fd, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _drop_lock(path: Path, fd) -> None:
    with suppress(FileNotFoundError):
        os.unlink(path)
    os.close(fd)


def any_alive(lock_dir: Path) -> bool:
    """Whether a live process holds the lock of a session under lock_dir (where flock is missing: no)."""
    if fcntl is None:
        return False
    for lock_file in Path(lock_dir).glob("*.lock"):
        if lock_file.is_symlink() or not lock_file.is_file():
            continue  # not a lock voicecoach made (it makes plain files)
        fd = _take_lock(lock_file)
        if fd is None:
            return True
        os.close(fd)  # a dead session's: the next journal open closes it
    return False


class SessionLocks:
    """Journal's part that locks the sessions it runs and closes the ones whose process died."""

    def _lock_path(self, session_id) -> Path:
        return self._lock_dir / f"{session_id}.lock"

    def _lock(self, session_id):
        self._locks[session_id] = None
        if fcntl is not None and self._lock_dir is not None:
            fd = _take_lock(self._lock_path(session_id))
            if fd is None:
                del self._locks[session_id]
                raise JournalError(f"session {session_id} is locked by another process")
            self._locks[session_id] = fd

    def _unlock(self, session_id):
        fd = self._locks.pop(session_id, None)
        if fd is not None:
            _drop_lock(self._lock_path(session_id), fd)

    def _close_stale_sessions(self):
        """A session whose process died (kill, power loss) ends as interrupted at its last activity."""
        if self._lock_dir is None:
            return
        running = self._db.execute("SELECT id, pid FROM sessions WHERE outcome = 'running'").fetchall()
        for session_id, pid in running:
            if fcntl is None:
                if pid != os.getpid() and not _pid_alive(pid):
                    self._interrupt_at_last_activity(session_id)
                continue
            fd = _take_lock(self._lock_path(session_id))
            if fd is None:
                continue  # its process is alive and holds the lock
            try:
                self._interrupt_at_last_activity(session_id)
            finally:
                _drop_lock(self._lock_path(session_id), fd)

    def _interrupt_at_last_activity(self, session_id):
        with self._transaction() as db:
            db.execute(
                "UPDATE sessions SET outcome = 'interrupted', ended_at = (SELECT MAX(at) FROM ("
                " SELECT started_at AS at FROM sessions WHERE id = :id"
                " UNION ALL SELECT at FROM steps WHERE session_id = :id"
                " UNION ALL SELECT at FROM ratings WHERE session_id = :id))"
                " WHERE id = :id AND outcome = 'running'",
                {"id": session_id},
            )
