"""Exercise files: YAML in, checked Exercise and Step objects out, every problem as file:line.

May import: errors, paths.
"""

from voicecoach.exercise.checking import MAX_SECONDS, STEP_KINDS, TEXT_FIELDS, TOP_KEYS
from voicecoach.exercise.files import (
    STARTING_FILE,
    all_exercises,
    builtin_files,
    check_files,
    find,
    new_file,
    user_files,
)
from voicecoach.exercise.loading import MAX_FILE_BYTES, load_file, load_text
from voicecoach.exercise.placeholders import fill, joined, names_in, names_in_safely
from voicecoach.exercise.problems import Problem
from voicecoach.exercise.steps import (
    CHIMES,
    ENDINGS,
    PARTNERS,
    RESUME_TIME,
    Ask,
    Breathe,
    Chime,
    Consent,
    Exercise,
    Goto,
    Pause,
    Pool,
    Rate,
    Say,
    Step,
    Turn,
    partners,
)

__all__ = [
    "MAX_SECONDS", "STEP_KINDS", "TEXT_FIELDS", "TOP_KEYS",
    "STARTING_FILE", "all_exercises", "builtin_files", "check_files", "find", "new_file", "user_files",
    "MAX_FILE_BYTES", "load_file", "load_text",
    "fill", "joined", "names_in", "names_in_safely",
    "Problem",
    "CHIMES", "ENDINGS", "PARTNERS", "RESUME_TIME", "Ask", "Breathe", "Chime", "Consent", "Exercise", "Goto",
    "Pause", "Pool", "Rate", "Say", "Step", "Turn", "partners",
]
