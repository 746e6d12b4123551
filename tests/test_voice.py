"""Speaking: the player's timing and hush, the real-time WAV sink, espeak rendering, the chimes."""

import ctypes.util
import os
import subprocess
import sys
import threading
import time
import wave
from array import array
from pathlib import Path

import pytest

from voicecoach.errors import VoicecoachError
from voicecoach.voice import (
    CHIMES,
    CHUNK_FRAMES,
    SAMPLE_RATE,
    AudioUnavailable,
    DeviceSink,
    Player,
    Synthesizer,
    UnknownVoice,
    Voice,
    WavFileSink,
    resample,
)

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 5.0


def tone(seconds, value=1000):
    """A constant non-zero signal, so its chunks are told apart from the player's silence."""
    return array("h", [value] * int(seconds * SAMPLE_RATE)).tobytes()


def samples(frames):
    return array("h", frames)


class FakeSink:
    """Records what the player writes; with a gate, each write waits for a permit from the test."""

    def __init__(self, gate=None):
        self.gate = gate
        self.sound = []  # non-silent chunks, in order
        self.silent_chunks = 0
        self.closed = False
        self.changed = threading.Condition()

    def write(self, frames):
        if self.gate is not None:
            self.gate.acquire()
        with self.changed:
            if any(frames):
                self.sound.append(frames)
            else:
                self.silent_chunks += 1
            self.changed.notify_all()

    def close(self):
        self.closed = True

    def wait_for(self, predicate):
        with self.changed:
            assert self.changed.wait_for(predicate, timeout=WAIT_SECONDS)


class BrokenSink(FakeSink):
    def write(self, frames):
        raise OSError("device unplugged")


def done_event():
    event = threading.Event()
    return event, event.set


def test_player_plays_in_order_then_fills_with_silence():
    sink = FakeSink()
    player = Player(sink)
    finished = []
    all_done = threading.Event()
    player.play(tone(0.5), lambda: finished.append("first"))
    player.play(tone(0.25, 2000), lambda: (finished.append("second"), all_done.set()))
    assert all_done.wait(WAIT_SECONDS)
    silent_before = sink.silent_chunks
    sink.wait_for(lambda: sink.silent_chunks > silent_before + 3)
    player.close()

    assert finished == ["first", "second"]
    heard = b"".join(sink.sound)
    assert len(heard) == len(tone(0.5)) + len(tone(0.25))
    assert all(len(c) <= 2 * CHUNK_FRAMES for c in sink.sound)
    assert set(samples(heard[: len(tone(0.5))])) == {1000}
    assert set(samples(heard[len(tone(0.5)) :])) == {2000}
    assert sink.closed


def test_hush_drops_current_and_queued_within_one_chunk():
    gate = threading.Semaphore(0)
    sink = FakeSink(gate)
    player = Player(sink)
    finished = []
    player.play(tone(2.0), lambda: finished.append("long"))
    player.play(tone(1.0), lambda: finished.append("queued"))
    while len(sink.sound) < 3:  # one permit at a time: the first write may be idle silence
        writes = len(sink.sound) + sink.silent_chunks
        gate.release()
        sink.wait_for(lambda writes=writes: len(sink.sound) + sink.silent_chunks > writes)

    player.hush()
    for _ in range(200):
        gate.release()
    sink.wait_for(lambda: sink.silent_chunks >= 20)
    gate.release(10**6)  # let close() through
    player.close()

    assert len(sink.sound) <= 4  # the chunk already taken may still go out; no more
    assert finished == []


def test_volume_scales_samples():
    sink = FakeSink()
    player = Player(sink)
    player.volume = 0.5
    done, on_done = done_event()
    player.play(tone(0.1, 10000), on_done)
    assert done.wait(WAIT_SECONDS)
    player.close()
    assert set(samples(b"".join(sink.sound))) == {5000}


def test_sink_failure_is_recorded_and_on_done_still_called():
    player = Player(BrokenSink())
    done, on_done = done_event()
    player.play(tone(0.1), on_done)
    assert done.wait(WAIT_SECONDS)
    later, on_later = done_event()
    player.play(tone(0.1), on_later)
    assert later.is_set()  # after a failure, play reports done at once
    assert isinstance(player.error, OSError)
    player.close()


def test_wav_file_sink_runs_in_real_time(tmp_path):
    path = tmp_path / "out.wav"
    sink = WavFileSink(path)
    clip = tone(0.3)
    started = time.monotonic()
    for i in range(0, len(clip), 2 * CHUNK_FRAMES):
        sink.write(clip[i : i + 2 * CHUNK_FRAMES])
    elapsed = time.monotonic() - started
    sink.close()

    assert 0.28 <= elapsed <= 0.45
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)
        assert w.getnframes() == int(0.3 * SAMPLE_RATE)


def test_resample_fallback_keeps_duration_and_level():
    at_44k = array("h", [1200] * 44100).tobytes()
    out = samples(resample(at_44k, 44100))
    assert len(out) == SAMPLE_RATE
    assert set(out) == {1200}


def test_unknown_chime_names_the_known_ones(voice):
    with pytest.raises(VoicecoachError, match="gong.*bell, turn, start"):
        voice.chime("gong")


# --- real speech engine (espeak-ng) ---


@pytest.fixture
def espeak():
    if not ctypes.util.find_library("espeak-ng") and not ctypes.util.find_library("espeak"):
        if os.environ.get("CI"):
            pytest.fail("libespeak-ng is not installed: scripts/setup should have installed it")
        pytest.skip("libespeak-ng is not installed")


@pytest.fixture
def synth(espeak):
    s = Synthesizer()
    yield s
    s.close()


@pytest.fixture
def voice(espeak):
    """A Voice writing to a fast fake sink."""
    v = Voice(FakeSink())
    yield v
    v.close()


SENTENCE = "Welcome, Sam and Alex. Sit comfortably, facing each other."


def test_render_gives_speech_at_22050_hz(synth):
    frames = synth.render(SENTENCE)
    seconds = len(frames) / 2 / SAMPLE_RATE
    assert 1.5 < seconds < 8  # at the wrong rate the length would be off by 2x or more
    assert max(abs(s) for s in samples(frames)) > 1000


def test_slower_rate_gives_longer_audio(synth):
    synth.rate_wpm = 120
    slow = synth.render(SENTENCE)
    synth.rate_wpm = 240
    fast = synth.render(SENTENCE)
    synth.rate_wpm = 160
    assert len(slow) > 1.4 * len(fast)


def test_fifty_renders_in_a_row_do_not_hang_or_print(synth, capfd):
    started = time.monotonic()
    for i in range(50):
        assert synth.render(f"Round {i}. Breathe in.")  # each render has its own 10 s timeout
    assert time.monotonic() - started < 20
    out, _ = capfd.readouterr()
    assert out == ""


def test_renders_are_whole_while_other_threads_keep_python_busy(synth):
    """Under load, pyttsx3 2.99's espeak driver returned before its file was written, or empty."""
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            sum(range(1000))

    workers = [threading.Thread(target=busy, daemon=True) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        lengths = [len(synth.render(SENTENCE + f" Take {i}.")) for i in range(15)]
    finally:
        stop.set()
    assert min(lengths) > 0.8 * max(lengths)


def test_a_signal_while_a_line_renders_is_raised_not_lost_in_the_audio_callback(synth, monkeypatch):
    """Ctrl-C during synthesis: on the main thread it landed in espeak's ctypes callback, where
    Python prints "Exception ignored" and drops it, and the session went on."""
    import signal

    class Interrupted(Exception):
        pass

    def interrupt(signum, frame):
        raise Interrupted

    dropped = []
    monkeypatch.setattr(sys, "unraisablehook", dropped.append)
    previous = signal.signal(signal.SIGUSR1, interrupt)
    try:
        synth.render("Warm up.")
        timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1))
        timer.start()
        with pytest.raises(Interrupted):
            synth.render(" ".join([SENTENCE] * 40))  # about a second of synthesis
        timer.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert dropped == []
    assert synth.render("And on.")  # the engine still speaks


def test_synthesizers_made_one_after_another_all_speak(espeak):
    for _ in range(3):
        s = Synthesizer()
        assert s.render("Again.")
        s.close()
    with pytest.raises(VoicecoachError, match="closed"):
        s.render("After close.")


def test_unknown_voice_lists_close_matches(synth):
    with pytest.raises(UnknownVoice, match=r"en-gb.*close matches:.*gmw/en"):
        synth.voice_id = "en-gb-scotlnd"
    assert synth.voice_id is None
    synth.voice_id = "gmw/en-us"
    assert synth.voice_id == "gmw/en-us"
    synth.voice_id = None


def test_voice_speaks_and_chimes_through_the_player(espeak):
    sink = FakeSink()
    voice = Voice(sink)
    done, on_done = done_event()
    voice.speak("Next.")
    voice.chime("turn", on_done)
    assert done.wait(WAIT_SECONDS)
    with wave.open(str(ROOT / "voicecoach" / "audio" / "turn.wav")) as w:
        turn = w.getnframes()
    assert len(b"".join(sink.sound)) > 2 * turn  # the word, then the whole chime
    assert voice.slower() == 140 and voice.faster() == 160
    assert [voice.louder(), voice.louder(), voice.quieter()] == [1.0, 1.0, 0.85]
    voice.close()
    assert sink.closed


# --- chimes ---


def test_chimes_are_shipped_and_regenerate_identically(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_chimes.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in CHIMES:
        shipped = ROOT / "voicecoach" / "audio" / f"{name}.wav"
        assert shipped.stat().st_size < 100_000
        with wave.open(str(shipped)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)
            assert 0.4 < w.getnframes() / SAMPLE_RATE < 2.5
        assert (tmp_path / f"{name}.wav").read_bytes() == shipped.read_bytes()
    assert sorted(p.stem for p in tmp_path.glob("*.wav")) == sorted(CHIMES)


def test_device_sink_opens_or_says_why_in_one_quiet_line(capfd):
    try:
        DeviceSink().close()
    except AudioUnavailable as e:
        assert "\n" not in str(e) and str(e).startswith("no audio output")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")  # no ALSA / JACK probe noise


def test_three_hundred_lines_in_one_process_all_render(synth):
    lengths = [len(synth.render("Breathe out slowly.")) for _ in range(300)]
    assert min(lengths) > 0.99 * max(lengths) and min(lengths) > SAMPLE_RATE  # all whole, over half a second


def test_hush_silences_a_real_time_sink_within_300_ms(tmp_path, espeak):
    """Measured at the sink: the last loud chunk is written within 300 ms of the hush."""

    class LoggingSink(WavFileSink):
        def __init__(self, path):
            super().__init__(path)
            self.loud = []

        def write(self, frames):
            super().write(frames)
            if frames and max(abs(s) for s in samples(frames)) > 500:
                self.loud.append(time.monotonic())

    sink = LoggingSink(tmp_path / "x.wav")
    voice = Voice(sink)
    try:
        voice.speak("This is a long sentence that goes on and on, so that there is time to stop it halfway.")
        deadline = time.monotonic() + 5
        while not sink.loud and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
        hushed = time.monotonic()
        voice.hush()
        time.sleep(0.5)
    finally:
        voice.close()
    assert sink.loud and sink.loud[0] < hushed
    assert max(sink.loud) - hushed < 0.3
