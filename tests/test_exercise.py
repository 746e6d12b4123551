import pytest

from voicecoach import exercise as ex
from voicecoach.errors import ExerciseError

GOOD = """\
id: mine
title: Mine
minutes: 3
tags: [test]
steps:
  - say: "Hello {A} and {B}."
  - pause: 5
  - breathe: {in: 4, hold: 2, out: 6, rounds: 2}
  - chime: bell
  - turn: {speaker: each, prompt: "{speaker}, speak.", listener: "{listener}, listen.", limit: 60}
  - rate: {ask: "{speaker}, how calm?", key: calm, low: 3, if_low: soft}
  - ask: {question: "More?", if_no: end, if_yes: soft}
  - label: soft
    say: "Softly."
"""


def problems(text, name="x.yaml"):
    with pytest.raises(ExerciseError) as caught:
        ex.load_text(text, name)
    return [str(p) for p in caught.value.problems]


def test_a_complete_file_loads_into_steps():
    loaded = ex.load_text(GOOD, "mine.yaml")
    assert [s.kind for s in loaded.steps] == ["say", "pause", "breathe", "chime", "turn", "rate", "ask", "say"]
    breathe = loaded.steps[2]
    assert (breathe.inhale, breathe.hold, breathe.exhale, breathe.hold_after, breathe.rounds) == (4, 2, 6, 0, 2)
    assert loaded.labels == {"soft": 7}
    assert loaded.steps[7].line == 13
    assert len(loaded.digest) == 64


def test_every_builtin_exercise_is_valid_and_names_its_basis():
    exercises, trouble = ex.all_exercises()
    assert trouble == []
    assert {"daily-check-in", "box-breathing", "speaker-listener"} <= {e.id for e in exercises}
    for exercise in exercises:
        assert exercise.basis and exercise.description and exercise.notes


def test_unknown_key_names_the_line_and_suggests():
    text = GOOD.replace("  - turn: {speaker", "  - turn: {speeker")
    assert problems(text) == ["x.yaml:10: unknown key 'speeker' in 'turn' (did you mean 'speaker'?)"]


def test_unknown_top_level_key_and_step_kind():
    text = GOOD.replace("tags:", "tagz:").replace("  - chime: bell", "  - chimes: bell")
    found = problems(text)
    assert "x.yaml:4: unknown key 'tagz' (did you mean 'tags'?)" in found
    assert "x.yaml:9: unknown step kind 'chimes' (did you mean 'chime'?)" in found


def test_wrong_type_and_missing_field():
    text = GOOD.replace("  - pause: 5", "  - pause: soon").replace("key: calm, ", "")
    found = problems(text)
    assert "x.yaml:7: 'seconds' must be a number of seconds from 0.1 to 10800" in found
    assert "x.yaml:11: 'rate' is missing 'key'" in found


@pytest.mark.parametrize("minutes", ["99999999", "1.0e+400", ".inf", ".nan", "0"])
def test_minutes_out_of_range_names_the_range(minutes):
    text = GOOD.replace("minutes: 3", f"minutes: {minutes}")
    assert problems(text) == ["x.yaml:3: 'minutes' must be a number of minutes above 0 and at most 600"]


def test_unknown_key_with_no_close_match_lists_the_keys_that_work():
    text = GOOD.replace("limit: 60}", "limit: 60, colour: red}")
    assert problems(text) == ["x.yaml:10: unknown key 'colour' in 'turn'; allowed keys: speaker, prompt, listener, "
                              "limit, time_up"]
    assert problems(GOOD.replace("  - chime: bell", "  - bong: bell")) == [
        "x.yaml:9: unknown step kind 'bong'; step kinds: say, pause, breathe, chime, turn, rate, ask, consent, goto"]


def test_missing_top_level_fields():
    assert problems("title: Nothing else\n") == [
        "x.yaml:1: missing 'id'", "x.yaml:1: missing 'minutes'", "x.yaml:1: missing 'steps'"]


def test_jump_to_unknown_label():
    text = GOOD.replace("if_yes: soft", "if_yes: sfot")
    assert problems(text) == ["x.yaml:12: jump to unknown label 'sfot' (did you mean 'soft'?)"]


def test_unknown_name_in_text():
    text = GOOD.replace("Softly.", "Softly, {speaker}.").replace("Hello {A}", "Hello {C}")
    found = problems(text)
    assert any(p.startswith("x.yaml:6: unknown name {C}") for p in found)
    assert any(p.startswith("x.yaml:13: unknown name {speaker}") for p in found)


def test_duplicate_key_and_label():
    assert problems("id: a\nid: b\n") == ["x.yaml:2: not valid YAML: duplicate key 'id'"]
    text = GOOD.replace("  - pause: 5", "  - label: soft\n    pause: 5")
    assert "x.yaml:14: label 'soft' is used twice" in problems(text)


def test_solo_exercise_cannot_have_turns():
    assert problems(GOOD.replace("tags: [test]", "tags: [test]\nsolo: true")) == [
        "x.yaml:5: a solo exercise cannot have turns (a turn needs two partners)"]


def test_goto_loop_without_any_other_step_is_refused():
    text = GOOD + "  - label: a\n    goto: b\n  - label: b\n    goto: a\n"
    assert any(p.startswith("x.yaml:17: 'goto: a' goes round again") for p in problems(text))


def test_a_loop_back_over_steps_that_wait_for_nobody_is_refused_at_its_goto():
    text = GOOD.replace('  - label: soft\n    say: "Softly."\n',
                        '  - label: soft\n    say: "Softly."\n  - pause: 5\n  - breathe: {in: 4, out: 4}\n'
                        '  - goto: soft\n')
    assert problems(text) == ["x.yaml:17: 'goto: soft' goes round again with no turn, rate, ask or consent step "
                              "on the way, so it would repeat with nobody answering; put one of those in the loop "
                              "(an ask can offer another round) or jump forward"]


def test_a_loop_through_a_question_is_a_choice_and_loads():
    text = GOOD.replace("if_yes: soft", "if_yes: again").replace("  - say: \"Hello {A} and {B}.\"",
                                                                  "  - label: again\n    say: \"Hello.\"")
    assert ex.load_text(text + "  - goto: again\n", "x.yaml").labels["again"] == 0


@pytest.mark.parametrize("content, message", [
    (b"id: a\ntitle: A\nminutes: 1\nsteps:\n  - say: Hi\n\t- say: Bye\n",
     "x.yaml:6: this line is indented with a tab; YAML needs spaces: replace the tab with spaces"),
    (b"id: a\ntitle: A\nminutes: 1\nsteps:\n  - say: Hi\n - say: Bye\n",
     "x.yaml:6: not valid YAML: did not find expected key; check the indentation: the items under 'steps:' "
     "each start with '- ' in the same column"),
    (b"id: a\ntitle: A\nminutes: 1\nsteps:\n  - say: \"Hi\n  - say: Bye\n  - chime: bell\n",
     "x.yaml:5: a quote opens on this line and is not closed (YAML read on to line 8"),
    (b"", "x.yaml:1: the file is empty; an exercise needs id, title, minutes and steps"),
    (b"id: [unclosed\n", "x.yaml:2: not valid YAML"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "x.yaml: is a binary file, not a YAML exercise"),
    (b"id: caf\xe9\n", "x.yaml:1: is not UTF-8 text"),
    (b"- just\n- a list\n", "x.yaml:1: an exercise must be a mapping"),
    (b"[" * 5000 + b"]" * 5000, "x.yaml"),  # C parser: ":1: ... maximum nesting depth"; Python: "nested too deeply"
])
def test_bad_files_give_one_clear_line(tmp_path, content, message):
    path = tmp_path / "x.yaml"
    path.write_bytes(content)
    with pytest.raises(ExerciseError) as caught:
        ex.load_file(path)
    text = str(caught.value.problems[0]).replace(str(tmp_path) + "/", "")
    assert text.startswith(message)


def test_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024)
    with pytest.raises(ExerciseError) as caught:
        ex.load_file(path)
    assert "big.yaml: too large (10.5 MB); an exercise file is at most 1 MB" in str(caught.value)


def test_find_by_id_by_path_and_unknown(tmp_path):
    assert ex.find("box-breathing").id == "box-breathing"
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    assert ex.find(str(path)).id == "mine"
    with pytest.raises(ExerciseError) as caught:
        ex.find("daily-checkin")
    assert "did you mean 'daily-check-in'?" in str(caught.value)


def test_user_exercise_with_a_builtin_id_is_refused(home):
    folder = home / "exercises"
    folder.mkdir(parents=True)
    (folder / "copy.yaml").write_text(GOOD.replace("id: mine", "id: box-breathing"))
    (folder / "mine.yaml").write_text(GOOD)
    exercises, trouble = ex.all_exercises()
    assert [e.id for e in exercises].count("box-breathing") == 1
    assert "mine" in [e.id for e in exercises]
    assert len(trouble) == 1 and "already used" in str(trouble[0])


def test_the_readme_example_is_a_valid_exercise():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    loaded = ex.load_text(block, "README.md")
    assert loaded.id == "evening-wind-down"


def test_unknown_chime_and_format_specs_are_refused():
    text = GOOD.replace("chime: bell", "chime: gong").replace('"Softly."', '"Softly {A:d} {B!r}."')
    found = problems(text)
    assert "x.yaml:9: unknown chime 'gong'; chimes: bell, turn, start" in found
    assert any(p.startswith("x.yaml:13: only plain names like {A} go in braces") for p in found)


def test_a_long_chain_of_gotos_is_checked_quickly():
    import time

    steps = "".join(f"  - label: a{i}\n    goto: a{i + 1}\n" for i in range(20000))
    text = "id: g\ntitle: G\nminutes: 1\nsteps:\n" + steps + "  - label: a20000\n    say: End.\n"
    started = time.monotonic()
    assert len(ex.load_text(text).steps) == 20001
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_special_files_are_refused_without_reading(tmp_path, special):
    import os

    if special == "fifo":
        special = str(tmp_path / "fifo")
        os.mkfifo(special)
    with pytest.raises(ExerciseError) as caught:
        ex.load_file(special)
    assert str(caught.value) == f"{special}: is not a regular file"


def test_deep_nesting_is_refused_as_invalid_yaml(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_bytes(b"[" * 5000 + b"]" * 5000)
    with pytest.raises(ExerciseError) as caught:
        ex.load_file(path)
    message = str(caught.value)
    assert "not valid YAML" in message and ("nest" in message)


def test_new_writes_a_starting_file_that_checks_lists_and_runs(home):
    path = ex.new_file("evening-talk")
    assert path == home / "exercises" / "evening-talk.yaml"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    loaded = ex.load_file(path)
    assert "evening-talk" in [e.id for e in ex.all_exercises()[0]]
    from voicecoach import session

    estimate = session.estimate_seconds(loaded) / 60
    assert abs(loaded.minutes - estimate) <= 0.15 * estimate
    with pytest.raises(ExerciseError, match="already exists"):
        ex.new_file("evening-talk")
    with pytest.raises(ExerciseError, match="is a built-in exercise"):
        ex.new_file("box-breathing")
    with pytest.raises(ExerciseError, match="short name of lower-case letters"):
        ex.new_file("Bad Id")


def test_the_example_in_docs_exercises_is_valid_and_honest():
    from pathlib import Path

    from voicecoach import session

    guide = (Path(__file__).parent.parent / "docs" / "EXERCISES.md").read_text()
    examples = [block.split("```", 1)[0] for block in guide.split("```yaml\n")[1:]]
    complete = [ex.load_text(block, "EXERCISES.md") for block in examples if block.startswith(("id:", "#"))
                and "\nsteps:" in block]
    assert complete, "the guide has a complete example"
    for loaded in complete:
        estimate = session.estimate_seconds(loaded) / 60
        assert abs(loaded.minutes - estimate) <= 0.15 * estimate


POOLED = """\
id: pooled
title: Pooled
minutes: 1
pools:
  question:
    - "What made you smile today?"
    - "What was hard today, {listener}?"
  idea: {pick: 2, items: ["a walk", "a picnic"]}
steps:
  - turn: {speaker: each, prompt: "{speaker}, {question}", limit: 30}
  - say: "Ideas: {idea}."
"""


def test_pools_load_with_their_items_and_picks():
    loaded = ex.load_text(POOLED, "x.yaml")
    assert loaded.pools["question"].items == ("What made you smile today?", "What was hard today, {listener}?")
    assert (loaded.pools["question"].pick, loaded.pools["idea"].pick) == (1, 2)


@pytest.mark.parametrize("change, message", [
    (("{question}", "{qestion}"), "x.yaml:10: unknown name {qestion} in the text (did you mean 'question'?)"),
    (('idea: {pick: 2, items: ["a walk", "a picnic"]}', "idea: []"),
     "x.yaml:8: pool 'idea' is empty; give it a list of items"),
    (('items: ["a walk", "a picnic"]', "items: []"), "x.yaml:8: pool 'idea' is empty"),
    (("pick: 2", "pick: 3"), "x.yaml:8: 'pick' must be a whole number from 1 to the number of items (2)"),
    (('"a picnic"', '"a walk"'), "x.yaml:8: pool 'idea' has the same item twice"),
    (('"a picnic"', '"a {C}"'), "x.yaml:8: unknown name {C} in the text"),
    (("pools:\n", "pools:\n  resume-time: [soon]\n"), "x.yaml:5: 'resume-time' is a name voicecoach fills in itself"),
    (("Ideas: {idea}.", "Ideas."), "x.yaml:8: pool 'idea' is never used"),
    (("Ideas: {idea}.", "Ideas: {idea}. {question}"), "x.yaml:11: pool 'question' uses {speaker} or {listener}"),
    (("pick: 2", "pik: 2"), "x.yaml:8: unknown key 'pik' in pool 'idea' (did you mean 'pick'?)"),
    (("pools:\n  question:", "pools: [a]\nxpools:\n  question:"), "x.yaml:4: 'pools' must list pools by name"),
])
def test_pool_mistakes_name_the_line(change, message):
    found = problems(POOLED.replace(*change))
    assert any(p.startswith(message) for p in found), found


def test_resume_time_is_a_name_any_line_can_use():
    text = GOOD.replace('"Softly."', '"Shall we come back at {resume-time}?"')
    assert ex.load_text(text).steps[-1].text.endswith("{resume-time}?")


def test_closeness_exercises_are_exactly_the_touch_exercises():
    """The schedule and stats treat `touch` as the closeness exercises that never count toward streaks."""
    exercises, _ = ex.all_exercises()
    closeness = {e.id for e in exercises if "closeness" in e.tags}
    touch = {e.id for e in exercises if "touch" in e.tags}
    assert closeness == touch == {"sensate-focus-1", "closeness-without-pressure"}


def test_the_daily_exercises_use_question_pools():
    for exercise_id in ("daily-check-in", "appreciation-practice", "date-night-plan", "temperature-reading",
                        "shared-hobby"):
        assert ex.find(exercise_id).pools, exercise_id


def test_a_pool_with_a_mistake_is_reported_once_not_again_where_it_is_used():
    assert problems(POOLED.replace('idea: {pick: 2, items: ["a walk", "a picnic"]}', "idea: []")) == [
        'x.yaml:8: pool \'idea\' is empty; give it a list of items, like ["a walk", "a picnic"]']


def test_a_time_up_line_of_a_turn_each_partner_takes_fits_the_other_partners_turn_after_it():
    """After the first partner's time is up the second one's turn begins: the line must not close the day."""
    closing = ("for today", "next part", "brings us to", "that's all", "we'll stop")
    for exercise in ex.all_exercises()[0]:
        for step in exercise.steps:
            if isinstance(step, ex.Turn) and step.speaker == "each":
                assert not any(words in step.time_up.lower() for words in closing), (exercise.id, step.line)


def test_consent_questions_say_how_to_answer_in_words_that_fit_keys_typing_and_voice():
    """A question that says only "press y" leaves out a couple answering aloud, or typing in --text mode."""
    questions = [step.question for exercise in ex.all_exercises()[0] for step in exercise.steps
                 if isinstance(step, ex.Consent)]
    assert len(questions) >= 3
    for question in questions:
        assert "press" not in question.lower() and "answer yes, or no" in question.lower(), question


def test_an_alias_bomb_is_refused_before_it_is_expanded():
    levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for name, previous in zip("bcdefghi", "abcdefgh"):
        levels.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    text = "\n".join(levels) + "\nid: bomb\ntitle: Bomb\nminutes: 1\nsteps: *i\n"
    with pytest.raises(ExerciseError) as error:
        ex.load_text(text, "bomb.yaml")
    [problem] = error.value.problems
    assert "expand to over 20,000 values" in problem.message and len(str(error.value)) < 200


def test_a_few_aliases_are_fine():
    text = ("id: twice\ntitle: Twice\nminutes: 1\nsteps:\n  - &calm {say: 'Breathe out slowly.'}\n"
            "  - pause: 2\n  - *calm\n")
    assert [step.text for step in ex.load_text(text, "twice.yaml").steps if step.kind == "say"] == \
        ["Breathe out slowly.", "Breathe out slowly."]
