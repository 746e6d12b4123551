"""The offline cue recogniser on real recorded voices (../shared/speech), and hear_file's edge cases."""

import json
import math
import os
import struct
import wave
from pathlib import Path

import pytest

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "speech" / "words"

try:
    import pocketsphinx  # noqa: F401
except ImportError:
    if os.environ.get("CI") == "true":
        raise  # CI installs pocketsphinx: its absence there is a failure, not a skip
    pytest.skip("pocketsphinx is not installed", allow_module_level=True)

from voicecoach.hearing import recognizer as R  # noqa: E402 - only once pocketsphinx is known to be here

needs_speech = pytest.mark.skipif(not SPEECH.is_dir(), reason=f"no recorded speech at {SPEECH}")


@pytest.fixture(scope="module")
def rec():
    return R.Recognizer()


def recordings(word, n, source="sc1_"):
    return sorted(p for p in (SPEECH / word).glob(f"{source}*.wav"))[:n]


def write_wav(path, samples, rate, channels=1):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))


def test_a_decoder_option_takes_even_where_the_model_sets_it_otherwise():
    # the model's feat.params says "-remove_noise yes"; a Decoder built with remove_noise=False kept it on
    rec = R.Recognizer(R.Tuning(options=(("cmn", "batch"), ("remove_noise", False), ("topn", 8))))
    assert rec._decoder.config["remove_noise"] is False
    assert rec._decoder.config["topn"] == 8
    assert rec._decoder.config["cmn"] == "batch"
    assert R.Recognizer()._decoder.config["remove_noise"] is True


def test_a_noise_floor_goes_under_what_the_decoder_hears_only_when_asked():
    import numpy as np

    rec = R.Recognizer(R.Tuning(floor_rms=30))
    rec.begin("answer")
    rec.feed(b"\0\0" * 8000)
    heard = np.frombuffer(rec._heard(), dtype="<i2").astype(np.float64)
    rec.end()
    assert len(heard) == 8000 and 25 < np.sqrt(np.mean(heard ** 2)) < 35
    plain = R.Recognizer()
    plain.begin("answer")
    plain.feed(b"\0\0" * 8000)
    assert plain._heard() == b"\0\0" * 8000
    plain.end()


def test_padding_goes_on_at_the_recordings_own_floor_when_asked():
    import numpy as np

    rng = np.random.default_rng(1)
    clip = rng.normal(0, 50, 16000)  # a room at 50 steps ...
    clip[6000:10000] += 5000 * np.sin(np.arange(4000) / 3)  # ... and a word in it
    lead = R.LEAD_MS * 16
    padded = R.pad_stream(clip.astype(np.int16), own_floor=True).astype(np.float64)
    assert 40 < np.sqrt(np.mean(padded[:lead] ** 2)) < 60
    assert np.abs(R.pad_stream(clip.astype(np.int16))[:lead]).max() <= 1  # by default, 1 step of dither


def test_contexts_and_decision_shape(rec):
    assert R.CONTEXTS == ("navigation", "turn", "rating", "answer")
    d = rec.decide(b"\0\0" * 16000, 16000, "answer")
    assert set(vars(d)) == {"cue", "text", "confidence", "unsure"}
    with pytest.raises(ValueError):
        rec.decide(b"\0\0" * 1600, 16000, "shopping")


@needs_speech
@pytest.mark.parametrize("context,words,floor", [
    # floors a little under what was measured on these recordings: 12/12, 30/36, 9/12
    ("answer", {"yes": "yes", "no": "no"}, 0.9),
    ("rating", {"one": 1, "two": 2, "five": 5, "seven": 7, "nine": 9, "zero": 0}, 0.75),
    ("navigation", {"go": "next", "stop": "stop"}, 0.6),  # rejection costs hits
])
def test_hits_on_real_voices(rec, context, words, floor):
    results = [(w, R.hear_file(p, context, rec)) for w in words for p in recordings(w, 6)]
    right = sum(1 for w, r in results if r["cue"] == words[w])
    assert right / len(results) >= floor, [(w, r["cue"], r["text"]) for w, r in results]


@needs_speech
def test_non_cue_words_are_rejected_in_navigation(rec):
    words = ("bed", "bird", "cat", "happy", "house", "marvin", "sheila", "wow", "right", "down")
    results = [(w, R.hear_file(p, "navigation", rec)) for w in words for p in recordings(w, 3)]
    accepted = [(w, r["cue"], r["text"]) for w, r in results if r["cue"] is not None]
    assert len(accepted) <= 2, accepted  # 1 of these 30 measured (bird heard as "faster")


SYNTHETIC = Path(__file__).resolve().parent / "data" / "flite"


def test_a_turn_end_said_alone_is_heard_and_inside_a_sentence_is_not(rec):
    """Plumbing on flite's voices (nobody recorded "I'm done"): the phrase alone ends a turn; the
    same words inside a longer sentence, or "not done", do not; and in navigation it is no cue."""
    said_alone = sorted(SYNTHETIC.glob("*_im_done.wav"))
    assert len(said_alone) == 3
    for path in said_alone:
        assert R.hear_file(path, "turn", rec)["cue"] == "done", path.name
        assert R.hear_file(path, "navigation", rec)["cue"] is None, path.name
    for name in ("rms_im_not_done_yet.wav", "slt_im_done_pretending.wav"):
        assert R.hear_file(SYNTHETIC / name, "turn", rec)["cue"] is None, name


@needs_speech
def test_hear_json_fields(rec):
    path = recordings("stop", 1)[0]
    out = R.hear_file(path, "navigation", rec)
    assert set(out) == {"file", "engine", "context", "cue", "unsure", "text", "confidence", "speech_end_ms", "decided_ms",
                        "compute_ms"}
    assert out["file"] == str(path)
    assert out["decided_ms"] >= out["speech_end_ms"]


def test_missing_file_gives_an_error_line(rec, tmp_path):
    out = R.hear_file(tmp_path / "nope.wav", "navigation", rec)
    assert set(out) == {"file", "error"}
    assert "\n" not in out["error"] and out["error"]


@pytest.mark.parametrize("content", [b"", b"RIFF\x10\x00\x00\x00WAVEjunk", b"not audio at all" * 100])
def test_corrupt_file_gives_an_error_line(rec, tmp_path, content):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    out = R.hear_file(path, "answer", rec)
    assert out["file"] == str(path) and "\n" not in out["error"]


def test_8bit_is_read_and_a_directory_gives_an_error_line(rec, tmp_path):
    path = tmp_path / "eight.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(b"\x80" * 8000)
    assert "error" not in R.hear_file(path, "answer", rec)  # 8-bit WAV is a sound file like any other
    assert R.hear_file(tmp_path, "answer", rec)["error"] == "is a directory, not a sound file"


def test_resampling_keeps_a_tone_and_its_length():
    import numpy as np

    for rate in (8000, 22050, 44100):
        t = np.arange(rate) / rate
        x = (8000 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        y = R.to_mono_16k(x.tobytes(), rate, 1).astype(float)
        assert abs(len(y) - 16000) <= 1
        spectrum = np.abs(np.fft.rfft(y[1000:15000] * np.hanning(14000)))
        assert abs(np.argmax(spectrum) * 16000 / 14000 - 440) < 3
        assert 0.9 < np.sqrt(np.mean(y[1000:15000] ** 2)) / (8000 / math.sqrt(2)) < 1.1


def test_stereo_is_averaged():
    import numpy as np

    left = np.full(1600, 1000, dtype=np.int16)
    right = np.full(1600, 3000, dtype=np.int16)
    y = R.to_mono_16k(np.stack([left, right], axis=1).ravel().tobytes(), 16000, 2)
    assert len(y) == 1600 and (y == 2000).all()


@needs_speech
def test_an_8khz_file_is_resampled_and_heard(rec, tmp_path):
    # a real 16 kHz "yes", written at 8 kHz and as 22.05 kHz stereo: same answer as the original
    import numpy as np

    path = recordings("yes", 1)[0]
    samples = R.load_file(path).astype(float)
    low = np.round(R.resample(samples, 16000, 8000)).astype(np.int16)
    write_wav(tmp_path / "yes8k.wav", low.tolist(), 8000)
    out = R.hear_file(tmp_path / "yes8k.wav", "answer", rec)
    assert out["cue"] == "yes", out
    high = np.round(R.resample(samples, 16000, 22050)).astype(np.int16)
    write_wav(tmp_path / "yes22k.wav", np.stack([high, high], axis=1).ravel().tolist(), 22050, channels=2)
    assert R.hear_file(tmp_path / "yes22k.wav", "answer", rec)["cue"] == "yes"


def test_endpointer_cuts_two_bursts():
    import numpy as np

    rng = np.random.default_rng(1)
    silence = rng.integers(-2, 3, 16000)
    t = np.arange(8000) / 16000
    burst = (6000 * np.sin(2 * math.pi * 200 * t) * (1 + 0.5 * np.sin(2 * math.pi * 5 * t))
             + rng.normal(0, 800, 8000))
    stream = np.concatenate([silence, burst, silence, burst, silence]).astype(np.int16).tobytes()
    cuts = list(R.endpoint(stream, trailing_ms=300))
    assert len(cuts) == 2
    for (start, end, pcm), at in zip(cuts, (1000, 2500)):
        assert at - 100 <= start <= at + 200 and at + 300 <= end <= at + 800
        assert len(pcm) >= (end - start) * 32


def test_hear_command_gives_json_for_missing_and_corrupt_files_and_hears_the_rest(tmp_path):
    import json

    from click.testing import CliRunner

    from voicecoach.cli.commands import cli

    quiet = tmp_path / "quiet.wav"
    write_wav(quiet, [0] * 16000, 16000)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    missing = tmp_path / "missing.wav"
    result = CliRunner().invoke(cli, ["hear", "--context", "answer", str(missing), str(corrupt), str(quiet)])
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["file"] for line in lines] == [str(missing), str(corrupt), str(quiet)]
    assert lines[0]["error"] == "no such file"
    assert lines[1]["error"].startswith("not a sound file (WAV, FLAC, OGG or AIFF)")
    assert "error" not in lines[2] and lines[2]["cue"] is None


# --- the assistant's own voice ------------------------------------------------------------------

CUE_LIKE = frozenset(word for phrases in R.CUE_PHRASES.values() for phrase in phrases for word in phrase.split())


def riskiest_line(exercise_path):
    """The spoken line of an exercise with the most cue words in it (the shortest of those on a tie)."""
    from voicecoach import exercise
    from voicecoach.config import Settings
    from voicecoach.session import script

    spoken = [text for marker, text in script.lines(exercise.load_file(exercise_path), Settings().names())
              if not marker]
    return min(spoken, key=lambda text: (-sum(w.strip(".,!?;:'\"").lower() in CUE_LIKE for w in text.split()),
                                         len(text)))


@pytest.fixture(scope="module")
def synthesizer():
    import ctypes.util

    if not ctypes.util.find_library("espeak-ng") and not ctypes.util.find_library("espeak"):
        if os.environ.get("CI"):
            pytest.fail("libespeak-ng is not installed: scripts/setup should have installed it")
        pytest.skip("libespeak-ng is not installed")
    from voicecoach.voice import Synthesizer

    return Synthesizer()


def own_voice(synthesizer, line):
    """Our voice saying `line`, as the microphone hears it: 16 kHz, a second of quiet after."""
    from voicecoach.voice import SAMPLE_RATE

    return R.to_mono_16k(synthesizer.render(line), SAMPLE_RATE).tobytes() + bytes(32000)


@pytest.mark.parametrize("path", __import__("voicecoach.exercise", fromlist=["x"]).builtin_files(),
                         ids=lambda p: p.stem)
def test_no_cue_is_heard_in_our_own_voice(rec, synthesizer, path):
    """Each built-in exercise's riskiest line, spoken by our voice into the microphone: no stop."""
    from voicecoach.hearing import stops_heard_while_saying

    line = riskiest_line(path)
    assert stops_heard_while_saying(line, own_voice(synthesizer, line), rec) == 0, line


def test_hear_says_which_context_it_listened_in_and_its_help_names_them(tmp_path):
    from click.testing import CliRunner

    from voicecoach.cli.commands import cli

    wav = tmp_path / "quiet.wav"
    write_wav(wav, [0] * 8000, 16000)
    for extra, context in (([], "navigation"), (["--context", "rating"], "rating")):
        result = CliRunner().invoke(cli, ["hear", str(wav), "--engine", "pocketsphinx", *extra])
        assert json.loads(result.output.splitlines()[-1])["context"] == context
    assert "Digits are heard only as a rating" in " ".join(CliRunner().invoke(cli, ["hear", "--help"]).output.split())
