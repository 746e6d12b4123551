"""What a session runner talks to: a Voice that is heard, or a TextVoice when nothing can be."""

from __future__ import annotations

import threading
from pathlib import Path

from voicecoach.voice.chimes import chime_frames
from voicecoach.voice.frames import AudioUnavailable
from voicecoach.voice.player import OnDone, Player
from voicecoach.voice.sinks import DeviceSink, Sink, WavFileSink
from voicecoach.voice.synthesizer import Synthesizer

RATE_STEP_WPM, RATE_MIN_WPM, RATE_MAX_WPM = 20, 80, 320
VOLUME_STEP, VOLUME_MIN, VOLUME_MAX = 0.15, 0.1, 1.0


class Voice:
    """What the session runner talks to: speak, chime, hush, and the listener's rate and volume."""

    def __init__(self, sink: Sink, voice_id: str | None = None, rate_wpm: int = 160, volume: float = 0.9,
                 synthesizer: Synthesizer | None = None):
        try:
            self.synthesizer = synthesizer or Synthesizer(voice_id, rate_wpm)
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

    @property
    def played(self):
        """What was written to the sink lately (voice.Played): the ears' echo canceller's reference."""
        return self.player.played

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
    synthesizer = Synthesizer(voice_id, rate_wpm)  # engine and voice first: a bad voice leaves no file behind
    sink = WavFileSink(audio_out) if audio_out else DeviceSink()
    return Voice(sink, volume=volume, synthesizer=synthesizer)


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

    played = None  # nothing is written anywhere, so there is no echo to cancel

    def close(self):
        self.hush()
