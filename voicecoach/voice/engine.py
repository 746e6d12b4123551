"""The process's one speech engine: espeak-ng on Linux, pyttsx3's system voice elsewhere."""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from voicecoach.voice.frames import SAMPLE_RATE, AudioUnavailable, read_wav

RENDER_TIMEOUT_SECONDS = 10.0
GENDERS = {1: "male", 2: "female"}  # espeak's numbering; 0 is not stated


class VoiceInfo(NamedTuple):
    """One voice the speech engine offers."""

    id: str
    name: str
    languages: list
    gender: str  # "male", "female", or "" where the engine does not say


class _EspeakEngine:
    """espeak-ng through pyttsx3's own binding of it, in synchronous mode (Linux).

    pyttsx3 2.99's espeak driver runs espeak in retrieval mode, which synthesises on a thread of
    its own: runAndWait() returned before the file was written, a change of rate reached the wrong
    utterance, and some lines came out empty (all seen here under load). In synchronous mode the
    audio arrives inside Synth(), in order, every time.

    Synth() runs on a thread of its own: on the main thread, a Ctrl-C landing in the audio callback
    was raised inside it, where ctypes prints it as "Exception ignored" and drops it (0 of 40 test
    signals got through). Python raises signals only on the main thread, which now just waits.
    """

    def __init__(self):
        try:
            from pyttsx3.drivers import _espeak
        except Exception as error:  # the binding raises RuntimeError when libespeak is missing
            raise AudioUnavailable(f"no speech engine: {error}") from None
        self._espeak = _espeak
        # Audio comes back in 2 s buffers: each one needs the GIL, and with small buffers a busy
        # interpreter made a sentence take over a second to render (measured).
        if _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 2000) != SAMPLE_RATE:
            raise AudioUnavailable("no speech engine: espeak-ng could not start")
        self._chunks: list[bytes] = []
        _espeak.SetSynthCallback(self._collect)
        self._synth = ThreadPoolExecutor(1, thread_name_prefix="voicecoach-espeak")  # one at a time
        self._settings = None
        self.voices = [VoiceInfo(v.identifier.decode("utf-8", "replace").lower(),
                                 v.name.decode("utf-8", "replace"),
                                 [v.languages[1:].decode("utf-8", "ignore")] if v.languages else [],
                                 GENDERS.get(v.gender, ""))
                       for v in _espeak.ListVoices(None)]
        ids = [voice.id for voice in self.voices]
        self.default_voice = "gmw/en" if "gmw/en" in ids else (ids[0] if ids else "")

    def _collect(self, wav, numsamples, events):
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    def render(self, text: str, voice: str, rate: int) -> bytes:
        return self._synth.submit(self._render_here, text, voice, rate).result()

    def _render_here(self, text: str, voice: str, rate: int) -> bytes:
        espeak = self._espeak
        if self._settings != (voice, rate):
            espeak.SetVoiceByName(voice.encode("utf-8"))
            espeak.SetParameter(espeak.RATE, rate, 0)
            self._settings = (voice, rate)
        self._chunks = []
        espeak.Synth(text.encode("utf-8"), flags=espeak.ENDPAUSE | espeak.CHARS_UTF8)
        return b"".join(self._chunks)


class _EngineThread:
    """pyttsx3's own engine (the system voice on macOS and Windows), in the one thread that owns it.

    pyttsx3 engines are thread-affine (pitfalls A1, A6) and held only by a weak reference (A2).
    """

    def __init__(self):
        self._jobs: queue.Queue = queue.Queue()
        self.broken: str | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="voicecoach-")  # 0700: spoken text is private
        ready: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, args=(ready,), name="voicecoach-synth", daemon=True).start()
        try:
            error = ready.get(timeout=RENDER_TIMEOUT_SECONDS)
        except queue.Empty:
            error = "timed out starting"
        if error:
            raise AudioUnavailable(f"no speech engine: {error}")

    def _run(self, ready: queue.Queue) -> None:
        try:
            import pyttsx3

            engine = pyttsx3.init()  # held here for the thread's life
            self.utterance_done = threading.Event()
            engine.connect("finished-utterance", lambda **_: self.utterance_done.set())
            self.default_voice = engine.getProperty("voice")
            self.voices = [VoiceInfo(v.id, v.name, [str(x) for x in v.languages or []], (v.gender or "").lower())
                           for v in engine.getProperty("voices")]
        except Exception as e:
            ready.put(str(e) or type(e).__name__)
            return
        ready.put(None)
        while True:
            fn, reply = self._jobs.get()
            try:
                reply.put((True, fn(engine)))
            except Exception as e:
                reply.put((False, e))

    def render(self, text: str, voice: str, rate: int) -> bytes:
        """One save_to_file and one runAndWait per line (pitfall A4), on the engine's thread."""
        if self.broken:
            raise AudioUnavailable(self.broken)
        reply: queue.Queue = queue.Queue()
        self._jobs.put((lambda engine: self._render_here(engine, text, voice, rate), reply))
        try:
            ok, value = reply.get(timeout=RENDER_TIMEOUT_SECONDS)
        except queue.Empty:
            self.broken = f"speech engine did not answer within {RENDER_TIMEOUT_SECONDS:g} s"
            raise AudioUnavailable(self.broken) from None
        if not ok:
            raise value
        return value

    def _render_here(self, engine, text: str, voice: str, rate: int) -> bytes:
        path = os.path.join(self._tmp.name, "utterance.wav")
        engine.setProperty("voice", voice)
        engine.setProperty("rate", rate)
        self.utterance_done.clear()
        engine.save_to_file(text, path)
        engine.runAndWait()
        if not self.utterance_done.wait(RENDER_TIMEOUT_SECONDS):
            raise AudioUnavailable(f"speech engine did not finish within {RENDER_TIMEOUT_SECONDS:g} s")
        try:
            return read_wav(path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


_engine = None
_engine_lock = threading.Lock()


def _shared_engine():
    """The process's one speech engine: espeak is process-global, and so are the system voices."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _EspeakEngine() if sys.platform.startswith("linux") else _EngineThread()
        return _engine
