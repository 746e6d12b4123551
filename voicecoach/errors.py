"""Domain errors: the CLI turns each into one clear line and an exit status."""


class VoicecoachError(Exception):
    """A problem the user can fix, stated in one line."""

    exit_code = 1


class BadInput(VoicecoachError):
    """A value or file the user gave cannot be used: a usage error, exit status 2."""

    exit_code = 2


class ExerciseError(VoicecoachError):
    """An exercise file could not be loaded; carries every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(BadInput):
    """A setting has a bad name or value."""


class JournalError(VoicecoachError):
    """The journal cannot be read or written."""


class JournalDamaged(JournalError):
    """The journal file fails SQLite's own check: nothing is written to it; export saves what is readable."""


class ScheduleError(BadInput):
    """A plan, time, day list or program is not valid; nothing was written."""


class LockedError(JournalError):
    """The journal is locked and no passphrase opens it here."""


class UnknownSession(JournalError):
    """No session (or more than one) has the id the user gave."""

    exit_code = 2


class WrongPassphrase(LockedError):
    """The passphrase given does not open the journal."""

    exit_code = 2


class TransferError(VoicecoachError):
    """A file to import is not a voicecoach export, or is damaged."""
