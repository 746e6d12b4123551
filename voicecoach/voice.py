"""Speaking: text to 22050 Hz mono 16-bit PCM, played through one sink at real-time pace."""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import functools
import importlib.resources
import os
import queue
import sys
import tempfile
import threading
import time
import wave
from array import array
from collections import deque
from pathlib import Path
from typing import Callable, NamedTuple, Protocol

from voicecoach import noise
from voicecoach.errors import VoicecoachError
from voicecoach.exercise import CHIMES

SAMPLE_RATE = 22050
CHUNK_FRAMES = 441  # 20 ms: hush and volume act within one chunk
RENDER_TIMEOUT_SECONDS = 10.0
FIRST_SOUND_ENV = "VOICECOACH_FIRST_SOUND_FILE"  # a file the WAV sink notes its first sound's time in
CHIME_TAIL_SECONDS = 0.3  # a breath after a chime before the voice goes on
RATE_STEP_WPM, RATE_MIN_WPM, RATE_MAX_WPM = 20, 80, 320
VOLUME_STEP, VOLUME_MIN, VOLUME_MAX = 0.15, 0.1, 1.0

OnDone = Callable[[], None] | None


class AudioUnavailable(VoicecoachError):
    """Speech or sound output cannot work here; the session goes on in text."""


class UnknownVoice(VoicecoachError):
    """The configured voice id is not one the speech engine has."""


def _to_samples(frames: bytes) -> array:
    samples = array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _to_frames(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def scale(frames: bytes, volume: float) -> bytes:
    """Apply the listener's volume without numpy; volume is clamped to 0..1 so nothing clips."""
    if volume >= 1.0:
        return frames
    volume = max(0.0, volume)
    return _to_frames(array("h", (int(s * volume) for s in _to_samples(frames))))


def resample(frames: bytes, rate: int) -> bytes:
    """Fallback for engines that do not render at SAMPLE_RATE (espeak does): linear interpolation."""
    if rate == SAMPLE_RATE:
        return frames
    src = _to_samples(frames)
    if not src:
        return b""
    step = rate / SAMPLE_RATE
    out = array("h")
    for i in range(int(len(src) / step)):
        x = i * step
        j = int(x)
        a = src[j]
        b = src[j + 1] if j + 1 < len(src) else a
        out.append(int(round(a + (b - a) * (x - j))))
    return _to_frames(out)


def read_wav(source) -> bytes:
    """Read mono 16-bit WAV frames at SAMPLE_RATE, whatever rate the file has."""
    with wave.open(source, "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise AudioUnavailable(
                f"unsupported audio: {w.getnchannels()} channels, {8 * w.getsampwidth()}-bit"
            )
        return resample(w.readframes(w.getnframes()), w.getframerate())


class Sink(Protocol):
    """Where the player's audio goes: a sound card or a file, both paced in real time."""

    def write(self, frames: bytes) -> None: ...

    def close(self) -> None: ...


def open_stream(what: str, **options):
    """A PyAudio stream (16-bit mono) and its PyAudio, or AudioUnavailable saying `no {what}`.

    PyAudio is optional (`pip install voicecoach[audio]`); ALSA's and JACK's probe noise is kept off
    the screen unless --verbose, and a failure is said in one line.
    """
    try:
        import pyaudio
    except ImportError:
        raise AudioUnavailable(f"no {what}: PyAudio is not installed") from None
    with noise.muffled() as caught:
        audio = pyaudio.PyAudio()
        try:
            return audio, audio.open(format=pyaudio.paInt16, channels=1, **options)
        except Exception as error:
            audio.terminate()
            failure = error
    reason = failure.args[-1] if failure.args else failure
    hint = f"; {caught.hint()}" if caught.hint() else ""
    raise AudioUnavailable(f"no {what} (PortAudio: {reason}{hint})") from None


def close_stream(audio, stream) -> None:
    with noise.muffled():
        stream.stop_stream()
        stream.close()
        audio.terminate()


class DeviceSink:
    """The sound card."""

    def __init__(self):
        self._pa, self._stream = open_stream("audio output device", rate=SAMPLE_RATE, output=True,
                                             frames_per_buffer=CHUNK_FRAMES)

    def write(self, frames: bytes) -> None:
        self._stream.write(frames)

    def close(self) -> None:
        close_stream(self._pa, self._stream)


class WavFileSink:
    """A WAV file whose timeline is wall-clock time, so a session can be measured without a sound card."""

    def __init__(self, path: Path | str, realtime: bool = True):
        self.realtime = realtime  # False: as fast as it can be written (voicecoach render)
        self._file = open(path, "wb")  # noqa: SIM115 - closed in close(); fails cleanly on a bad path
        self._wav = wave.open(self._file, "wb")
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)
        self._start: float | None = None
        self._frames = 0
        self._first_sound_note = os.environ.get(FIRST_SOUND_ENV)

    def write(self, frames: bytes) -> None:
        """Return when this audio would have finished playing; deadlines from the start do not drift."""
        if self._start is None:
            self._start = time.monotonic()
        if self._first_sound_note and frames.strip(b"\0"):
            self._note_first_sound(frames)
        self._wav.writeframes(frames)
        self._frames += len(frames) // 2
        delay = self._start + self._frames / SAMPLE_RATE - time.monotonic()
        if delay > 0 and self.realtime:
            time.sleep(delay)

    def _note_first_sound(self, frames: bytes) -> None:
        """For scripts/bench_startup.py: the wall-clock time the first non-silent sample is heard."""
        offset = (len(frames) - len(frames.lstrip(b"\0"))) // 2
        with open(self._first_sound_note, "w") as note:
            note.write(repr(time.time() + offset / SAMPLE_RATE))
        self._first_sound_note = None

    def close(self) -> None:
        self._wav.close()
        self._file.close()


class Player:
    """One thread owns the sink and keeps it fed, with silence when idle, so hush and volume act at once."""

    def __init__(self, sink: Sink, volume: float = 1.0):
        self._sink = sink
        self._volume = volume
        self._lock = threading.Lock()
        self._queue: deque[tuple[bytes, OnDone]] = deque()
        self._current: tuple[bytes, OnDone] | None = None
        self._pos = 0
        self._hushes = 0
        self._closing = False
        self.error: BaseException | None = None
        self._silence = bytes(2 * CHUNK_FRAMES)
        self._thread = threading.Thread(target=self._run, name="voicecoach-player", daemon=True)
        self._thread.start()

    @property
    def volume(self) -> float:
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        self._volume = min(1.0, max(0.0, value))

    @property
    def playing(self) -> bool:
        """Something is sounding or queued: the ears stop listening meanwhile."""
        return self._current is not None or bool(self._queue)

    def play(self, frames: bytes, on_done: OnDone = None) -> None:
        """Queue a sound; on_done runs on the player thread once its last chunk is written."""
        with self._lock:
            failed = self.error is not None
            if not failed:
                self._queue.append((frames, on_done))
        if failed and on_done:
            on_done()  # the sink is gone: let the session go on in text

    def hush(self) -> None:
        """Drop what is playing and queued, without their on_done: used for "stop"."""
        with self._lock:
            self._queue.clear()
            self._current = None
            self._hushes += 1

    def close(self) -> None:
        """Stop the thread, then close the sink; queued sounds are dropped."""
        with self._lock:
            self._closing = True
        self._thread.join(timeout=2.0)
        try:
            self._sink.close()
        except Exception:
            if self.error is None:  # a sink that already failed may fail again on close: said once
                raise

    def _next_chunk(self) -> tuple[bytes, OnDone, int, bool]:
        with self._lock:
            if self._current is None and self._queue:
                self._current, self._pos = self._queue.popleft(), 0
            if self._current is None:
                return self._silence, None, self._hushes, False
            frames, on_done = self._current
            chunk = frames[self._pos : self._pos + 2 * CHUNK_FRAMES]
            self._pos += len(chunk)
            last = self._pos >= len(frames)
            if last:
                self._current = None
            return chunk, on_done, self._hushes, last

    def _run(self) -> None:
        try:
            while not self._closing:
                chunk, on_done, hushes, last = self._next_chunk()
                if chunk is self._silence:
                    self._sink.write(chunk)
                elif chunk:
                    self._sink.write(scale(chunk, self._volume))
                if last and on_done and hushes == self._hushes:
                    on_done()
        except BaseException as e:
            with self._lock:
                self.error = e
                pending = [self._current] if self._current else []
                pending += list(self._queue)
                self._queue.clear()
                self._current = None
            for _, on_done in pending:
                if on_done:
                    with contextlib.suppress(Exception):
                        on_done()


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
        self._lock = threading.Lock()
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
        espeak = self._espeak
        with self._lock:
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


class Synthesizer:
    """Text to frames through the process's one speech engine, with this user's voice and rate."""

    def __init__(self, voice_id: str | None = None, rate_wpm: int = 160):
        self.rate_wpm = rate_wpm
        self._engine = _shared_engine()
        self._closed = False
        self._voice_id: str | None = None
        self.voice_id = voice_id

    def voices(self) -> list[VoiceInfo]:
        """The engine's voices, for choosing one in the config."""
        return list(self._engine.voices)

    @property
    def voice_id(self) -> str | None:
        return self._voice_id

    @voice_id.setter
    def voice_id(self, value: str | None) -> None:
        if value is not None:
            by_key = {}
            for vid, name, _, _ in self.voices():
                by_key.setdefault(name.lower(), vid)
                by_key[vid.lower()] = vid
            if value.lower() not in by_key:
                close = difflib.get_close_matches(value.lower(), list(by_key), n=8, cutoff=0.5)
                ids = list(dict.fromkeys(by_key[k] for k in close))[:5]
                hint = f"close matches: {', '.join(ids)}" if ids else "no close match"
                raise UnknownVoice(f"unknown voice {value!r}; {hint}")
            value = by_key[value.lower()]
        self._voice_id = value

    def render(self, text: str) -> bytes:
        """Speech as frames at SAMPLE_RATE; an engine that gives no sound for words is an error."""
        if self._closed:
            raise AudioUnavailable("speech engine closed")
        if not text.strip():
            return b""
        frames = self._engine.render(text, self._voice_id or self._engine.default_voice, self.rate_wpm)
        if not frames.strip(b"\0"):
            raise AudioUnavailable("speech engine gave no sound for a line of text")
        return frames

    def close(self) -> None:
        """The shared engine lives on for the next Synthesizer; this one speaks no more."""
        self._closed = True


@functools.cache
def chime_frames(name: str) -> bytes:
    """One of CHIMES from the package's audio folder, with a breath of silence after it."""
    if name not in CHIMES:
        raise VoicecoachError(f"unknown chime {name!r}; known chimes: {', '.join(CHIMES)}")
    with importlib.resources.files("voicecoach").joinpath("audio", f"{name}.wav").open("rb") as f:
        return read_wav(f) + bytes(2 * int(CHIME_TAIL_SECONDS * SAMPLE_RATE))


class Voice:
    """What the session runner talks to: speak, chime, hush, and the listener's rate and volume."""

    def __init__(self, sink: Sink, voice_id: str | None = None, rate_wpm: int = 160, volume: float = 0.9):
        try:
            self.synthesizer = Synthesizer(voice_id, rate_wpm)
        except BaseException:
            sink.close()  # the Voice owns the sink from here on
            raise
        self.player = Player(sink, volume)

    @property
    def rate_wpm(self) -> int:
        return self.synthesizer.rate_wpm

    @property
    def volume(self) -> float:
        return self.player.volume

    @property
    def playing(self) -> bool:
        return self.player.playing

    def _check_output(self) -> None:
        """A sound card that went away mid-session: say so, so the session can go on in text."""
        if self.player.error is not None:
            raise AudioUnavailable(f"sound output stopped working ({self.player.error})")

    def speak(self, text: str, on_done: OnDone = None) -> None:
        """Render now (about 10 ms a sentence on espeak) and queue it; on_done once it has been heard."""
        self._check_output()
        self.player.play(self.synthesizer.render(text), on_done)

    def chime(self, name: str, on_done: OnDone = None) -> None:
        """Play one of CHIMES from the package's audio folder."""
        self._check_output()
        self.player.play(chime_frames(name), on_done)

    def hush(self) -> None:
        self.player.hush()

    def slower(self) -> int:
        return self._set_rate(self.rate_wpm - RATE_STEP_WPM)

    def faster(self) -> int:
        return self._set_rate(self.rate_wpm + RATE_STEP_WPM)

    def _set_rate(self, wpm: int) -> int:
        self.synthesizer.rate_wpm = min(RATE_MAX_WPM, max(RATE_MIN_WPM, wpm))
        return self.synthesizer.rate_wpm

    def louder(self) -> float:
        return self._set_volume(self.volume + VOLUME_STEP)

    def quieter(self) -> float:
        return self._set_volume(self.volume - VOLUME_STEP)

    def _set_volume(self, volume: float) -> float:
        self.player.volume = round(min(VOLUME_MAX, max(VOLUME_MIN, volume)), 2)
        return self.player.volume

    def close(self) -> None:
        self.player.close()
        self.synthesizer.close()


def open_voice(
    audio_out: Path | None = None,
    voice_id: str | None = None,
    rate_wpm: int = 160,
    volume: float = 0.9,
) -> Voice:
    """A Voice on the sound card, or on a real-time WAV file; AudioUnavailable means run in text."""
    Synthesizer(voice_id, rate_wpm)  # engine and voice first: a bad voice should leave no file behind
    if audio_out:
        try:
            sink = WavFileSink(audio_out)
        except OSError as error:
            raise VoicecoachError(f"cannot write {audio_out}: {error.strerror or error}") from None
    else:
        sink = DeviceSink()
    return Voice(sink, voice_id, rate_wpm, volume)


class TextVoice:
    """Stands in when nothing can be heard: a line 'takes' as long as it would to say it, scaled."""

    def __init__(self, time_scale: float = 1.0, rate_wpm: int = 160):
        self.time_scale = time_scale
        self.rate_wpm = rate_wpm
        self._timers: list[threading.Timer] = []

    def _after(self, seconds: float, on_done):
        seconds *= self.time_scale
        if seconds <= 0:
            on_done()
            return
        timer = threading.Timer(seconds, on_done)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def speak(self, text: str, on_done):
        self._after(len(text.split()) * 60 / self.rate_wpm, on_done)

    def chime(self, name: str, on_done):
        self._after(1.0, on_done)

    def hush(self):
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def slower(self):
        self.rate_wpm = max(RATE_MIN_WPM, self.rate_wpm - RATE_STEP_WPM)

    def faster(self):
        self.rate_wpm = min(RATE_MAX_WPM, self.rate_wpm + RATE_STEP_WPM)

    def louder(self):
        pass

    def quieter(self):
        pass

    @property
    def playing(self) -> bool:
        return False  # nothing sounds, so nothing can be misheard

    def close(self):
        self.hush()
