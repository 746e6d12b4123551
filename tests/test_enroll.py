"""Enrolled voices: MFCC features, DTW templates, the stored profile, `voicecoach enroll`, and
recognition with a profile on held-out real takes (../shared/speech)."""

import math
import os
import stat
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from voicecoach import paths, profile
from voicecoach.cli.commands import cli
from voicecoach.profile import enrolment, features, templates

SPEECH = Path(os.environ.get("VOICECOACH_SPEECH", Path(__file__).resolve().parents[2] / "shared" / "speech"))
WORDS = SPEECH / "words"
needs_speech = pytest.mark.skipif(not WORDS.is_dir(), reason=f"no recorded speech at {WORDS}")
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def fsdd(word, speaker, take):
    return WORDS / word / f"fsdd_{speaker}_{take}.wav"


def write_wav(path, samples, rate=16000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype=np.int16).tobytes())
    return path


def vowel(seconds=0.5, level=8000, rate=16000, pitch=140.0):
    """A vowel-like buzz with formants and a fade in and out: voiced enough for the detector."""
    t = np.arange(int(seconds * rate)) / rate
    x = sum(np.sin(2 * math.pi * pitch * k * t) / k for k in range(1, int(7800 // pitch)))
    x *= np.sin(math.pi * t / t[-1]) ** 0.5
    x = x / np.abs(x).max() * level
    silence = np.random.default_rng(0).integers(-3, 4, rate // 2)
    return np.concatenate([silence, x, silence]).astype(np.int16)


# ---- features and templates -------------------------------------------------------------------


def test_cepstra_keep_only_the_spoken_part():
    c = features.cepstra(vowel(0.5))
    assert c.shape[1] == features.CEPSTRA
    assert 40 <= len(c) <= 70  # the 0.5 s buzz, not the second of silence around it
    assert len(features.cepstra(np.zeros(100))) == 0


def test_deltas_of_a_ramp_are_its_slope():
    ramp = np.outer(np.arange(20, dtype=np.float64), [1.0, -2.0])
    d = features.deltas(ramp)
    assert np.allclose(d[2:-2], [1.0, -2.0])


def test_frames_ignore_loudness():
    quiet, loud = features.cepstra(vowel(level=2000)), features.cepstra(vowel(level=16000))
    a, b = features.frames(quiet), features.frames(loud)
    assert len(a) == len(b)
    assert np.abs(a[10:-10] - b[10:-10]).max() < 0.5  # the edges fade into the same room noise


def test_dtw_distance_is_zero_to_itself_and_tolerates_a_slower_take():
    rng = np.random.default_rng(3)
    word = np.cumsum(rng.normal(size=(40, 4)), axis=0).astype(np.float32)
    slower = np.repeat(word, 3, axis=0)[::2]  # 1.5 times as long
    other = np.cumsum(rng.normal(size=(40, 4)), axis=0).astype(np.float32)
    d = templates.distances(word, [word, slower, other, word[:10]])
    assert d[0] == pytest.approx(0, abs=1e-3)
    assert d[1] < d[2] / 3
    assert math.isinf(d[3])  # four times shorter: no path fits


# ---- the stored profile ---------------------------------------------------------------------


def small_profile():
    p = profile.Profile()
    rng = np.random.default_rng(0)
    for partner in "AB":
        p.enrol(partner, "seven", "seven", [rng.normal(size=(30, 13)) for _ in range(3)])
    p.enrol("A", "weiter", "next", [rng.normal(size=(25, 13)) for _ in range(3)])
    return p


def test_profile_survives_a_restart_owner_only():
    saved = profile.save(small_profile())
    assert saved == paths.data_dir() / profile.FILENAME
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    again = profile.load()  # a new process reads only the file
    assert [(t.partner, t.word, t.means, t.enrolled) for t in again.takes] == \
        [(t.partner, t.word, t.means, t.enrolled) for t in small_profile().takes]
    assert np.allclose(again.takes[0].cepstra, small_profile().takes[0].cepstra, atol=0.01)
    assert again.summary()[1] == {"partner": "A", "word": "weiter", "means": "next", "enrolled": 3, "learned": 0}


def test_no_profile_means_none_and_delete_removes_the_file():
    assert profile.load() is None
    saved = profile.save(small_profile())
    assert profile.delete() is True
    assert not saved.exists() and profile.load() is None
    assert profile.delete() is False


def test_learned_takes_are_capped_oldest_out_and_enrolled_ones_stay():
    p = small_profile()
    for i in range(profile.LEARNED_PER_WORD + 4):
        p.learn("A", "seven", "seven", np.full((20, 13), i, dtype=np.float32))
    seven = p.words("A")["seven"]
    assert sum(t.enrolled for t in seven) == 3
    learned = [t for t in seven if not t.enrolled]
    assert len(learned) == profile.LEARNED_PER_WORD
    assert [int(t.cepstra[0, 0]) for t in learned] == list(range(4, profile.LEARNED_PER_WORD + 4))
    assert len(p.words("B")["seven"]) == 3


def test_a_profile_from_a_newer_version_is_refused_and_left_as_it_is(monkeypatch, tmp_path):
    with monkeypatch.context() as patched:
        patched.setattr(profile, "VERSION", profile.VERSION + 1)
        saved = profile.save(small_profile())
    before = saved.read_bytes()
    with pytest.raises(profile.ProfileError, match="newer voicecoach"):
        profile.load()
    result = CliRunner().invoke(cli, ["enroll", "--partner", "A", "--word", "seven",
                                      str(write_wav(tmp_path / "t.wav", vowel()))])
    assert result.exit_code == 1
    assert "newer voicecoach" in result.output and len(result.output.strip().splitlines()) == 1
    assert saved.read_bytes() == before
    pytest.importorskip("pocketsphinx")
    heard = CliRunner().invoke(cli, ["hear", str(tmp_path / "t.wav")])
    assert heard.exit_code == 1 and heard.output.count("\n") == 1  # not as the couple's sessions would hear
    assert "newer voicecoach" in heard.output and "--no-profile hears without it" in heard.output
    heard = CliRunner().invoke(cli, ["hear", "--no-profile", str(tmp_path / "t.wav")])
    assert heard.exit_code == 0 and '"cue"' in heard.output
    assert saved.read_bytes() == before


def test_a_damaged_profile_is_refused_in_one_line():
    (paths.data_dir() / profile.FILENAME).write_bytes(b"not a profile")
    with pytest.raises(profile.ProfileError, match="damaged"):
        profile.load()


# ---- takes and the enroll command -----------------------------------------------------------


@pytest.mark.parametrize("samples,why", [
    (np.random.default_rng(1).integers(-2, 3, 16000), "no speech"),
    (vowel(level=200), "too quiet"),
    (np.clip(vowel(level=60000).astype(np.int32) * 3, -32768, 32767), "clipped"),
    (vowel(0.5)[:int(16000 * 0.75)], "cut off"),
])
def test_a_bad_take_is_refused_naming_the_file(tmp_path, samples, why):
    bad = write_wav(tmp_path / "bad.wav", samples)
    with pytest.raises(enrolment.TakeError, match=why) as caught:
        enrolment.takes_from_files([bad])
    assert str(bad) in str(caught.value)
    result = CliRunner().invoke(cli, ["enroll", "--partner", "B", "--word", "no", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"Error: {caught.value}"]
    assert profile.load() is None  # nothing half-written


def test_enroll_rejects_an_unknown_cue_word_and_files_without_whose():
    result = CliRunner().invoke(cli, ["enroll", "--partner", "A", "--word", "banana", "x.wav"])
    assert result.exit_code == 2 and "not a cue word" in result.output
    result = CliRunner().invoke(cli, ["enroll", "--word", "seven", "x.wav"])
    assert result.exit_code == 2 and "--partner" in result.output


@needs_speech
def test_enroll_from_files_then_show(tmp_path):
    runner = CliRunner()
    files = [str(fsdd("seven", "george", k)) for k in range(3)]
    result = runner.invoke(cli, ["enroll", "--partner", "A", "--word", "seven", *files])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["enroll", "--partner", "B", "--word", "next", "--as", "Weiter",
                                 *[str(fsdd("one", "jackson", k)) for k in range(3)]])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["enroll", "--show"]).output
    assert "seven" in shown and "weiter (for next)" in shown and "3 takes" in shown
    assert "Audio kept: no" in shown
    stored = profile.load()
    assert {(t.partner, t.word, t.means) for t in stored.takes} == {("A", "seven", "seven"), ("B", "weiter", "next")}
    assert not any(p.suffix == ".wav" for p in paths.data_dir().rglob("*"))


@needs_speech
def test_live_enrolment_asks_again_after_a_silent_take(tmp_path, monkeypatch):
    monkeypatch.setattr(enrolment, "LISTEN_SECONDS", 1.5)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(8000))
    clips = [fsdd("two", "george", 0), silent, fsdd("two", "george", 1), fsdd("two", "george", 2)]
    args = ["enroll", "--partner", "A", "--word", "two"] + [a for c in clips for a in ("--audio-in", str(c))]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Not kept: nothing heard" in result.output and "'two': learned" in result.output
    assert len(profile.load().words("A")["two"]) == 3


# ---- the profile at work: hear, sessions, learning ------------------------------------------


@pytest.fixture(scope="module")
def couple():
    """george (A) and jackson (B): digits takes 0-2 enrolled, as the benchmark does."""
    stored = profile.Profile()
    for partner, speaker in (("A", "george"), ("B", "jackson")):
        for word in DIGITS:
            stored.enrol(partner, word, word, enrolment.takes_from_files(fsdd(word, speaker, k) for k in range(3)))
    return stored


@pytest.fixture(scope="module")
def recogniser():
    pytest.importorskip("pocketsphinx")
    from voicecoach.hearing.recognizer import Recognizer

    return Recognizer()


@needs_speech
def test_ratings_with_a_profile_on_held_out_takes(couple, recogniser):
    from voicecoach.hearing.recognizer import hear_file
    from voicecoach.profile.enrolled import WithProfile

    engine = WithProfile(recogniser, couple)
    results = [(word, hear_file(fsdd(word, speaker, k), "rating", engine))
               for word in DIGITS for speaker in ("george", "jackson") for k in (4, 11, 18)]
    right = [r for w, r in results if r["cue"] == DIGITS.index(w)]
    assert len(right) / len(results) >= 0.95, [(w, r["cue"]) for w, r in results]  # ~99 % measured
    assert len(results) - len(right) <= 2


@needs_speech
def test_a_word_of_their_own_is_heard_for_its_cue(couple, recogniser):
    from voicecoach.hearing.recognizer import hear_file
    from voicecoach.profile.enrolled import WithProfile

    taught = profile.Profile(list(couple.takes))
    taught.enrol("A", "seven", "next", enrolment.takes_from_files(fsdd("seven", "george", k) for k in range(5)))
    engine = WithProfile(recogniser, taught)
    heard = [hear_file(fsdd("seven", "george", k), "navigation", engine)["cue"] for k in range(5, 15)]
    assert heard.count("next") >= 6, heard  # ~80 % measured with five takes
    others = [hear_file(fsdd(w, "george", 9), "navigation", engine)["cue"] for w in DIGITS if w != "seven"]
    assert others.count("next") <= 1, others


@needs_speech
def test_hear_uses_the_profile_unless_told_not_to(couple):
    pytest.importorskip("pocketsphinx")
    import json

    profile.save(couple)
    runner = CliRunner()
    args = ["hear", "--context", "rating", str(fsdd("six", "jackson", 7))]
    with_profile = json.loads(runner.invoke(cli, args).output)
    without = json.loads(runner.invoke(cli, args + ["--no-profile"]).output)
    assert with_profile["cue"] == 6
    assert set(with_profile) == set(without)


def _session(tmp_path, monkeypatch, *extra):
    """A rating by partner A from a recording no profile matches, read back and confirmed by a typed yes."""
    from voicecoach import runner, voice

    monkeypatch.setattr(runner, "_open_voice", lambda s, out, scale: (voice.TextVoice(scale, s.rate_wpm), None))
    exercise = tmp_path / "calm.yaml"
    exercise.write_text("id: calm\ntitle: Calm\nminutes: 1\nsteps:\n"
                        "  - rate: {ask: '{speaker}, how calm?', key: calm, who: A, limit: 10}\n")
    stranger = next(iter(sorted((WORDS / "two").glob("sc1_2f813234*.wav"))))
    return CliRunner().invoke(cli, ["start", str(exercise), "--log", "--audio-in", str(stranger), *extra],
                              input="yes\n", catch_exceptions=False)


@needs_speech
def test_a_confirmed_rating_is_learned(couple, tmp_path, monkeypatch):
    pytest.importorskip("pocketsphinx")
    profile.save(couple)
    result = _session(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "I heard two" in result.output
    learned = [t for t in profile.load().words("A")["two"] if not t.enrolled]
    assert len(learned) == 1 and learned[0].means == "two"


@needs_speech
def test_nothing_is_learned_or_written_in_a_no_log_session(couple, tmp_path, monkeypatch):
    pytest.importorskip("pocketsphinx")
    saved = profile.save(couple)
    before = {p: p.read_bytes() for p in paths.data_dir().rglob("*") if p.is_file()}
    result = _session(tmp_path, monkeypatch, "--no-log")
    assert result.exit_code == 0, result.output
    assert "I heard two" in result.output
    after = {p: p.read_bytes() for p in paths.data_dir().rglob("*") if p.is_file()}
    assert after == before and saved in after


# ---- the decision rule, on made-up distances --------------------------------------------------


class _Grammar:
    """Stands in for the PocketSphinx recogniser: gives a fixed decision."""

    def __init__(self, decision):
        self.decision = decision

    def begin(self, context):
        pass

    def feed(self, pcm):
        pass

    def end(self):
        return self.decision


def _checked(grammar_cue, matches, context, unsure=False):
    from voicecoach.hearing.recognizer import Decision
    from voicecoach.profile.enrolled import WithProfile

    engine = WithProfile(_Grammar(Decision(grammar_cue, str(grammar_cue), None, unsure)), small_profile())
    engine.matcher.match = lambda cepstra: [templates.Match("A", w, m, d, rel) for w, m, d, rel in matches]
    return engine.decide(vowel().tobytes(), 16000, context)


@pytest.mark.parametrize("grammar,matches,context,cue,unsure", [
    (5, [("seven", "seven", 30, 1.0), ("five", "five", 60, 2.0)], "rating", 7, False),  # corrected, sure
    (5, [("seven", "seven", 45, 1.5), ("five", "five", 60, 2.0)], "rating", 7, True),  # near-ish: asked back
    (7, [("seven", "seven", 45, 1.5), ("five", "five", 60, 2.0)], "rating", 7, False),  # grammar agrees
    (5, [("seven", "seven", 80, 2.6)], "rating", 5, True),  # nobody's take is near: grammar's, asked back
    (7, [("seven", "seven", 30, 1.0), ("five", "five", 31, 1.0)], "rating", 7, True),  # not decisive
    ("stop", [("next", "next", 20, 0.6)], "navigation", "stop", False),  # stop is never overruled
    ("next", [("seven", "seven", 20, 0.6)], "navigation", None, False),  # a number, not a cue
    (None, [("weiter", "next", 25, 0.8)], "navigation", "next", False),  # their own word
    (None, [("weiter", "next", 45, 1.5)], "navigation", None, False),  # ... only when very near
    ("next", [("weiter", "next", 45, 1.5)], "navigation", "next", False),  # agreement makes it sure
])
def test_templates_confirm_correct_or_doubt_the_grammar(grammar, matches, context, cue, unsure):
    decision = _checked(grammar, matches, context)
    assert (decision.cue, decision.unsure) == (cue, unsure)


def _spoken_with_last_take(partner):
    """Stands in for ears.SpokenCues: its last take, 'seven' by `partner`, and a profiled recogniser."""
    from voicecoach.profile.enrolled import Heard as Take

    class Spoken:
        last_take = Take(np.ones((20, 13), dtype=np.float32), partner, "seven", "seven")

        class recognizer:
            profile = small_profile()
            refresh = staticmethod(lambda: None)

    return Spoken


def test_only_a_take_confirmed_with_yes_is_learned():
    from voicecoach.cues import Cue, Heard, Source
    from voicecoach.profile.learning import SessionLearning

    Spoken = _spoken_with_last_take("B")
    saved = []
    learning = SessionLearning(Spoken, {"A": "Sam", "B": "Alex"}, save=saved.append)
    seven = Heard(Cue.NUMBER, 7, Source.VOICE, unsure=True)
    yes_key, no = Heard(Cue.YES, None, Source.KEY), Heard(Cue.NO, None, Source.VOICE)
    learning.cue(seven, "Sam")
    learning.cue(no, "Sam")  # "I heard seven. Is that right?" "No."
    learning.cue(yes_key, "Sam")
    learning.cue(Heard(Cue.NUMBER, 7, Source.VOICE), "Sam")  # sure: never read back, so never confirmed
    learning.cue(yes_key, "Sam")
    assert saved == []
    learning.cue(seven, "Sam")
    learning.cue(yes_key, "Sam")
    learning.cue(Heard(Cue.DONE, None, Source.VOICE), None)  # "Finished?" with nobody named: nearest voice
    learning.cue(Heard(Cue.YES, None, Source.VOICE), None)
    learned = [(t.partner, t.word, t.means) for t in Spoken.recognizer.profile.takes if not t.enrolled]
    assert learned == [("A", "seven", "seven"), ("B", "i'm done", "i'm done")]
    assert len(saved) == 2


def test_with_a_profile_the_grammar_is_decoded_as_the_audio_comes():
    """Sessions and `hear` build their recogniser for the couple: once they enrolled, the templates
    settle close calls and the grammar is decoded live (a decision in ~25 ms, not ~70)."""
    pytest.importorskip("pocketsphinx")
    from voicecoach.profile import enrolled

    plain, note = enrolled.couple_recognizer(engine="pocketsphinx")
    assert note is None and plain.tuning.whole_utterance  # nobody enrolled: the whole-word decode
    profile.save(small_profile())
    checked, note = enrolled.couple_recognizer(engine="pocketsphinx")
    assert isinstance(checked, enrolled.WithProfile) and not checked.recognizer.tuning.whole_utterance
    unchecked, _ = enrolled.couple_recognizer(use=False, engine="pocketsphinx")
    assert unchecked.tuning.whole_utterance


def test_a_learned_take_that_cannot_be_saved_leaves_the_session_going():
    from voicecoach.cues import Cue, Heard, Source
    from voicecoach.errors import LockedError
    from voicecoach.profile.learning import SessionLearning

    Spoken = _spoken_with_last_take("A")
    tries = []

    def cannot_save(profile):
        tries.append(profile)
        raise LockedError("the journal is locked")

    learning = SessionLearning(Spoken, {"A": "Sam", "B": "Alex"}, save=cannot_save)
    for _ in range(2):
        learning.cue(Heard(Cue.NUMBER, 7, Source.VOICE, unsure=True), "Sam")
        learning.cue(Heard(Cue.YES, None, Source.KEY), "Sam")  # no exception reaches the session
    assert len(tries) == 1 and learning.learned == 0  # tried once, then not again this session


def _damaged_in_a_take(data: bytes) -> bytes:
    """A profile whose index reads but whose first take's compressed bytes are changed (a bad CRC):
    numpy reads a take only when it is asked for."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("t0.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    return data[:start] + bytes(b ^ 0xFF for b in data[start:start + 8]) + data[start + 8:]


def test_a_profile_damaged_inside_a_take_is_one_line_in_enroll_show_and_hear(tmp_path):
    pytest.importorskip("pocketsphinx")
    saved = profile.save(small_profile())
    saved.write_bytes(_damaged_in_a_take(saved.read_bytes()))
    with pytest.raises(profile.ProfileError, match="damaged"):
        profile.load()
    shown = CliRunner().invoke(cli, ["enroll", "--show"])
    assert shown.exit_code != 0 and shown.output.count("\n") == 1
    assert shown.output.startswith(f"Error: {saved}: damaged, cannot be read")
    heard = CliRunner().invoke(cli, ["hear", "--engine", "pocketsphinx", str(write_wav(tmp_path / "a.wav", vowel()))])
    assert heard.exit_code == 1 and heard.output.count("\n") == 1
    assert heard.output.startswith(f"Error: {saved}: damaged, cannot be read")


@pytest.mark.parametrize("shape", [(0, 13), (20,), (20, 12)])
def test_a_take_of_the_wrong_shape_is_a_damaged_profile(shape):
    stored = small_profile()
    stored.takes[0].cepstra = np.zeros(shape, dtype=np.float16)
    saved = profile.save(stored)
    with pytest.raises(profile.ProfileError, match="damaged"):
        profile.load(saved)
