import random

import pytest

from voicecoach import exercise as ex
from voicecoach import session as S
from voicecoach.cues import Cue, Heard, Source


def load(text):
    return ex.load_text(text, "test.yaml")


def spoken(word):
    """A cue as the microphone would deliver it."""
    from voicecoach.cues import parse_typed

    heard = parse_typed(word)
    return Heard(heard.cue, heard.number, Source.VOICE)


LIBRARY = {path.stem: path for path in ex.builtin_files()}
CHECK_IN = ex.load_file(LIBRARY["daily-check-in"])
BOX = ex.load_file(LIBRARY["box-breathing"])
TALK = ex.load_file(LIBRARY["speaker-listener"])

TURN_TEXT = """
id: t
title: T
minutes: 1
steps:
  - say: "Hello {A} and {B}."
  - turn: {speaker: each, prompt: "{speaker}, go ahead.", listener: "{listener}, listen.", limit: 90}
  - rate: {ask: "{speaker}, how close?", key: close, low: 4, if_low: gentle}
  - say: "Good."
  - goto: end
  - label: gentle
    say: "Gently now."
"""
TURN = load(TURN_TEXT)


def test_printf_example_completes_with_both_ratings(drive):
    run = drive(CHECK_IN, ["next", "7", "6"], time_scale=0)
    assert run.session.outcome is S.Outcome.COMPLETED
    assert [(r.slot, r.name, r.value) for r in run.of(S.RecordRating)] == [("A", "Sam", 7), ("B", "Alex", 6)]
    assert "Gently now." not in run.said()
    assert run.of(S.Finish) == [S.Finish(S.Outcome.COMPLETED)]


def test_names_fill_speaker_and_listener_in_turns(drive):
    run = drive(TURN, ["done", "done", "8", "9"])
    said = run.said()
    assert said[:3] == ["Hello Sam and Alex.", "Sam, go ahead.", "Alex, listen."]
    assert "Alex, go ahead." in said and "Sam, listen." in said


def test_spoken_names_differ_from_written_names():
    session = S.Session(TURN, {"A": "Siobhan", "B": "Alex"}, {"A": "Shivawn", "B": "Alex"})
    speak = next(a for a in session.start(0.0) if isinstance(a, S.Speak))
    assert speak.text == "Hello Siobhan and Alex." and speak.speech == "Hello Shivawn and Alex."


def test_turn_ends_on_done_before_its_limit(drive):
    run = drive(TURN, [(30, "I'm done"), (10, "done"), "8", "9"])
    assert run.times("Alex, go ahead.") == [30.0]
    assert "Thank you, Sam. Let's bring that to a close." not in run.said()


def test_turn_time_up_line_after_limit(drive):
    run = drive(TURN, [(200, "8"), "9"], time_scale=1)
    assert run.times("Thank you, Sam. Let's bring that to a close.") == [90.0]
    assert run.times("Alex, go ahead.") == [90.0]


def test_low_rating_takes_the_gentle_branch(drive):
    run = drive(TURN, ["done", "done", "8", "2"])
    assert run.said()[-1] == "Gently now."
    assert "Good." not in run.said()


def test_rating_not_answered_is_recorded_as_skipped(drive):
    run = drive(TURN, ["done", "done"], time_scale=0)
    assert [r.value for r in run.of(S.RecordRating)] == [None, None]
    assert run.session.outcome is S.Outcome.COMPLETED


def test_skip_a_rating_records_it_as_skipped(drive):
    run = drive(TURN, ["done", "done", "skip", "5"])
    assert [(r.slot, r.value) for r in run.of(S.RecordRating)] == [("A", None), ("B", 5)]


def test_typed_stop_ends_at_once(drive):
    run = drive(TURN, ["done", "stop", "8"])
    assert run.session.outcome is S.Outcome.STOPPED
    assert run.of(S.RecordRating) == []
    assert S.CONFIRM_STOP_LINE not in run.said()


def test_spoken_stop_asks_first_and_yes_ends(drive):
    run = drive(TURN, [spoken("stop"), spoken("yes")])
    assert S.CONFIRM_STOP_LINE in run.said()
    assert run.session.outcome is S.Outcome.STOPPED


def test_second_spoken_stop_ends(drive):
    run = drive(TURN, [spoken("stop"), spoken("stop")])
    assert run.session.outcome is S.Outcome.STOPPED


def test_spoken_stop_then_silence_ends_after_twenty_seconds(drive):
    run = drive(TURN, [(5, spoken("stop"))], input_ends=False)
    assert run.session.outcome is S.Outcome.STOPPED
    asked = run.times(S.CONFIRM_STOP_LINE)[0]
    assert run.log[-1][0] == asked + S.STOP_SILENCE_SECONDS


def test_no_is_not_a_resume_only_resume_continues(drive):
    run = drive(TURN, [(5, spoken("stop")), spoken("no"), (3, spoken("resume")), "done", "done", "8", "9"])
    assert S.STILL_PAUSED_LINE in run.said()
    assert run.session.outcome is S.Outcome.COMPLETED
    assert [r.value for r in run.of(S.RecordRating)] == [8, 9]


def test_silence_never_resumes_a_pause(drive):
    run = drive(TURN, [(5, "pause")], input_ends=True)
    assert run.session.outcome is S.Outcome.STOPPED  # nobody could say resume: it ends, it never goes on
    assert not run.of(S.RecordRating)


def test_pause_freezes_the_turn_clock(drive):
    run = drive(TURN, [(10, "pause"), (100, "resume"), (200, "8"), "9"])
    # Sam's 90 s turn started at 0, was paused from 10 to 110: time runs out at 190, not 90.
    assert run.times("Thank you, Sam. Let's bring that to a close.") == [190.0]


def test_resume_says_the_interrupted_sentence_again(drive):
    run = drive(TURN, [(1, "pause"), (4, "resume"), "done", "done", "8", "9"], sound_seconds=3)
    assert run.said()[:3] == ["Hello Sam and Alex."] * 2 + ["Sam, go ahead."]
    assert run.times("Hello Sam and Alex.") == [0.0, 5.0]


def test_repeat_says_the_step_again(drive):
    run = drive(TURN, [(1, "repeat"), "done", "done", "8", "9"], sound_seconds=3)
    assert run.said()[:3] == ["Hello Sam and Alex.", "Hello Sam and Alex.", "Sam, go ahead."]


def test_next_while_speaking_moves_on():
    session = S.Session(TURN, {"A": "Sam", "B": "Alex"})
    session.start(0.0)
    actions = session.heard(Heard(Cue.NEXT, None, Source.KEY), 1.0)
    assert S.Hush() in actions
    assert [a.text for a in actions if isinstance(a, S.Speak)] == ["Sam, go ahead."]


def test_slower_and_faster_adjust_the_voice_without_moving_on():
    session = S.Session(TURN, {"A": "Sam", "B": "Alex"})
    session.start(0.0)
    assert session.heard(Heard(Cue.SLOWER), 1.0) == [S.AdjustVoice(Cue.SLOWER)]
    assert session.index == 0


def test_a_stale_sound_does_not_move_the_session():
    session = S.Session(TURN, {"A": "Sam", "B": "Alex"})
    first = next(a for a in session.start(0.0) if isinstance(a, S.Speak))
    session.heard(Heard(Cue.REPEAT), 0.5)
    assert session.sound_finished(first.id, 1.0) == []
    assert session.index == 0


def test_cues_that_make_no_sense_now_are_ignored():
    session = S.Session(TURN, {"A": "Sam", "B": "Alex"})
    session.start(0.0)
    assert session.heard(Heard(Cue.NUMBER, 7), 0.1) == []
    assert session.heard(Heard(Cue.YES), 0.1) == []


def test_breathing_phases_land_on_schedule_without_drift(drive):
    # Speech takes time (1.3 s a phase word); phases still start exactly every 4 s from the first.
    run = drive(BOX, [], sound_seconds=1.3, time_scale=1)
    starts = run.times("Breathe in")
    assert len(starts) == 19
    assert [round(b - a, 9) for a, b in zip(starts, starts[1:])][:9] == [16.0] * 9
    first = starts[0]
    holds = [t for t in run.times("Hold") if first <= t < first + 16]
    assert holds == [first + 4, first + 12]


def test_time_scale_shrinks_waits(drive):
    run = drive(TURN, [(100, "8"), "9"], time_scale=0.5)
    assert run.times("Alex, go ahead.") == [45.0]


def test_solo_runs_only_one_partner(drive):
    run = drive(BOX, ["6"], time_scale=0, solo="B")
    assert [(r.slot, r.name, r.value) for r in run.of(S.RecordRating)] == [("B", "Alex", 6)]
    assert run.session.outcome is S.Outcome.COMPLETED


def test_ask_branches_and_default(drive):
    yes = drive(TALK, ["yes"], time_scale=0)
    no = drive(TALK, ["no"], time_scale=0)
    silent = drive(TALK, [], time_scale=0)
    topic = "Take a moment to agree on one topic, something you can both talk about calmly. Say next when you have it."
    assert topic not in yes.said() and topic in no.said() and topic not in silent.said()
    assert {r.session.outcome for r in (yes, no, silent)} == {S.Outcome.COMPLETED}


def test_decline_ends_as_declined_without_naming_anyone(drive):
    consent = load("""
id: c
title: C
minutes: 1
steps:
  - ask: {question: "Is now a good time for both of you?", if_no: decline, default: false}
  - say: "Let's begin, {A}."
""")
    run = drive(consent, ["no"])
    assert run.session.outcome is S.Outcome.DECLINED
    assert run.said() == ["Is now a good time for both of you?", S.DECLINE_LINE]
    unanswered = drive(consent, [], time_scale=0)
    assert unanswered.session.outcome is S.Outcome.DECLINED


def test_a_jump_loop_nobody_answers_ends_instead_of_spinning(drive):
    looping = load("""
id: l
title: L
minutes: 1
steps:
  - label: top
    ask: {question: "Again?", if_no: top, default: false}
""")
    run = drive(looping, [], time_scale=0)
    assert run.session.outcome is S.Outcome.STOPPED
    assert len(run.said()) == S.MAX_VISITS_PER_STEP


def test_steps_done_are_reported_once_each(drive):
    run = drive(TURN, ["done", "done", "8", "9"])
    assert [d.index for d in run.of(S.StepDone)] == [0, 1, 2, 3, 4]


BUILTINS = [ex.load_file(path) for path in ex.builtin_files()]


@pytest.mark.parametrize("exercise", BUILTINS, ids=lambda e: e.id)
def test_every_builtin_runs_to_the_end_untouched_and_its_minutes_are_honest(exercise, drive):
    consents = sum(isinstance(step, ex.Consent) for step in exercise.steps)
    yes = [Heard(Cue.YES, None, Source.KEY)] * (2 * consents)  # both partners agree; nothing else is said
    run = drive(exercise, yes, time_scale=1, solo="A" if exercise.solo else None)
    assert run.session.outcome is S.Outcome.COMPLETED
    estimate = S.estimate_seconds(exercise, partners=1 if exercise.solo else 2) / 60
    assert abs(exercise.minutes - estimate) <= 0.15 * estimate, (exercise.minutes, estimate)


@pytest.mark.parametrize("exercise", BUILTINS, ids=lambda e: e.id)
@pytest.mark.parametrize("seed", range(40))
def test_any_cues_at_any_time_always_end_cleanly(exercise, seed, drive):
    """Random cues among those each moment accepts, at random times: the session always finishes."""
    rng = random.Random(seed)
    session_cues = []
    for _ in range(rng.randrange(0, 40)):
        cue = rng.choice([c for c in Cue if c is not Cue.NUMBER] + [Cue.NUMBER] * 4)
        number = rng.randrange(0, 11) if cue is Cue.NUMBER else None
        source = rng.choice([Source.VOICE, Source.KEY, Source.TEXT])
        session_cues.append((rng.choice([0, 0.5, 3, 30]), Heard(cue, number, source)))
    run = Drive_class()(exercise, session_cues, time_scale=rng.choice([0, 0.01, 1]), sound_seconds=0.2)
    run.run()
    assert run.session.outcome is not None
    assert run.of(S.Finish) == [S.Finish(run.session.outcome)]
    for rating in run.of(S.RecordRating):
        assert rating.value is None or 0 <= rating.value <= 10


def Drive_class():
    from conftest import Drive

    return Drive


def test_estimate_counts_waits_and_speech():
    estimate = S.estimate_seconds(BOX)
    assert 19 * 16 < estimate < 19 * 16 + 120


def test_an_answer_before_the_question_ends_is_taken():
    session = S.Session(TALK, {"A": "Sam", "B": "Alex"})
    session.start(0.0)
    chime = session.sound_finished(1, 0.5)
    welcome = next(a for a in chime if isinstance(a, S.Speak))
    actions = session.sound_finished(welcome.id, 9.0)
    assert [a.text for a in actions if isinstance(a, S.Speak)] == [
        "Have you chosen one topic to talk about? Say yes or no."]
    assert Cue.YES in session.accepted and session.speaking
    actions = session.heard(Heard(Cue.YES, None, Source.KEY), 10.0)
    assert S.Hush() in actions
    assert [a.text for a in actions if isinstance(a, S.Speak)][0].startswith("Sam has the floor first.")


def test_a_rating_given_while_it_is_asked_counts(drive):
    run = drive(TURN, ["done", "done", (0.5, "8"), (0.5, "9")], sound_seconds=2)
    assert [r.value for r in run.of(S.RecordRating)] == [8, 9]


def test_no_to_shall_we_stop_stays_paused_however_long_the_silence():
    with pytest.raises(AssertionError, match="stuck in State.PAUSED"):
        drive_cls = Drive_class()
        drive_cls(TURN, [(5, spoken("stop")), spoken("no")], input_ends=False).run()


def test_skip_after_a_rating_was_given_keeps_it(drive):
    # "8" is heard during the question; "skip" comes while "Eight. Thank you." is still playing.
    run = drive(TURN, ["done", "done", (0.1, "8"), (0.5, "skip"), "9"], sound_seconds=2)
    assert [(r.slot, r.value) for r in run.of(S.RecordRating)] == [("A", 8), ("B", 9)]
    assert run.said().count("Eight. Thank you.") == 1


def test_a_phase_word_longer_than_its_phase_gives_way_to_the_next_beat(drive):
    run = drive(BOX, [], sound_seconds=6, time_scale=1)  # a very slow voice: each word outlasts its phase
    starts = run.times("Breathe in")
    assert [round(b - a, 9) for a, b in zip(starts, starts[1:])][:5] == [16.0] * 5
    hushes = [t for t, action in run.log if isinstance(action, S.Hush)]
    assert set(run.times("Hold")) <= set(hushes)  # each phase word first silences the one before


def test_a_spoken_turn_end_is_confirmed_before_the_floor_passes(drive):
    run = drive(TURN, [(20, spoken("I'm done")), spoken("yes"), "done", "8", "9"])
    said = run.said()
    assert said[said.index("Sam, go ahead.") + 2] == "Finished, Sam?"
    assert run.times("Alex, go ahead.") == [20.0]


def test_no_to_finished_gives_the_floor_back_with_the_clock_running(drive):
    run = drive(TURN, [(20, spoken("I'm done")), spoken("no"), (200, "8"), "9"])
    # Sam's 90 s turn is not restarted by the question: time is up at 90 s, as planned.
    assert run.times("Thank you, Sam. Let's bring that to a close.") == [90.0]


def test_silence_after_finished_means_yes(drive):
    run = drive(TURN, [(20, spoken("I'm done")), (60, "done"), "8", "9"])
    assert run.times("Alex, go ahead.") == [20.0 + S.CONFIRM_TURN_END_SECONDS]


def test_a_keyed_done_needs_no_confirmation(drive):
    run = drive(TURN, [(20, Heard(Cue.DONE, None, Source.KEY)), "done", "8", "9"])
    assert "Finished, Sam?" not in run.said()


def unsure(word):
    heard = spoken(word)
    return Heard(heard.cue, heard.number, Source.VOICE, unsure=True)


def test_an_unsure_rating_is_read_back_and_no_asks_again(drive):
    run = drive(TURN, ["done", "done", unsure("three"), spoken("no"), spoken("4"), unsure("six"), spoken("yes")])
    said = run.said()
    assert "I heard three. Is that right?" in said and "I heard six. Is that right?" in said
    assert said.count("Sam, how close?") == 2
    assert [r.value for r in run.of(S.RecordRating)] == [4, 6]


def test_silence_after_a_read_back_leaves_the_rating_unanswered(drive):
    """A number nobody confirmed may be wrong: it is not kept, and the session says so and goes on."""
    run = drive(TURN, ["done", "done", unsure("three"), (30, "9")])
    assert [r.value for r in run.of(S.RecordRating)] == [None, 9]
    said = run.said()
    assert said[said.index("I heard three. Is that right?") + 1] == S.UNCONFIRMED_LINE
    assert "Three. Thank you." not in said


def test_silence_after_a_read_back_of_a_question_takes_its_default(drive):
    question = load("""
id: q
title: Q
minutes: 1
steps:
  - ask: {question: "Would a pause help?", if_yes: rest, default: false}
  - say: "On we go."
  - goto: end
  - say: "Let's rest."
    label: rest
""")
    run = drive(question, [unsure("yes")])
    assert "Let's rest." not in run.said() and "On we go." in run.said()


def test_an_unsure_no_to_a_consent_question_is_confirmed(drive):
    consent = load("""
id: c
title: C
minutes: 1
steps:
  - ask: {question: "Is now a good time?", if_no: decline, default: false}
  - say: "Let's begin."
""")
    run = drive(consent, [unsure("no"), spoken("yes")])
    assert run.said()[:2] == ["Is now a good time?", "I heard no. Is that right?"]
    assert run.session.outcome is S.Outcome.DECLINED


CONSENT = load("""
id: consent
title: Consent
minutes: 1
steps:
  - consent: "{speaker}, is today a good day for this? Press y for yes, or n for not today. {listener}, please look away."
  - say: "Thank you both. Let's begin."
""")


def key(word):
    heard = spoken(word)
    return Heard(heard.cue, heard.number, Source.KEY)


def test_consent_asks_each_partner_and_goes_on_when_both_say_yes(drive):
    run = drive(CONSENT, [key("yes"), key("yes")])
    assert run.said()[0].startswith("Sam, is today a good day") and run.said()[1].startswith("Alex, is today")
    assert run.session.outcome is S.Outcome.COMPLETED


@pytest.mark.parametrize("answers", [["no"], ["yes", "no"], [], ["yes"]], ids=["A-no", "B-no", "silence", "B-silent"])
def test_any_not_today_or_silence_declines_kindly_without_saying_who(drive, answers):
    run = drive(CONSENT, [key(word) for word in answers], time_scale=0)
    assert run.session.outcome is S.Outcome.DECLINED
    assert run.said()[-1] == S.DECLINE_LINE
    assert "Let's begin" not in " ".join(run.said())
    assert run.session.last_heard is None  # nothing of the answers is kept for the screen


def test_a_first_no_means_the_second_partner_is_never_asked(drive):
    run = drive(CONSENT, [key("no")])
    assert not any(line.startswith("Alex, is today") for line in run.said())


def test_an_unsure_spoken_answer_to_consent_is_never_read_back(drive):
    run = drive(CONSENT, [unsure("yes")])
    assert run.session.outcome is S.Outcome.DECLINED
    assert not any(line.startswith("I heard") for line in run.said())


# ---- question pools ------------------------------------------------------------------------

POOLED = load("""
id: p
title: P
minutes: 1
pools:
  question: ["What made you smile?", "What was hard?", "What surprised you?", "What do you need?"]
  idea:
    pick: 2
    items: ["a walk", "a picnic", "a film"]
steps:
  - say: "Tonight's question. {question}"
  - turn: {speaker: each, prompt: "{speaker}, {question}", limit: 5}
  - say: "Some ideas: {idea}."
""")


def test_a_pool_is_picked_once_a_session_said_and_announced_once(drive):
    run = drive(POOLED, rng=random.Random(1))
    [question] = run.session.picks["question"]
    assert question in POOLED.pools["question"].items
    said = run.said()
    assert said[0] == f"Tonight's question. {question}"
    assert f"Sam, {question}" in said and f"Alex, {question}" in said
    ideas = run.session.picks["idea"]
    assert len(set(ideas)) == 2 and said[-1] == f"Some ideas: {ideas[0]} or {ideas[1]}."
    assert run.of(S.RecordPick) == [S.RecordPick("question", (question,)), S.RecordPick("idea", ideas)]


def test_recent_picks_are_avoided_next_session():
    items = POOLED.pools["question"].items
    recent = {"question": [items[0], items[1]]}  # newest first: half the pool was said lately
    for seed in range(30):
        picks = S.choose_picks(POOLED.pools, recent, random.Random(seed))
        assert picks["question"][0] in items[2:]
    seen = {S.choose_picks(POOLED.pools, {}, random.Random(seed))["question"][0] for seed in range(30)}
    assert seen == set(items)  # with nothing said lately, any item can come


def test_when_too_few_are_fresh_the_one_said_longest_ago_comes_back():
    pools = load("""
id: q
title: Q
minutes: 1
pools:
  one: ["only"]
  three: {pick: 3, items: ["a", "b", "c", "d"]}
steps:
  - say: "{one} {three}"
""").pools
    for seed in range(10):
        picks = S.choose_picks(pools, {"one": ["only"], "three": ["a", "b"]}, random.Random(seed))
        assert picks["one"] == ("only",)
        assert sorted(picks["three"]) == ["b", "c", "d"]  # "a" was said most recently


def test_a_pool_on_a_branch_not_taken_is_not_recorded(drive):
    branch = load("""
id: b
title: B
minutes: 1
pools:
  soft: ["Gently.", "Softly."]
steps:
  - rate: {ask: "{speaker}, how close?", key: close, low: 4, if_low: gentle}
  - goto: end
  - label: gentle
    say: "{soft}"
""")
    assert drive(branch, ["8", "9"]).of(S.RecordPick) == []
    assert len(drive(branch, ["2", "9"]).of(S.RecordPick)) == 1


# ---- a time to come back after a time-out ----------------------------------------------------

HURT = ex.load_file(LIBRARY["hurt-conversation"])


@pytest.mark.parametrize("now, offered", [
    ((18, 10), "8:30 this evening"),
    ((14, 0), "4 this afternoon"),
    ((7, 10), "9:30 this morning"),
    ((19, 30), "7 tomorrow evening"),
    ((23, 45), "7 tomorrow evening"),
    ((2, 0), "7 tomorrow evening"),
])
def test_the_offered_time_is_a_waking_hour_within_a_day(now, offered):
    from datetime import datetime

    from voicecoach.session import resume

    start = datetime(2026, 11, 26, *now)
    at = resume.offer(start)
    assert resume.spoken(at, start) == offered
    assert 1.9 * 3600 <= (at - start).total_seconds() <= 24 * 3600


def test_a_time_out_offers_a_time_and_says_the_agreed_one_back(drive):
    from datetime import datetime

    yes, no = Heard(Cue.YES, None, Source.KEY), Heard(Cue.NO, None, Source.KEY)
    run = drive(HURT, [yes, yes, no, yes], time_scale=0, wall_clock=datetime(2026, 11, 26, 18, 10))
    said = run.said()
    assert "Shall we come back to this at 8:30 this evening? Say yes if that works for you both, " \
           "or no to choose another time." in said
    assert any(line.startswith("Good. You will come back to this at 8:30 this evening.") for line in said)
    assert run.session.outcome is S.Outcome.COMPLETED


def test_a_time_out_declined_time_lets_them_choose_their_own(drive):
    from datetime import datetime

    yes, no = Heard(Cue.YES, None, Source.KEY), Heard(Cue.NO, None, Source.KEY)
    run = drive(HURT, [yes, yes, no, no], time_scale=0, wall_clock=datetime(2026, 11, 26, 22, 0))
    said = run.said()
    assert any("7 tomorrow evening" in line for line in said)
    assert any(line.startswith("Then choose a time that suits you both, within the next day") for line in said)
    assert not any(line.startswith("Good. You will come back") for line in said)


def test_roles_in_the_hurt_conversation_are_agreed_aloud_each_time_and_never_named(drive):
    """Which partner was hurt is chosen by the couple at the start and never reaches the engine or journal."""
    texts = [getattr(step, "text", None) or "" for step in HURT.steps]
    role_lines = [text for text in texts if "partner who" in text]
    assert role_lines and all("{A}" not in text and "{B}" not in text for text in role_lines)
    assert any("agree, between yourselves, which role" in text for text in texts[:6])
    yes = Heard(Cue.YES, None, Source.KEY)
    run = drive(HURT, [yes, yes, yes, "8", "8"], time_scale=0)
    recorded = [a for a in run.of(S.RecordRating)] + run.of(S.RecordPick)
    assert all("hurt" not in repr(a) for a in recorded)  # what the runner writes carries no role


# ---- when ratings stay low, a couples therapist ------------------------------------------------

def therapist_said(run):
    return [line for line in run.said() if line.startswith(S.THERAPIST_LINE)]


@pytest.mark.parametrize("history, now, suggested", [
    ([{"A": 3, "B": 6}, {"A": 5, "B": 2}], ["3", "7"], True),    # low three times
    ([{"A": 9, "B": 5}, {"A": 8, "B": 4}], ["9", "5"], True),    # far apart three times
    ([{"A": 3, "B": 6}, {"A": 5, "B": 2}], ["7", "8"], False),   # fine today
    ([{"A": 3, "B": 6}, {"A": 7, "B": 7}], ["3", "7"], False),   # one good session between
    ([{"A": 3, "B": 6}], ["3", "7"], False),                     # not enough history yet
    ([], ["2", "2"], False),
])
def test_a_therapist_is_suggested_only_after_sustained_low_ratings(history, now, suggested, drive):
    run = drive(TURN, ["done", "done"] + now, rating_history={"close": history})
    assert bool(therapist_said(run)) is suggested
    assert len(therapist_said(run)) <= 1
    if suggested:  # after everything else, just before the end, and never blaming anyone
        assert run.said()[-1].startswith(S.THERAPIST_LINE)
        assert "nobody's fault" in run.said()[-1]


def test_the_suggestion_names_the_saved_helplines(drive):
    history = {"close": [{"A": 1, "B": 2}, {"A": 2, "B": 1}]}
    run = drive(TURN, ["done", "done", "2", "2"], rating_history=history, helplines="Relate 0300 003 0396")
    assert run.said()[-1].endswith("the places to turn to that you saved are: Relate 0300 003 0396.")


def test_no_suggestion_after_a_stop_alone_or_after_self_care(drive):
    history = {"close": [{"A": 1, "B": 2}, {"A": 2, "B": 1}]}
    stop = Heard(Cue.STOP, None, Source.KEY)
    rated_then_quiet = load("""
id: r
title: R
minutes: 1
steps:
  - rate: {ask: "{speaker}, how close?", key: close, low: 4, if_low: quiet}
  - label: quiet
    pause: 30
  - say: "The end."
""")
    stopped = drive(rated_then_quiet, ["2", "2", (5, stop)], rating_history=history)
    assert stopped.session.outcome is S.Outcome.STOPPED and stopped.session.suggest_therapist  # noticed
    assert therapist_said(stopped) == []  # but a stop always wins
    solo = drive(TURN, ["2"], rating_history=history, solo="A")
    assert therapist_said(solo) == []
    calm = drive(BOX, ["2", "2"], rating_history={"calm": [{"A": 1, "B": 2}, {"A": 2, "B": 1}]})
    assert calm.session.outcome is S.Outcome.COMPLETED and therapist_said(calm) == []  # self-care


def test_the_suggestion_is_remembered_by_day_and_not_repeated_within_a_week(drive):
    from datetime import datetime

    history = {"close": [{"A": 1, "B": 2}, {"A": 2, "B": 1}]}
    thursday = datetime(2026, 11, 26, 20, 0)
    first = drive(TURN, ["done", "done", "9", "5"], rating_history=history, wall_clock=thursday)
    assert len(therapist_said(first)) == 1
    assert first.of(S.RecordPick) == [S.RecordPick(S.THERAPIST_POOL, ("2026-11-26",))]
    for days_said, suggested in ((["2026-11-26"], False), (["2026-11-20"], False), (["2026-11-19"], True)):
        again = drive(TURN, ["done", "done", "9", "5"], rating_history=history, wall_clock=thursday,
                      recent_picks={S.THERAPIST_POOL: days_said})
        assert bool(therapist_said(again)) is suggested, days_said


def test_no_suggestion_when_the_gentle_path_already_named_a_therapist(drive):
    history = {"close": [{"A": 1, "B": 2}, {"A": 2, "B": 1}]}
    gentle = load(TURN_TEXT.replace("Gently now.", "Gently now. A couples therapist can help."))
    run = drive(gentle, ["done", "done", "2", "2"], rating_history=history)
    assert "Gently now. A couples therapist can help." in run.said()
    assert therapist_said(run) == [] and run.of(S.RecordPick) == []


# ---- every branch of every exercise ------------------------------------------------------------

def answering(exercise, answers, rating):
    """Run with every consent agreed, the questions answered in turn from `answers` (the last one
    repeating), every rating `rating`."""
    from datetime import datetime

    session = S.Session(exercise, {"A": "Sam", "B": "Alex"}, solo="A" if exercise.solo else None,
                        time_scale=0, rng=random.Random(0), wall_clock=datetime(2026, 11, 26, 18, 0))
    done, sounds = [], []

    def take(actions):
        for action in actions:
            if isinstance(action, (S.Speak, S.PlayChime)):
                sounds.append(action.id)
            elif isinstance(action, S.StepDone):
                done.append(action.index)

    take(session.start(0.0))
    for _ in range(5000):
        if session.finished:
            return session.outcome, set(done)
        accepted = session.accepted
        if session.speaking:
            take(session.sound_finished(sounds[-1], 0.0))
        elif Cue.YES in accepted:
            agree = isinstance(session.step, ex.Consent) or (answers.pop(0) if len(answers) > 1 else answers[0])
            take(session.heard(Heard(Cue.YES if agree else Cue.NO, None, Source.KEY), 0.0))
        elif Cue.NUMBER in accepted:
            take(session.heard(Heard(Cue.NUMBER, rating, Source.KEY), 0.0))
        else:
            take(session.tick(session.deadline))
    raise AssertionError("did not finish")


@pytest.mark.parametrize("exercise", BUILTINS, ids=lambda e: e.id)
def test_every_builtin_completes_through_all_its_branches(exercise):
    reached = set()
    for answers in ([True], [False], [False, True]):
        for rating in (8, 2):
            outcome, done = answering(exercise, list(answers), rating)
            assert outcome is S.Outcome.COMPLETED, (answers, rating)
            reached |= done
    unreached = [exercise.steps[i].line for i in range(len(exercise.steps)) if i not in reached]
    assert unreached == [], f"steps on lines {unreached} are never reached"


def test_next_while_breathing_moves_on_by_one_round_not_the_whole_block(drive):
    breathing = load("id: b\ntitle: B\nminutes: 1\nsteps:\n  - breathe: {in: 4, out: 4, rounds: 3}\n"
                     "  - say: 'Halfway there.'\n")
    run = drive(breathing, [(1.0, "next")])  # in the first breath in
    phases = [(t, a.text) for t, a in run.log if isinstance(a, S.Speak)]
    # the first round cut short at 1 s; rounds two and three whole, on their own beat from there
    assert phases == [(0.0, "Breathe in"), (1.0, "Breathe in"), (5.0, "Breathe out"), (9.0, "Breathe in"),
                      (13.0, "Breathe out"), (17.0, "Halfway there.")]


def test_done_pressed_while_the_turn_prompt_is_read_ends_the_turn(drive):
    run = drive(TURN, [(0.5, key("d"))], sound_seconds=2.0)  # half a second into "Sam, go ahead."
    said = run.said()
    assert said[:3] == ["Hello Sam and Alex.", "Sam, go ahead.", "Alex, go ahead."]
    assert not [line for line in said if line.startswith("Time") or line.startswith("Finished")]


def test_the_suggestion_comes_before_the_closing_bell_not_after_it(drive):
    from datetime import datetime

    history = {"connection": [{"A": 1, "B": 2}, {"A": 2, "B": 1}]}  # low in the two sessions before
    run = drive(CHECK_IN, ["next", "2", "2"], time_scale=0, rating_history=history, recent_picks={},
                wall_clock=datetime(2026, 11, 26, 20, 0))
    sounds = [action for _, action in run.log if isinstance(action, (S.Speak, S.PlayChime))]
    named = [i for i, a in enumerate(sounds) if isinstance(a, S.Speak) and "therapist" in a.text]
    assert len(named) == 1  # the gentle path names one; the end adds no second suggestion
    assert isinstance(sounds[-1], S.PlayChime) and sounds[-1].sound == "bell"
    assert run.of(S.RecordPick)[-1] == S.RecordPick(S.THERAPIST_POOL, ("2026-11-26",))


def test_within_a_week_the_gentle_path_leaves_out_its_sentence_naming_a_therapist(drive):
    from datetime import datetime

    thursday = datetime(2026, 11, 26, 20, 0)
    run = drive(CHECK_IN, ["next", "2", "2"], time_scale=0, wall_clock=thursday,
                recent_picks={S.THERAPIST_POOL: ["2026-11-24"]})
    assert not any("therapist" in line for line in run.said())
    assert "You can stop here for today, or come back to this tomorrow." in run.said()
    week_on = drive(CHECK_IN, ["next", "2", "2"], time_scale=0, wall_clock=thursday,
                    recent_picks={S.THERAPIST_POOL: ["2026-11-18"]})
    assert sum("therapist" in line for line in week_on.said()) == 1


def test_the_far_apart_suggestion_goes_before_a_closing_bell(drive):
    ending = load(TURN_TEXT.replace('  - say: "Good."\n  - goto: end\n', '  - say: "Good."\n  - goto: bell\n')
                  + "  - label: bell\n    chime: bell\n")
    history = {"close": [{"A": 9, "B": 5}, {"A": 8, "B": 4}]}
    run = drive(ending, ["done", "done", "9", "5"], rating_history=history)
    sounds = [a for _, a in run.log if isinstance(a, (S.Speak, S.PlayChime))]
    assert sounds[-2].text.startswith(S.THERAPIST_LINE) and sounds[-1] == S.PlayChime("bell", sounds[-1].id)


@pytest.mark.parametrize("backwards", [False, True])
def test_five_hundred_chained_gotos_run_without_recursion(backwards):
    """Each goto ends at once and enters the next step; written forwards or backwards, the chain
    of 500 is walked in a loop, not 500 nested calls (a RecursionError before)."""
    from conftest import Drive

    count = 500
    order = reversed(range(count)) if backwards else range(count)
    links = "".join(f"  - label: g{i}\n    goto: {f'g{i + 1}' if i + 1 < count else 'last'}\n" for i in order)
    chain = load("id: chain\ntitle: Chain\nminutes: 1\nsteps:\n  - goto: g0\n" + links
                 + "  - label: last\n    say: The end.\n")
    drive = Drive(chain).run()
    assert drive.session.outcome is S.Outcome.COMPLETED
    said = [action.text for _, action in drive.log if isinstance(action, S.Speak)]
    assert said[-1] == "The end."


def test_what_was_heard_is_shown_until_the_next_part_begins_not_into_it(drive):
    """The panel's "heard: I'm done" from Sam's turn stayed on into Alex's turn, as if Alex had
    said it already."""
    from conftest import Drive

    run = Drive(TURN, ["done", "done", "8", "9"])
    shown = {}
    record = run._record

    def recording(actions):
        record(actions)
        for action in actions:
            if isinstance(action, S.Speak) and action.text in ("Sam, go ahead.", "Alex, go ahead.",
                                                               "Eight. Thank you.", "Alex, how close?"):
                heard = run.session.view().last_heard
                shown[action.text] = heard.cue if heard else None

    run._record = recording
    run.run()
    assert shown == {"Sam, go ahead.": None, "Alex, go ahead.": None, "Eight. Thank you.": Cue.NUMBER,
                     "Alex, how close?": None}
