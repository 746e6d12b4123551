import io

from rich.console import Console

from voicecoach import display
from voicecoach import exercise as ex
from voicecoach import session as S
from voicecoach.cues import Cue, Heard, Source


def test_the_live_panel_shows_step_turn_countdown_last_cue_and_keys():
    session = S.Session(ex.find("daily-check-in"), {"A": "Sam", "B": "Alex"})
    session.start(0.0)
    now = 0.0
    while not (session.step.kind == "turn" and not session.speaking):  # to the start of Sam's turn
        now += 1.0
        if session.speaking:
            session.sound_finished(session._waiting.action.id, now)
        else:
            session.heard(Heard(Cue.NEXT, None, Source.KEY), now)
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system=None)
    view = display.LiveView(console, "Daily check-in")
    console.print(view._render(session.view(), now=now + 30))
    text = console.file.getvalue()
    assert "Turn: Sam" in text
    assert "1:00" in text  # a 90 s turn, 30 s in
    assert "step 4 of 13" in text
    assert "heard: next" in text
    assert "[d] I'm done" in text and "[q] stop" in text and "[0-9 t]" not in text
