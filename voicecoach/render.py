"""Rendering a whole exercise to one WAV file, faster than real time, for playing from a phone.

The same session engine, speech and chimes as a live session; the clock is the audio itself: a
sound lasts as long as its samples, a wait is that many seconds of silence. Questions are taken as
yes and ratings left unanswered, each after a short silence for the couple's answer.
"""

import dataclasses
from contextlib import suppress
from pathlib import Path

from voicecoach import exercise as ex
from voicecoach import session as S
from voicecoach.cues import Cue, Heard, Source
from voicecoach.errors import BadInput
from voicecoach.voice import SAMPLE_RATE, Synthesizer, WavFileSink, chime_frames, scale


def with_limits(exercise: ex.Exercise, turn_seconds=None) -> ex.Exercise:
    """The exercise with every turn given this length (answers have render's answer_seconds)."""
    if turn_seconds is None:
        return exercise
    steps = tuple(dataclasses.replace(step, limit=turn_seconds) if isinstance(step, ex.Turn) else step
                  for step in exercise.steps)
    return dataclasses.replace(exercise, steps=steps)


class _Timeline:
    """Audio laid out on the file's own clock: one sound at a time, silence between."""

    def __init__(self, sink):
        self.sink = sink
        self.now = 0.0  # seconds written
        self.sound = None  # (id, frames, start)

    def play(self, sound_id, frames):
        self.sound = (sound_id, frames, self.now)

    def hush(self):
        self.sound = None

    def sound_end(self):
        if self.sound is None:
            return None
        _, frames, start = self.sound
        return start + len(frames) / 2 / SAMPLE_RATE

    def advance(self, until: float):
        """Write what plays (or silence) from now until `until`."""
        frames = b""
        if self.sound is not None:
            _, sound, start = self.sound
            begin = int(round((self.now - start) * SAMPLE_RATE)) * 2
            end = int(round((until - start) * SAMPLE_RATE)) * 2
            frames = sound[begin:end]
        gap = int(round((until - self.now) * SAMPLE_RATE)) * 2 - len(frames)
        self.sink.write(frames + bytes(max(0, gap)))
        self.now = until


def render(exercise: ex.Exercise, settings, out: Path, *, solo=None, answer_seconds: float = 8.0,
           progress=lambda done, total: None, rng=None) -> float:
    """Write the exercise to `out` as 16-bit mono WAV at 22050 Hz; returns its length in seconds."""
    synthesizer = Synthesizer(settings.voice or None, settings.rate_wpm)
    sink = WavFileSink(out, realtime=False)
    session = S.Session(exercise, settings.names(), settings.spoken_names(), solo=solo, rng=rng)
    timeline = _Timeline(sink)
    try:
        actions = session.start(0.0)
        while True:
            for action in actions:
                if isinstance(action, S.Speak):
                    timeline.play(action.id, scale(synthesizer.render(action.speech), settings.volume))
                elif isinstance(action, S.PlayChime):
                    timeline.play(action.id, scale(chime_frames(action.sound), settings.volume))
                elif isinstance(action, S.Hush):
                    timeline.hush()
            progress(session.index, len(exercise.steps))
            if session.finished:
                break
            actions = _next(session, timeline, answer_seconds)
        end = timeline.sound_end()
        if end is not None:
            timeline.advance(end)  # the closing words or bell, to their end
        sink.close()
    except OSError as error:  # a full disk, a drive taken out: one line, not a traceback
        with suppress(OSError):
            sink.close()
        raise BadInput(f"cannot write {out}: {error.strerror or error}") from None
    except BaseException:
        with suppress(OSError):
            sink.close()
        raise
    return timeline.now


def _next(session, timeline, answer_seconds):
    """Move the file's clock to the next thing that happens, and tell the session."""
    sound_end = timeline.sound_end()
    deadline = session.deadline
    answer = None
    if not session.speaking and session.state is S.State.RUNNING and deadline is not None:
        accepted = session.accepted
        if Cue.YES in accepted:
            answer = Heard(Cue.YES, None, Source.KEY)
        elif Cue.NUMBER in accepted:
            answer = Heard(Cue.SKIP, None, Source.KEY)
        if answer:
            deadline = min(deadline, timeline.now + answer_seconds)
    if sound_end is not None and (deadline is None or sound_end <= deadline):
        timeline.advance(sound_end)
        sound_id = timeline.sound[0]
        timeline.hush()
        return session.sound_finished(sound_id, timeline.now)
    if deadline is None:
        return session.input_ended(timeline.now)
    timeline.advance(max(deadline, timeline.now))
    if answer is not None and timeline.now < session.deadline:
        return session.heard(answer, timeline.now)
    return session.tick(timeline.now)
