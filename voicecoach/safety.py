"""The safety note: shown on screen the first time voicecoach runs here, and on request."""

import os

from voicecoach import paths

MARKER = "safety-note-shown"


def note(helplines: str) -> str:
    """The note itself, in plain words; helplines are the couple's own, never assumed."""
    where = (f"Where to turn: {helplines}" if helplines else
             "If anyone is in danger, contact your local emergency services. You can add the helplines "
             "of your country with: voicecoach config set helplines \"...\"")
    return (
        "Before you begin\n"
        "These exercises are for partners who feel safe with each other. If there is fear, threats or "
        "violence between you, please do not do them together: reach out for help instead.\n"
        f"{where}\n"
        "Either of you can stop any exercise at any moment, with no reason needed: say or type stop, "
        "or press q.\n"
        "What you do is kept only on this computer, readable by you alone. Add --no-log to a session to "
        "keep it out of the journal.\n"
        "Show this again with: voicecoach safety"
    )


def seen_here() -> bool:
    """Whether a person has seen the note in this data folder (a run with no terminal does not count)."""
    return (paths.data_dir(create=False) / MARKER).exists()


def remember_seen() -> None:
    descriptor = os.open(paths.data_dir() / MARKER, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(descriptor)
