"""The echo canceller takes our own voice out of what the microphone hears, and leaves a partner's."""

import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from test_runner import QuietView

from voicecoach.hearing.echo import BLOCK, EchoCanceller, OwnVoiceRemoval, room_response
from voicecoach.voice.played import Played

RATE = 16000


def speech_like(rng, seconds):
    """Noise shaped like speech: a falling spectrum, in syllables of ~200 ms with short gaps."""
    n = int(seconds * RATE)
    noise = np.convolve(rng.standard_normal(n), [1.0, 0.8, 0.5, 0.2], mode="same")
    syllables = (np.sin(2 * np.pi * 2.5 * np.arange(n) / RATE) > -0.6).astype(float)
    return 3000 * noise * syllables


def cancel(mic, reference):
    canceller = EchoCanceller()
    blocks = range(0, len(mic) - BLOCK + 1, BLOCK)
    return np.concatenate([canceller.process(mic[i:i + BLOCK], reference[i:i + BLOCK]) for i in blocks])


def db(signal, residual):
    return 10 * np.log10(np.mean(signal ** 2) / np.mean(residual ** 2))


def test_our_voice_through_a_room_is_taken_out():
    rng = np.random.default_rng(1)
    ours = speech_like(rng, 6)
    echo = np.convolve(ours, room_response(rng, delay_ms=40))[:len(ours)]
    residual = cancel(echo, ours)
    assert db(echo[-RATE:], residual[-RATE:]) > 20  # measured 27 dB after 5 s
    assert db(echo[RATE:2 * RATE], residual[RATE:2 * RATE]) > 5  # still learning in its second second


def test_a_partner_talking_over_us_passes_and_does_not_undo_the_filter():
    rng = np.random.default_rng(2)
    ours = speech_like(rng, 8)
    echo = np.convolve(ours, room_response(rng, delay_ms=20))[:len(ours)]
    partner = np.zeros_like(ours)
    talk = slice(5 * RATE, 6 * RATE)
    partner[talk] = speech_like(np.random.default_rng(3), 1)  # as loud as our echo
    residual = cancel(echo + partner, ours)
    assert np.corrcoef(residual[talk], partner[talk])[0, 1] > 0.9
    assert abs(db(partner[talk], residual[talk])) < 1.5
    assert db(echo[-RATE:], residual[-RATE:]) > 15  # the filter held through the double talk


def test_the_played_stream_is_lined_up_with_the_microphone_by_the_clock():
    """What the player wrote (at 22050 Hz, stamped as written) against microphone chunks stamped as
    heard: the removal finds the span and resamples it, and the echo goes."""
    from voicecoach.hearing.recognizer import resample

    rng = np.random.default_rng(4)
    ours16 = speech_like(rng, 5)
    ours22 = np.clip(resample(ours16, RATE, 22050), -32768, 32767).astype("<i2")
    echo = np.convolve(ours16, room_response(rng, delay_ms=30))[:len(ours16)]
    mic = np.clip(echo, -32768, 32767).astype("<i2").tobytes()
    played = Played()
    removal = OwnVoiceRemoval(played)
    chunks = []
    for k in range(len(mic) // 640):  # as in a session: the player writes a chunk, the microphone hears it
        played.wrote(ours22[441 * k:441 * (k + 1)].tobytes(), 100.0 + k * 0.02)
        chunks.append(removal.clean(mic[640 * k:640 * (k + 1)], 100.0 + (k + 1) * 0.02))
    residual = np.frombuffer(b"".join(chunks), "<i2").astype(float)
    assert db(echo[-RATE:], residual[-RATE:]) > 15


def test_played_keeps_a_few_seconds_and_fills_the_rest_with_silence():
    played = Played(keep_seconds=0.1)
    for k in range(20):
        played.wrote(np.full(441, k + 1, "<i2").tobytes(), k * 0.02)
    assert played.position_at(0.345) == 17 * 441 + 110  # 5 ms into the chunk written at 0.34 s
    held = np.frombuffer(played.read(19 * 441 - 2, 4), "<i2")
    assert list(held) == [19, 19, 20, 20]
    assert not any(np.frombuffer(played.read(0, 441), "<i2"))  # long gone
    assert not any(np.frombuffer(played.read(20 * 441, 10), "<i2"))  # not written yet



def test_the_live_microphone_lines_up_by_the_sound_cards_capture_time(monkeypatch):
    """PortAudio's capture time of each chunk, on our monotonic clock, is what the canceller lines
    our voice up by: not when the listener read it (here half a second later, as a busy machine's)."""
    import sys

    from test_doctor import STREAM_EPOCH, fake_pyaudio

    from voicecoach.hearing import Microphone, SpokenCues, echo

    card = fake_pyaudio()
    monkeypatch.setitem(sys.modules, "pyaudio", card)
    stamps, enough, latencies = [], threading.Event(), []

    class Lining:  # stands in for OwnVoiceRemoval: what it is asked to line up, and when
        def __init__(self, played, capture_latency):
            self.played = played
            latencies.append(capture_latency)

        def clean(self, chunk, captured_at):
            stamps.append((int.from_bytes(chunk[:2], "little"), captured_at))  # the fake card numbers them
            if len(stamps) >= 10:
                enough.set()
            return bytes(len(chunk))

        def skip(self, captured_at):
            pass

    monkeypatch.setattr(echo, "OwnVoiceRemoval", Lining)
    played = Played()
    ears = SpokenCues(Microphone(), None, playing=lambda: "Breathe in", reference=lambda: played)
    ears.start(lambda: None)
    assert enough.wait(5)
    ears.close()
    chunk_seconds = 320 / RATE
    expected = [card.captured[index] + STREAM_EPOCH + chunk_seconds for index, _ in stamps[:10]]  # its end
    assert [stamp for _, stamp in stamps[:10]] == pytest.approx(expected, abs=0.05)  # read: ADC_LAG later
    assert latencies == [0.0]  # the card's stamps are the capture time: its latency is not taken off again


def test_the_live_microphone_starts_from_now_each_time_it_is_read(monkeypatch):
    """What was captured before chunks() was asked for (between two enrolment takes) is dropped."""
    import sys

    from test_doctor import STREAM_EPOCH, fake_pyaudio

    from voicecoach.hearing import Microphone

    card = fake_pyaudio()
    monkeypatch.setitem(sys.modules, "pyaudio", card)
    microphone = Microphone()
    try:
        while len(card.captured) < 20:
            time.sleep(0.01)
        next(microphone.chunks(threading.Event()))
    finally:
        microphone.close()
    assert microphone.captured_at > card.captured[19] + STREAM_EPOCH

# ---- end to end: a session in a simulated room --------------------------------------------------

SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "speech" / "words"
FIRST_LINE = "Welcome, both of you. Settle in, and let the day fall away for a moment."
LONG_LINE = ("Take a slow breath together, and let your shoulders drop. Notice the chair under you, the air "
             "in the room, and the person beside you. There is no hurry here. We will go one small step at a time.")


class Loudspeaker:
    """The session's sound card: paced in real time like one, and heard in the room."""

    def __init__(self, path):
        from voicecoach.voice import WavFileSink

        self._file = WavFileSink(path)
        self.air = bytearray()  # everything played, at 22050 Hz
        self.origin = math.inf  # when sample 0 was played, by the most punctual write (as voice.Played)
        self.lock = threading.Lock()

    def write(self, frames):
        with self.lock:
            self.origin = min(self.origin, time.monotonic() - len(self.air) / 2 / 22050)
            self.air += frames
        self._file.write(frames)

    def close(self):
        self._file.close()


class RoomMicrophone:
    """What a microphone across the room hears: the loudspeaker through a room (30 ms away, a 0.3 s
    tail), and a partner saying a recorded "stop" once our voice has spoken for each of `after_seconds`.

    It runs on the loudspeaker's clock, as when one sound card plays and records: chunk k holds
    played samples 441 k to 441 (k + 1), however late the threads of a busy machine run, and
    `captured_at` is when its end was played, as a sound card's own time stamps would say."""

    finished = False

    def __init__(self, speaker, said, after_seconds: list):
        from voicecoach.hearing.recognizer import resampling_reach, resampling_taps

        self.speaker = speaker
        self.said = said
        self.after = [round(seconds * 22050) for seconds in after_seconds]
        self.room = room_response(np.random.default_rng(5), delay_ms=30, rate=22050)
        self.echo = np.zeros(0)  # the loudspeaker through the room, at 22050 Hz, as far as it is known
        self.reach = resampling_reach(22050, RATE)
        self.taps = resampling_taps(np.arange(BLOCK), 22050, RATE)
        self.captured_at = time.monotonic()

    def open_window(self):
        pass

    def chunks(self, stop):
        k, spoke_at, partner = len(self.speaker.air) // 882, None, b""  # recording starts now
        while not stop.is_set():
            if len(self.speaker.air) < 2 * (441 * (k + 1) + self.reach + 1):
                time.sleep(0.005)  # not played yet
                continue
            chunk = self._heard(441 * k)
            if spoke_at is None and chunk.any():
                spoke_at = 441 * k
            if spoke_at is not None and self.after and 441 * k - spoke_at >= self.after[0]:
                partner = self.said
                self.after.pop(0)
            ours, partner = partner[:2 * BLOCK], partner[2 * BLOCK:]
            chunk += np.frombuffer(ours + bytes(2 * BLOCK - len(ours)), "<i2")
            k += 1
            self.captured_at = self.speaker.origin + 441 * k / 22050
            yield np.clip(chunk, -32768, 32767).astype("<i2").tobytes()

    def _heard(self, first):
        """The room's sound over played samples `first` to `first` + 441, at 16 kHz."""
        known, taps = len(self.echo), len(self.room)
        with self.speaker.lock:
            begin = max(0, known - taps + 1)
            air = np.frombuffer(bytes(self.speaker.air[2 * begin:]), "<i2").astype(float)
        if begin + len(air) > known:  # the room's response to what was played since the last chunk
            size = 1 << (len(air) + taps).bit_length()
            heard = np.fft.irfft(np.fft.rfft(air, size) * np.fft.rfft(self.room, size), size)
            self.echo = np.concatenate([self.echo, heard[known - begin:len(air)]])
        window = np.zeros(441 + 2 * self.reach + 1)
        lo = first - self.reach
        part = self.echo[max(0, lo):lo + len(window)]
        window[max(0, -lo):max(0, -lo) + len(part)] = part
        indices, weights = self.taps
        return (window[indices + self.reach] * weights).sum(axis=1)

    def close(self):
        pass


class Shown(QuietView):
    """The session's screen: remembers the lines said."""

    def __init__(self):
        self.lines = []

    def said(self, text):
        self.lines.append(text)


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_a_stop_said_over_a_long_spoken_step_pauses_the_session(tmp_path):
    """A real session speaks into a simulated room; a partner says "stop" over its second, long line.
    The ears take our voice out of what the microphone hears, catch the stop, and the session
    hushes and asks "Shall we stop here?" instead of going on."""
    from voicecoach import exercise as ex
    from voicecoach import session as S
    from voicecoach.hearing import SpokenCues, recognizer
    from voicecoach.runner import Runner
    from voicecoach.voice import AudioUnavailable, Voice

    exercise = ex.load_text(f'id: e\ntitle: E\nminutes: 1\nsteps:\n  - say: "{FIRST_LINE}"\n'
                            f'  - say: "{LONG_LINE}"\n  - say: "Next part."\n')
    speaker = Loudspeaker(tmp_path / "out.wav")
    try:
        voice = Voice(speaker, volume=0.3)  # our voice ~12 dB under the stop, and nothing clips
    except AudioUnavailable as error:
        pytest.skip(str(error))
    stop = recognizer.load_file(SPEECH / "stop" / "sc1_1eddce1d_nohash_3.wav").astype(float) * 5
    said = len(voice.synthesizer.render(FIRST_LINE)) / 2 / 22050  # the filter has learned the room meanwhile
    room = RoomMicrophone(speaker, np.clip(stop, -32768, 32767).astype("<i2").tobytes(), after_seconds=[said + 3, said + 6, said + 9])  # said again, as the README asks
    session = S.Session(exercise, {"A": "Sam", "B": "Alex"}, time_scale=0.05)  # "Shall we stop?" waits 1 s
    shown = Shown()
    runner = Runner(session, voice, None, shown)
    runner.ears = SpokenCues(room, recognizer.Recognizer(), playing=runner.playing_words,
                             reference=lambda: voice.played, clock=lambda: room.captured_at)
    line_seconds = said + len(voice.synthesizer.render(LONG_LINE)) / 2 / 22050
    started = time.monotonic()
    try:
        outcome = runner.run()
    finally:
        voice.close()
    assert outcome is S.Outcome.STOPPED
    assert shown.lines[2:] == [S.CONFIRM_STOP_LINE]  # "Next part." was never said
    assert time.monotonic() - started < line_seconds  # the long line was cut short
