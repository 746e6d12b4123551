"""The private journal: which exercises a couple did, how far they got, how they rated them.

The Journal (store.py) is SQLite, one committed transaction a write; its tables and upgrades are
in schema.py, the locks that tell a live session from a dead one in liveness.py, and its reads
in queries.py.

May import: vault (owner-only files, the lock), exercise, config, paths, errors; never the screen.
"""

from voicecoach.errors import JournalError
from voicecoach.journal.schema import BACKUPS, MIGRATIONS, m001_initial, m002_question_picks, migration
from voicecoach.journal.store import BUSY_TIMEOUT_MS, ENDINGS, FILENAME, SEALED_FILENAME, Journal, default_path
from voicecoach.vault.sealed import SEALED_SUFFIX, image_of

__all__ = [
    "BACKUPS", "MIGRATIONS", "m001_initial", "m002_question_picks", "migration",
    "BUSY_TIMEOUT_MS", "ENDINGS", "FILENAME", "SEALED_FILENAME", "Journal", "default_path",
    "JournalError", "SEALED_SUFFIX", "image_of",
]
