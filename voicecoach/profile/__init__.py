"""The couple's enrolled voices: taking their takes (enrolment), the features and templates they are
kept as, the enrolled check a cue engine passes through (enrolled), and what a session learns
(learning). This module is the profile file itself.

The couple's voice profile: MFCCs of each partner's takes of the cue words, never their audio.

One file in the data folder, written and read only through vault.py (so the journal's lock can
encrypt it). It is a numpy .npz archive, loaded without pickle: one float16 array of static
cepstra per take, and an index (JSON) saying whose take it is, of which word, meaning which cue,
and whether it was enrolled (kept for ever) or learned in a session (at most LEARNED_PER_WORD a
word per partner, oldest out). A profile written by a newer voicecoach is refused, untouched.

May import: hearing (its endpointer and engines), config, cues, paths, vault, errors.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from voicecoach import paths, vault
from voicecoach.errors import VoicecoachError

FILENAME = "voice-profile.npz"
VERSION = 1
PARTNERS = ("A", "B")
LEARNED_PER_WORD = 10  # takes confirmed in sessions, per word and partner, beyond the enrolled ones
CUE_WORDS = ("next", "pause", "repeat", "stop", "yes", "no", "i'm done",
             "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


class ProfileError(VoicecoachError):
    """The voice profile cannot be used (newer format, damaged); the file is left as it is."""


@dataclasses.dataclass(eq=False)  # two takes are the same take only if they are one object
class Take:
    """One spoken word as the profile keeps it."""

    partner: str  # "A" or "B"
    word: str  # what was said: a cue word, or a word of the partner's own (--as)
    means: str  # the cue word it stands for ("weiter" means "next")
    cepstra: np.ndarray  # (frames, 13) static MFCCs of the spoken part, float16
    enrolled: bool = True  # False: learned from a session, may be replaced by a newer one
    added: float = 0.0  # unix time


def path() -> Path:
    return paths.data_dir(create=False) / FILENAME


@dataclasses.dataclass
class Profile:
    takes: list[Take] = dataclasses.field(default_factory=list)

    # ---- what is in it

    def words(self, partner: str) -> dict[str, list[Take]]:
        """A partner's takes, by word, in the order they were added."""
        out: dict[str, list[Take]] = {}
        for take in self.takes:
            if take.partner == partner:
                out.setdefault(take.word, []).append(take)
        return out

    def summary(self) -> list[dict]:
        """One row per partner and word: what `enroll --show` lists."""
        rows = []
        for partner in PARTNERS:
            for word, takes in self.words(partner).items():
                rows.append({"partner": partner, "word": word, "means": takes[0].means,
                             "enrolled": sum(t.enrolled for t in takes),
                             "learned": sum(not t.enrolled for t in takes)})
        return rows

    # ---- changing it

    def enrol(self, partner: str, word: str, means: str, takes: list[np.ndarray]) -> None:
        """Replace what a partner enrolled for a word with these takes (learned ones go too: redoing
        a word means the old takes were not good)."""
        self.takes = [t for t in self.takes if not (t.partner == partner and t.word == word)]
        now = time.time()
        self.takes += [Take(partner, word, means, np.asarray(c, dtype=np.float16), True, now) for c in takes]

    def learn(self, partner: str, word: str, means: str, cepstra: np.ndarray) -> None:
        """Add a take confirmed in a session; beyond LEARNED_PER_WORD the oldest learned one goes."""
        self.takes.append(Take(partner, word, means, np.asarray(cepstra, dtype=np.float16), False, time.time()))
        learned = [t for t in self.takes if t.partner == partner and t.word == word and not t.enrolled]
        for old in learned[:-LEARNED_PER_WORD]:
            self.takes.remove(old)

    # ---- storage

    def to_bytes(self) -> bytes:
        index = [{"partner": t.partner, "word": t.word, "means": t.means, "enrolled": t.enrolled,
                  "added": round(t.added, 3)} for t in self.takes]
        head = json.dumps({"version": VERSION, "takes": index}).encode()
        arrays = {f"t{i}": t.cepstra.astype(np.float16) for i, t in enumerate(self.takes)}
        out = io.BytesIO()
        np.savez_compressed(out, index=np.frombuffer(head, dtype=np.uint8), **arrays)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "voice profile") -> Profile:
        try:
            archive = np.load(io.BytesIO(data), allow_pickle=False)
            head = json.loads(archive["index"].tobytes().decode())
            version = head["version"]
        except DAMAGED as error:
            raise ProfileError(f"{where}: damaged, cannot be read ({type(error).__name__}); "
                               "'voicecoach enroll' again after removing it") from None
        if not isinstance(version, int) or version > VERSION:
            raise ProfileError(f"{where}: made by a newer voicecoach (format {version}; this one reads "
                               f"up to {VERSION}); left as it is, not used")
        try:
            takes = [Take(t["partner"], t["word"], t["means"], _cepstra(archive[f"t{i}"]),
                          bool(t["enrolled"]), float(t["added"])) for i, t in enumerate(head["takes"])]
        except DAMAGED as error:  # an array's bytes are read only here: a bad CRC, a broken deflate stream
            raise ProfileError(f"{where}: damaged, cannot be read ({type(error).__name__}); "
                               "'voicecoach enroll' again after removing it") from None
        return cls(takes)


DAMAGED = (OSError, ValueError, KeyError, TypeError, EOFError, NotImplementedError, RecursionError,
           zipfile.BadZipFile, zlib.error, UnicodeDecodeError)
"""What numpy, zipfile and zlib raise on a damaged .npz, found by flipping bytes of real profiles."""


def _cepstra(array) -> np.ndarray:
    """A take's cepstra as the matcher needs them: frames by CEPSTRA, finite numbers."""
    from voicecoach.profile.features import CEPSTRA

    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] != CEPSTRA or array.dtype.kind != "f":
        raise ValueError(f"a take of shape {array.shape}")
    cepstra = array.astype(np.float16)
    if not np.isfinite(cepstra).all():
        raise ValueError("a take with numbers that are not finite")
    return cepstra


def load(file: Path | None = None) -> Profile | None:
    """The stored profile, or None if nobody has enrolled; raises ProfileError."""
    file = file or path()
    try:
        data = vault.read_private(file)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ProfileError(f"{file}: cannot be read ({error.strerror or error})") from None
    return Profile.from_bytes(data, str(file))


def save(profile: Profile, file: Path | None = None) -> Path:
    """Write the profile owner-only and atomically."""
    file = file or (paths.data_dir() / FILENAME)
    vault.write_private(file, profile.to_bytes())
    return file


def delete(file: Path | None = None) -> bool:
    """Remove the profile file (for `forget`); True if there was one."""
    file = file or path()
    try:
        file.unlink()
    except FileNotFoundError:
        return False
    return True
