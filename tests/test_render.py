import random
import wave
from array import array

import pytest
from click.testing import CliRunner

from voicecoach import config, exercise, render, session, voice
from voicecoach.cli.commands import cli


def seconds_of(frames: bytes) -> float:
    return len(frames) / 2 / voice.SAMPLE_RATE


@pytest.fixture(scope="module")
def synthesizer():
    return voice.Synthesizer()


@pytest.mark.parametrize("exercise_id", [path.stem for path in exercise.builtin_files()])
def test_every_builtin_renders_to_the_length_the_engine_plans(exercise_id, tmp_path, synthesizer):
    found = exercise.find(exercise_id)
    settings = config.Settings(partner_a="Sam", partner_b="Alex")
    out = tmp_path / "out.wav"
    length = render.render(found, settings, out, answer_seconds=8, rng=random.Random(0))
    picks = session.choose_picks(found.pools, {}, random.Random(0))  # the same picks as the render's
    plan = session.plan_seconds(found, lambda text: seconds_of(synthesizer.render(text)),
                                lambda name: seconds_of(voice.chime_frames(name)),
                                names=settings.names(), answer_seconds=8, picks=picks)
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (22050, 2, 1)
        samples = array("h", wav.readframes(wav.getnframes()))
        assert abs(wav.getnframes() / 22050 - length) < 0.01
    assert abs(length - plan) / plan < 0.02
    second = 22050
    loud_seconds = sum(1 for i in range(0, len(samples), second) if max(map(abs, samples[i:i + second])) > 1000)
    assert loud_seconds > 20  # speech and chimes really are in it, not only silence


def test_render_command_sets_turn_length_and_reports(tmp_path, monkeypatch):
    import random

    real = render.render  # the same pool picks in both files, so only the turns differ
    monkeypatch.setattr(render, "render", lambda *args, **kwargs: real(*args, rng=random.Random(0), **kwargs))
    out = tmp_path / "check-in.wav"
    short = CliRunner().invoke(cli, ["render", "daily-check-in", str(out), "--turn-seconds", "5"])
    assert short.exit_code == 0, short.output
    assert short.output.startswith(f"Wrote {out}:")
    with wave.open(str(out)) as wav:
        quick = wav.getnframes() / wav.getframerate()
    CliRunner().invoke(cli, ["render", "daily-check-in", str(out)])
    with wave.open(str(out)) as wav:
        full = wav.getnframes() / wav.getframerate()
    assert full - quick == pytest.approx(6 * (90 - 5), abs=0.5)  # six turns, 85 s shorter each


def test_a_disk_that_fills_during_a_render_is_one_line(tmp_path, monkeypatch):
    from voicecoach.voice import sinks

    def full(self, frames):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sinks.WavFileSink, "write", full)
    out = tmp_path / "box.wav"
    result = CliRunner().invoke(cli, ["render", "box-breathing", str(out)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"Error: cannot write {out}: No space left on device"


@pytest.mark.parametrize("name, fmt", [("calm.flac", "FLAC"), ("calm.ogg", "OGG"), ("calm.aiff", "AIFF")])
def test_render_writes_the_format_its_name_asks_for(tmp_path, name, fmt):
    import soundfile

    out = tmp_path / name
    result = CliRunner().invoke(cli, ["render", "box-breathing", str(out), "--solo"])
    assert result.exit_code == 0, result.output
    info = soundfile.info(str(out))
    assert info.format == fmt and info.samplerate == 22050 and info.channels == 1 and info.duration > 300


@pytest.mark.parametrize("name", ["calm.mp3", "calm.m4a"])
def test_render_to_a_format_nothing_here_writes_is_one_line_and_no_file(tmp_path, name):
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["render", "box-breathing", str(out), "--solo"])
    assert result.exit_code == 2 and result.output.startswith(f"Error: {out}: sound is written as .wav, .flac")
    assert len(result.output.strip().splitlines()) == 1 and not out.exists()
