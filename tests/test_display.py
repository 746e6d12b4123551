import io

from rich.console import Console

from voicecoach import exercise as ex
from voicecoach import session as S
from voicecoach import view as display
from voicecoach.cues import Cue, Heard, Source


def test_the_live_panel_shows_step_turn_countdown_last_cue_and_keys():
    session, now = _at_sams_turn()
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    view = display.LiveView(console, "Daily check-in")
    console.print(view._render(session.view(), now=now + 30))
    text = console.file.getvalue()
    assert "Turn: Sam" in text
    assert "1:00" in text  # a 90 s turn, 30 s in
    assert "step 4 of 13" in text
    assert "heard: -" in text  # the "next" that led here was the last step's
    assert "[d] I'm done" in text and "[q] stop" in text and "[0-9 t]" not in text
    session.heard(Heard(Cue.LOUDER, None, Source.VOICE), now + 31)
    assert "heard: louder" in _panel(view, session, now + 31)


ODD = ex.load_text('id: odd\ntitle: "Odd [/] title [bold]x"\nminutes: 1\nsteps:\n'
                   '  - say: "Breathe [in] slowly [/] then \\e]52;c;aGk=\\a and \\e[31mred\\e[0m."\n'
                   '  - rate: {ask: "{speaker}, how [slowly] calm?", key: calm, who: A}\n', "odd.yaml")


def test_text_from_files_and_settings_is_shown_as_written_never_as_markup_or_raw_control_codes():
    session = S.Session(ODD, {"A": "Sam [/]", "B": "Alex"})
    actions = session.start(0.0)
    for make in (lambda c: display.PlainView(c, ODD.title, show_keys=True), lambda c: display.LiveView(c, ODD.title)):
        console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None)
        view = make(console)
        view.start()
        view.said(actions[0].text if isinstance(actions[0], S.Speak) else session.last_text)
        view.heard("Sam [/]")
        view.note("'[bold]x': not a cue I know")
        console.print(view._render(session.view(), 0.0)) if isinstance(view, display.LiveView) else None
        view.close()
        text = console.file.getvalue()
        assert "Odd [/] title [bold]x" in text
        assert "Breathe [in] slowly [/] then \\x1b]52;c;aGk=\\x07 and \\x1b[31mred\\x1b[0m." in text
        assert "\x1b]52" not in text and "\x07" not in text and "> Sam [/]" in text and "'[bold]x'" in text
    assert "Sam [/] calm 7" in display.summary(_rated(session), "completed", logged=False)


def _rated(session):
    session.ratings.append(S.RecordRating(1, "calm", "A", "Sam [/]", 7))
    return session


def _at_sams_turn():
    session = S.Session(ex.find("daily-check-in"), {"A": "Sam", "B": "Alex"})
    session.start(0.0)
    now = 0.0
    while not (session.step.kind == "turn" and not session.speaking):  # to the start of Sam's turn
        now += 1.0
        if session.speaking:
            session.sound_finished(session._waiting.action.id, now)
        else:
            session.heard(Heard(Cue.NEXT, None, Source.KEY), now)
    return session, now


def _panel(view, session, now):
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    console.print(view._render(session.view(), now=now))
    return console.file.getvalue()


def test_during_a_turn_the_panel_shows_the_speakers_prompt_first_then_the_listeners_line():
    session, now = _at_sams_turn()
    view = session.view()
    assert view.text.startswith("Sam, ") and view.aside.startswith("Alex, ")  # the prompt, then the listener
    text = " ".join(_panel(display.LiveView(Console(), "Daily check-in"), session, now).split())
    prompt, listener = view.text[:40], view.aside[:30]
    assert prompt in text and listener in text
    assert text.index(prompt[:40]) < text.index(listener[:30])


def test_with_no_microphone_the_panel_names_the_key_for_what_the_moment_asks():
    session, now = _at_sams_turn()
    keys_only = _panel(display.LiveView(Console(), "Daily check-in", listening=False), session, now)
    listening = _panel(display.LiveView(Console(), "Daily check-in", listening=True), session, now)
    assert "Keys only: press d when you are done" in keys_only and "Keys only" not in listening
    session.heard(Heard(Cue.PAUSE, None, Source.KEY), now + 1)
    assert "Keys only: press p to go on, or q to end" in _panel(display.LiveView(Console(), "D", listening=False),
                                                               session, now + 1)
    first = S.Session(ex.find("daily-check-in"), {"A": "Sam", "B": "Alex"})
    first.start(0.0)
    first.sound_finished(first._waiting.action.id, 1.0) if first.speaking else None
    assert "Listening" not in _panel(display.LiveView(Console(), "D", listening=False), first, 1.0)
