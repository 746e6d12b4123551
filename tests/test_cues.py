import io
import threading
from pathlib import Path

import pytest

from voicecoach.cues import Cue, Heard, Source, legend, parse_key, parse_typed
from voicecoach.hearing import TypedCues
from voicecoach.hearing.recognizer import Decision
from voicecoach.hearing.typed import _split_keys
from voicecoach.session import NAVIGATION

TURN = NAVIGATION | {Cue.DONE, Cue.NEXT}
RATING = NAVIGATION | {Cue.NUMBER}
ANSWER = NAVIGATION | {Cue.YES, Cue.NO}


def test_typed_words_numbers_and_phrases():
    assert parse_typed("I'm done") == Heard(Cue.DONE)
    assert parse_typed("  Seven. ") == Heard(Cue.NUMBER, 7)
    assert parse_typed("10") == Heard(Cue.NUMBER, 10)
    assert parse_typed("11") is None
    assert parse_typed("say that again") == Heard(Cue.REPEAT)
    assert parse_typed("what?") is None


def test_go_on_means_resume_when_paused_and_next_otherwise():
    assert parse_typed("go on", {Cue.RESUME, Cue.STOP}).cue is Cue.RESUME
    assert parse_typed("go on", TURN).cue is Cue.NEXT


def test_keys_mean_what_the_moment_allows():
    assert parse_key("7", RATING) == Heard(Cue.NUMBER, 7, Source.KEY)
    assert parse_key("t", RATING) == Heard(Cue.NUMBER, 10, Source.KEY)
    assert parse_key("7", TURN) is None
    assert parse_key("d", TURN) == Heard(Cue.DONE, None, Source.KEY)
    assert parse_key("p", {Cue.RESUME, Cue.STOP}).cue is Cue.RESUME
    assert parse_key("p", TURN).cue is Cue.PAUSE
    assert parse_key("q", frozenset()).cue is Cue.STOP  # stop always works
    assert parse_key("\x1b", TURN).cue is Cue.STOP
    assert parse_key(" ", TURN).cue is Cue.NEXT


def test_arrow_keys_are_not_taken_for_escape():
    assert _split_keys("\x1b[A d\x1bOB\x1b") == [" ", "d", "\x1b"]


def test_legend_lists_only_the_keys_of_the_moment():
    keys = dict(legend(RATING))
    assert keys["0-9 t"] == "rating (t = ten)" and "d" not in keys and keys["q"] == "stop"


def test_scripted_lines_wait_for_a_moment_that_accepts_them():
    cues = TypedCues(io.StringIO("7\nnext\n"), interactive=False)
    cues._read()
    assert cues.take(TURN) is None  # "7" waits for the rating
    assert cues.take(RATING) == Heard(Cue.NUMBER, 7)
    assert cues.take(TURN) == Heard(Cue.NEXT)
    assert cues.exhausted


def test_piped_lines_on_their_way_hold_a_deadline_back():
    """A line still in the pipe is 'settling': the runner lets it arrive before a time limit runs
    out, so `printf 'yes\\nyes\\n' | voicecoach start ... --time-scale 0` always answers yes."""
    import os

    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "r") as stream, os.fdopen(write_end, "w") as writer:
        cues = TypedCues(stream, interactive=False)
        writer.write("yes\nnext\n")
        writer.flush()
        assert cues.settling  # written, not yet read
        woke = threading.Event()
        cues.start(woke.set)
        assert woke.wait(5)
        assert cues.take(ANSWER) == Heard(Cue.YES)
        assert not cues.settling  # read and queued
        writer.close()
        for _ in range(500):
            if cues.ended:
                break
            threading.Event().wait(0.01)
        assert cues.ended and not cues.settling
        assert cues.take(TURN) == Heard(Cue.NEXT) and cues.exhausted


def test_a_piped_line_without_a_final_newline_still_counts():
    import os

    read_end, write_end = os.pipe()
    os.write(write_end, b"7")
    os.close(write_end)
    with os.fdopen(read_end, "r") as stream:
        cues = TypedCues(stream, interactive=False)
        cues._read_pipe(stream.fileno())
        assert cues.take(RATING) == Heard(Cue.NUMBER, 7) and cues.exhausted


def test_a_scripted_stop_jumps_the_queue():
    cues = TypedCues(io.StringIO("yes\nstop\n"), interactive=False)
    cues._read()
    assert cues.take(TURN) == Heard(Cue.STOP)


def test_interactive_lines_that_make_no_sense_now_are_explained_and_dropped():
    rejected = []
    cues = TypedCues(io.StringIO("7\nbanana\ndone\n"), interactive=True,
                     on_rejected=lambda line, why: rejected.append((line, why)))
    cues._read()
    assert cues.take(TURN) == Heard(Cue.DONE)
    assert rejected == [("7", "not something I can do at this moment"), ("banana", "not a cue I know")]


def test_nothing_typed_ahead_is_taken_while_the_assistant_speaks():
    cues = TypedCues(io.StringIO("next\n"), interactive=False)
    cues._read()
    assert cues.take(TURN, waiting=False) is None
    assert cues.take(TURN, waiting=True) == Heard(Cue.NEXT)


def test_the_assistant_does_not_hear_itself_but_hears_the_couple_after_it(tmp_path):
    """Our own rendered speech goes to the ears while muted and triggers nothing; a partner's 'yes'
    right after it is heard."""
    import threading
    import time
    from pathlib import Path

    import pytest

    recordings = Path(__file__).resolve().parent.parent.parent / "shared" / "speech" / "words"
    if not recordings.is_dir():
        pytest.skip("../shared/speech is not here")
    from voicecoach import voice
    from voicecoach.hearing import SpokenCues, recognizer

    # The assistant's own words, with cue words in them ("Hold" was once heard as "go").
    synthesizer = voice.Synthesizer()
    lines = ["Breathe in", "Hold", "Breathe out", "Hold", "Say next when you are ready. Stop at any time."]
    spoken = voice.chime_frames("start") + b"".join(synthesizer.render(line) for line in lines)
    ours = recognizer.to_mono_16k(spoken, voice.SAMPLE_RATE).tobytes()
    theirs = recognizer.load_file(recordings / "yes" / "sc1_439c84f4_nohash_1.wav").tobytes()
    step = 16000 * 20 // 1000 * 2
    playing = threading.Event()
    playing.set()

    class Room:
        finished = False

        def open_window(self):
            pass

        def chunks(self, stop):
            stream = ours + bytes(16000) + theirs + bytes(32000)
            for index in range(0, len(stream), step):
                if index >= len(ours):
                    playing.clear()  # our voice has finished
                time.sleep(0.02)
                yield stream[index:index + step]

        def close(self):
            pass

    heard = []
    said = " ".join(lines)
    ears = SpokenCues(Room(), recognizer.Recognizer(), playing=lambda: said if playing.is_set() else None,
                      on_heard=lambda text, cue: heard.append(text))
    ears.start(lambda: None)
    answers = NAVIGATION | {Cue.YES, Cue.NO}
    deadline = time.monotonic() + 20
    got = None
    while got is None and time.monotonic() < deadline:
        got = ears.take(answers)
        time.sleep(0.02)
    ears.close()
    assert got == Heard(Cue.YES, None, Source.VOICE)
    assert heard == ["yes"]  # nothing at all was heard of our own words


def test_stop_is_heard_while_the_assistant_speaks():
    """Between its own words the assistant still listens for 'stop', and only for 'stop'."""
    import time
    from pathlib import Path

    import pytest

    recordings = Path(__file__).resolve().parent.parent.parent / "shared" / "speech" / "words"
    if not recordings.is_dir():
        pytest.skip("../shared/speech is not here")
    from voicecoach.hearing import SpokenCues, recognizer

    stop = recognizer.load_file(recordings / "stop" / "sc1_1eddce1d_nohash_3.wav").tobytes()
    yes = recognizer.load_file(recordings / "yes" / "sc1_439c84f4_nohash_1.wav").tobytes()
    step = 640

    class Room:
        finished = False

        def open_window(self):
            pass

        def chunks(self, stop_event):
            stream = bytes(8000) + yes + bytes(16000) + stop + bytes(32000)
            for index in range(0, len(stream), step):
                time.sleep(0.005)
                yield stream[index:index + step]

        def close(self):
            pass

    ears = SpokenCues(Room(), recognizer.Recognizer(), playing=lambda: "Breathe in")  # it never stops talking
    ears.start(lambda: None)
    deadline = time.monotonic() + 20
    got = None
    while got is None and time.monotonic() < deadline:
        got = ears.take(NAVIGATION | {Cue.YES, Cue.NO}, waiting=False)
        time.sleep(0.02)
    ears.close()
    assert got == Heard(Cue.STOP, None, Source.VOICE)  # the "yes" before it was not taken


def test_n_typed_is_no_as_y_typed_is_yes():
    """A consent question says "with a key": in --text mode the same letter, typed, must answer it."""
    assert parse_typed("n", frozenset({Cue.YES, Cue.NO})) == Heard(Cue.NO, None, Source.TEXT)
    assert parse_typed("y", frozenset({Cue.YES, Cue.NO})) == Heard(Cue.YES, None, Source.TEXT)


def test_typing_is_hidden_at_a_terminal_while_an_answer_is_private():
    """In --text mode at a terminal, a partner's private yes or no is not echoed on screen."""
    import os
    import termios

    leader, follower = os.openpty()
    with os.fdopen(follower, "r") as stream:
        cues = TypedCues(stream, interactive=True)
        echoing = lambda: bool(termios.tcgetattr(follower)[3] & termios.ECHO)  # noqa: E731
        assert echoing()
        cues.hide_typing(True)
        assert not echoing()
        cues.close()  # never leaves the terminal without echo
        assert echoing()
    os.close(leader)



SPEECH = Path(__file__).resolve().parents[1].parent / "shared" / "speech" / "words"


class BurstSource:
    """One recorded word between silences, as 20 ms chunks, and then the end."""

    finished = False

    def __init__(self):
        from voicecoach.hearing.recognizer import load_file

        silence = bytes(16000 * 2)
        self.pcm = silence[: 16000] + load_file(SPEECH / "seven" / "fsdd_george_5.wav").tobytes() + silence

    def open_window(self):
        pass

    def chunks(self, stop):
        for i in range(0, len(self.pcm), 640):
            yield self.pcm[i:i + 640]
        self.finished = True

    def close(self):
        pass


class LoggingRecognizer:
    """Says 'seven' for whatever it is given, and logs how it was asked."""

    def __init__(self):
        self.calls = []

    def begin(self, context):
        self.calls.append(("begin", context))

    def feed(self, pcm):
        if self.calls[-1][0] != "feed":
            self.calls.append(("feed", None))

    def end(self):
        self.calls.append(("end", None))
        return Decision(7, "seven", None, False)

    def decide(self, pcm, rate, context):
        self.calls.append(("decide", context))
        return Decision(7, "seven", None, False)


def _heard_once(context, accepted):
    from voicecoach.hearing import SpokenCues

    recognizer = LoggingRecognizer()
    spoken = SpokenCues(BurstSource(), recognizer)
    spoken._context = context
    spoken.listen()
    return spoken.take(accepted), recognizer.calls


@pytest.mark.skipif(not SPEECH.is_dir(), reason="no recorded speech at ../shared/speech")
def test_spoken_words_are_decoded_while_they_are_said_in_the_grammar_of_the_moment():
    """With a microphone a word is fed to the decoder as it comes, so its decision is all but made
    when it ends; it is decided again only if the moment changed while it was said."""
    heard, calls = _heard_once("rating", RATING)
    assert heard == Heard(Cue.NUMBER, 7, Source.VOICE)
    assert calls == [("begin", "rating"), ("feed", None), ("end", None)]
    heard, calls = _heard_once("navigation", RATING)  # a rating was asked meanwhile
    assert heard == Heard(Cue.NUMBER, 7, Source.VOICE) and calls[-1] == ("decide", "rating")


def test_a_playlist_keeps_each_clip_for_the_moment_it_is_meant_for(tmp_path):
    """--audio-in rules (issue 21): a plain clip waits for a moment that waits for a voice, never a timed
    one; `silence` lets one moment pass; `KIND:FILE` waits for that kind; the deadline waits meanwhile."""
    import wave

    from voicecoach.hearing import Recordings

    clip = tmp_path / "word.wav"
    with wave.open(str(clip), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes(b"\x10\x00" * 1600)
    source = Recordings([str(clip), "silence", f"timed:{clip}", str(clip)])
    assert not source.continuous
    source.moment_began("timed")  # breathing: the plain clip is not for it
    assert source.open_window() is None and not source.settling
    source.moment_began("rating")
    assert source.settling  # due here: the rating's deadline waits for it
    assert source.open_window().name == "1 word.wav" and source.settling
    source._playing, source._quiet_ms = memoryview(b""), 10_000  # as if heard out
    source.moment_began("turn")
    started = source.open_window()
    assert started.name == "2 silence" and started.pcm is None
    assert source.open_window() is None and not source.settling  # one silence, one moment
    source.moment_began("question")  # the next entry is for a timed moment: a question gets nothing
    assert source.open_window() is None and not source.settling
    source.moment_began("timed")
    assert source.open_window().moment == "timed"
    assert [c.name for c in source.clips] == ["4 word.wav"]
    assert Recordings([str(clip)]).continuous and not Recordings(["silence"]).continuous


def test_a_mistyped_kind_of_moment_is_named_in_one_line(tmp_path):
    from voicecoach.errors import BadInput
    from voicecoach.hearing import Recordings

    clip = tmp_path / "stop.wav"
    clip.write_bytes(b"")
    with pytest.raises(BadInput) as error:
        Recordings([f"tmed:{clip}", "silence"])
    assert str(error.value) == (f"--audio-in tmed:{clip}: 'tmed' is not a kind of moment "
                                "(one of next, turn, rating, question, consent, paused, timed)")
