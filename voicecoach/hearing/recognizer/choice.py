"""Which cue engine listens: Whisper when its model is installed and is the one we checked, else
PocketSphinx, with one line saying why, so a session always has ears when it can have any; and
which one listens for "stop" over our own voice."""

from __future__ import annotations

ENGINES = ("whisper", "pocketsphinx")


def make_engine(name: str | None = None, model_path=None, tuning=None):
    """(engine, note): `name` None means the best one installed; note is a line to show, or None.

    `model_path`: another CTranslate2 Whisper model folder (not checksummed); `tuning`: PocketSphinx's,
    when it is the one used. Whisper that cannot be used falls back to PocketSphinx with the reason."""
    from voicecoach.hearing.recognizer.pocketsphinx_engine import Recognizer

    if name not in (None, "", *ENGINES):
        raise ValueError(f"unknown speech engine {name!r}; one of {', '.join(ENGINES)}")
    if name == "pocketsphinx":
        return Recognizer(tuning), None
    engine, why = whisper_or_why(model_path)
    if engine is not None:
        return engine, None
    return Recognizer(tuning), f"Listening with PocketSphinx: {why}."


def whisper_or_why(model_path=None):
    """(the Whisper engine, None), or (None, why it cannot be used) in one line."""
    from voicecoach.hearing.recognizer.whisper_model import ModelUnavailable

    try:
        from voicecoach.hearing.recognizer.whisper_engine import WhisperEngine

        return WhisperEngine(model_path), None
    except ModelUnavailable as error:
        return None, str(error)
    except ImportError as error:
        return None, f"Whisper needs {error.name or 'a module'}, which is not installed"


def stop_engine_for(engine):
    """What listens for "stop" over our own voice, beside `engine`: PocketSphinx's strict turn grammar,
    tuned with the echo canceller, even when Whisper hears the rest. On `bench_cues.py --own-speech-only
    --quick` (report half, 3 stops under 2 lines each, with the canceller at 0/-6/-12 dB) Whisper caught
    0, 1 and 1 of 6, PocketSphinx 3, 4 and 2 (a small sample). Probably Whisper writes the echo left
    around the stop as words, and an utterance counts only when all of it is "stop"."""
    if getattr(engine, "name", None) != "whisper":
        return engine
    from voicecoach.hearing.recognizer.pocketsphinx_engine import Recognizer

    try:
        return Recognizer()
    except ImportError:  # no PocketSphinx: Whisper listens for it too
        return engine


def describe(engine) -> str:
    """The engine and its model in a few words, for `doctor` and the benchmark."""
    inner = getattr(engine, "recognizer", engine)  # an enrolled profile wraps the engine
    if getattr(inner, "name", "") == "whisper":
        return f"Whisper {inner.model_name}"
    return "PocketSphinx en-us"
