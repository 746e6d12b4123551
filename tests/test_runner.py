"""The runner performs the engine's actions on the real clock: deadlines, sounds, cues, journal."""

import threading
import time

from voicecoach import exercise as ex
from voicecoach import session as S
from voicecoach.cues import Cue, Heard, Source
from voicecoach.runner import Runner

EXERCISE = ex.load_text("""
id: r
title: R
minutes: 1
steps:
  - say: "One."
  - pause: 0.3
  - say: "Two."
  - rate: {ask: "{speaker}, how calm?", key: calm, who: A, limit: 5}
""")


class InstantVoice:
    """Finishes every sound at once, and remembers when each line was said."""

    def __init__(self):
        self.said = []
        self.hushed = 0

    def speak(self, text, on_done):
        self.said.append((time.monotonic(), text))
        on_done()

    def chime(self, name, on_done):
        on_done()

    def hush(self):
        self.hushed += 1

    def close(self):
        pass


class ScriptedEars:
    """Hands over each cue once the session has been at least `after` seconds in the current moment."""

    def __init__(self, cues):
        self.cues = list(cues)
        self.ended = False
        self.exhausted = False
        self._since = time.monotonic()
        self._accepted = None

    def start(self, wake):
        """Real ears wake the runner when something arrives; these wake it every 10 ms."""

        def tick():
            while self.cues:
                time.sleep(0.01)
                wake()

        threading.Thread(target=tick, daemon=True).start()

    def take(self, accepted, waiting=True):
        if accepted != self._accepted:
            self._accepted, self._since = accepted, time.monotonic()
        if self.cues and time.monotonic() - self._since >= self.cues[0][0]:
            after, heard = self.cues[0]
            if heard.cue in accepted:
                self.cues.pop(0)
                return heard
        return None

    def drop_stuck(self, accepted):
        pass

    def close(self):
        pass


class QuietView:
    def start(self):
        pass

    def said(self, text):
        pass

    def chime(self, name):
        pass

    def heard(self, word):
        pass

    def note(self, text):
        pass

    def update(self, view, now):
        pass

    def close(self):
        pass


class MemoryJournal:
    def __init__(self):
        self.calls = []

    def step(self, *args, **kwargs):
        self.calls.append(("step", args[1:]))

    def rating(self, *args):
        self.calls.append(("rating", args[1:]))

    def end(self, *args):
        self.calls.append(("end", args[1:]))


def run(cues, journal=None):
    session = S.Session(EXERCISE, {"A": "Sam", "B": "Alex"})
    voice = InstantVoice()
    outcome = Runner(session, voice, ScriptedEars(cues), QuietView(), journal, "id").run()
    return outcome, voice


def test_a_timed_pause_lasts_its_time_on_the_clock():
    outcome, voice = run([(0.05, Heard(Cue.NUMBER, 6, Source.KEY))])
    times = dict((text, at) for at, text in voice.said)
    assert outcome is S.Outcome.COMPLETED
    assert 0.29 <= times["Two."] - times["One."] <= 0.35


def test_a_paused_pause_waits_for_resume_and_keeps_its_remaining_time():
    cues = [(0.1, Heard(Cue.PAUSE, None, Source.KEY)), (0.4, Heard(Cue.RESUME, None, Source.KEY)),
            (0.05, Heard(Cue.NUMBER, 6, Source.KEY))]
    outcome, voice = run(cues)
    times = dict((text, at) for at, text in voice.said)
    # 0.1 s of the pause, 0.4 s paused, then the remaining 0.2 s
    assert 0.68 <= times["Two."] - times["One."] <= 0.8
    assert voice.hushed >= 1


def test_what_happens_reaches_the_journal_in_order():
    journal = MemoryJournal()
    run([(0.0, Heard(Cue.NUMBER, 6, Source.KEY))], journal)
    assert journal.calls == [
        ("step", (0, "say")), ("step", (1, "pause")), ("step", (2, "say")),
        ("rating", (3, "calm", "A", "Sam", 6)), ("step", (3, "rate")), ("end", ("completed",))]


def test_a_keyed_stop_ends_at_once():
    journal = MemoryJournal()
    outcome, voice = run([(0.1, Heard(Cue.STOP, None, Source.KEY))], journal)
    assert outcome is S.Outcome.STOPPED
    assert [text for _, text in voice.said] == ["One."]
    assert journal.calls[-1] == ("end", ("stopped",))


class SettlingEars(ScriptedEars):
    """Like piped input whose next line is still in the pipe: 'settling' until it is handed over."""

    @property
    def settling(self):
        return bool(self.cues)


def test_a_time_limit_waits_for_a_piped_line_on_its_way():
    """At --time-scale 0 a rating's limit is already over when it is asked; a piped answer that is
    still arriving must count rather than lose the race."""
    quick = ex.load_text("""
id: q
title: Q
minutes: 1
steps:
  - rate: {ask: "{speaker}, how calm?", key: calm, who: A, limit: 0.1}
""")
    journal = MemoryJournal()
    session = S.Session(quick, {"A": "Sam", "B": "Alex"})
    ears = SettlingEars([(0.3, Heard(Cue.NUMBER, 7))])
    outcome = Runner(session, InstantVoice(), ears, QuietView(), journal, "id").run()
    assert outcome is S.Outcome.COMPLETED
    assert ("rating", (0, "calm", "A", "Sam", 7)) in journal.calls


def test_typed_text_shows_a_pause_and_the_cues_that_work_when_a_line_is_not_one():
    from click.testing import CliRunner

    from voicecoach.cli.commands import cli

    typed = "next\nblah\npause\nresume\n7\n6\n"
    result = CliRunner().invoke(cli, ["start", "daily-check-in", "--text", "--time-scale", "0", "--no-listen",
                                      "--no-log"], input=typed, catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "  'blah': not a cue I know; you can type: next, I'm done, pause, repeat, skip, slower, faster, stop" \
        in lines
    paused = lines.index("  Paused: type resume to go on, or stop to end.")
    assert lines[paused - 1] == "  > pause" and lines[paused + 1] == "  > resume"


class PrivacyEars(ScriptedEars):
    """Remembers whether typing was hidden at each moment the session spoke."""

    def __init__(self, cues):
        super().__init__(cues)
        self.hidden = []

    def hide_typing(self, hidden):
        self.hidden.append(hidden)


def test_typing_is_hidden_only_while_a_consent_answer_is_private():
    consent = ex.load_text("""
id: c
title: C
minutes: 1
steps:
  - consent: "{speaker}, is today a good day? Answer yes or no."
  - say: "Let's begin."
""")
    session = S.Session(consent, {"A": "Sam", "B": "Alex"})
    ears = PrivacyEars([(0.05, Heard(Cue.YES, None, Source.KEY)), (0.05, Heard(Cue.YES, None, Source.KEY))])
    assert Runner(session, InstantVoice(), ears, QuietView()).run() is S.Outcome.COMPLETED
    assert ears.hidden[0] is True and ears.hidden[-1] is False
