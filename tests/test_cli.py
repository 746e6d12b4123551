import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from voicecoach import runner, voice
from voicecoach.cli import commands as cli_module
from voicecoach.cli.commands import cli


@pytest.fixture(autouse=True)
def silent_voice(monkeypatch):
    """Tests never speak out loud: the voice is the text stand-in unless a test sends it to a file."""
    real = runner._open_voice

    def open_voice(settings, audio_out, time_scale):
        if audio_out:
            return real(settings, audio_out, time_scale)
        return voice.TextVoice(time_scale, settings.rate_wpm), None

    monkeypatch.setattr(runner, "_open_voice", open_voice)


@pytest.fixture(autouse=True)
def no_microphone(monkeypatch):
    """Tests never listen to a real microphone: only --audio-in recordings are heard."""
    real = runner._open_ears
    monkeypatch.setattr(runner, "_open_ears", lambda audio_in, listen, playing: real(audio_in, False, playing))


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def history():
    result = invoke("history", "--json")
    assert result.exit_code == 0
    return json.loads(result.output)


def test_help_and_version():
    assert "voice-guided exercise assistant" in invoke("-h").output
    assert invoke("--version").output.strip() == "voicecoach, version 0.1.0"


def test_help_lists_each_lazily_loaded_command_with_its_own_short_help():
    listing = invoke("--help").output.split("Commands:")[1]
    for name, (_, short_help) in cli.lazy_commands.items():
        command = cli.get_command(None, name)
        assert command.get_short_help_str(limit=200) == short_help, name
        assert f"  {name} " in listing and short_help in listing


def test_a_mistyped_command_is_told_the_nearest_one_even_when_not_loaded_yet():
    result = invoke("histroy")
    assert result.exit_code == 2 and "Did you mean 'history'?" in result.output


def test_version_imports_no_command_module_nor_heavy_library():
    """Each command pays only for its own imports: starting up loads no subcommand module, no
    cryptography (needed only while locked), no rich and no yaml."""
    code = ("import sys, voicecoach.cli.commands; print(' '.join(m for m in sys.modules if m.startswith("
            "('voicecoach.cli.', 'cryptography', 'rich', 'yaml'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}).stdout.split()
    assert sorted(loaded) == ["voicecoach.cli.commands", "voicecoach.cli.options"]


def test_list_shows_builtins_as_table_and_json():
    table = invoke("list").output
    assert "daily-check-in" in table and "Box breathing" in table
    rows = json.loads(invoke("list", "--json").output)
    ids = {row["id"]: row for row in rows}
    assert ids["box-breathing"]["minutes"] == 6 and "relaxation" in ids["box-breathing"]["tags"]


def test_show_fills_in_partner_names_from_config():
    assert invoke("config", "set", "partner-a", "Sam").exit_code == 0
    assert invoke("config", "set", "partner-b", "Alex").exit_code == 0
    output = invoke("show", "daily-check-in").output
    assert "Welcome, Sam and Alex." in output
    assert "Sam, <appreciation>. Say I'm done" in output
    assert "- tell the listener one thing you appreciated about them today" in output
    assert "{" not in output


def test_printf_example_runs_to_completion_and_is_in_history():
    result = invoke("start", "daily-check-in", "--text", "--time-scale", "0", "--log", input="next\n7\n6\n")
    assert result.exit_code == 0, result.output
    assert "Completed: Daily check-in" in result.output
    [session] = history()
    assert session["outcome"] == "completed"
    assert [(r["slot"], r["value"]) for r in session["ratings"]] == [("A", 7), ("B", 6)]
    assert session["exercise_id"] == "daily-check-in" and len(session["exercise_hash"]) == 64


def test_end_of_input_stores_unanswered_ratings_as_skipped():
    result = invoke("start", "daily-check-in", "--time-scale", "0", "--log", input="")
    assert result.exit_code == 0
    [session] = history()
    assert session["outcome"] == "completed"
    assert [r["value"] for r in session["ratings"]] == [None, None]


def test_stop_ends_the_session_as_stopped():
    result = invoke("start", "speaker-listener", "--time-scale", "0", "--log", input="yes\nstop\n")
    assert result.exit_code == 0
    assert "Stopped" in result.output
    assert history()[0]["outcome"] == "stopped"


def test_no_log_keeps_the_journal_empty():
    invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--no-log", input="8\n")
    assert history() == []


def test_a_rehearsal_is_not_practice_unless_asked():
    """A preview at another pace is kept out of the journal, and says so; --log keeps it as practice."""
    result = invoke("start", "box-breathing", "--solo", "--time-scale", "0", input="8\n")
    assert result.exit_code == 0, result.output
    assert ("A rehearsal (--time-scale 0): not kept in your journal or counted as practice; "
            "add --log to keep it.") in result.output
    assert result.output.rstrip().endswith("Not logged.") and history() == []
    kept = invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--log", input="8\n")
    assert "A rehearsal" not in kept.output and kept.output.rstrip().endswith("Saved in your journal.")
    assert [session["outcome"] for session in history()] == ["completed"]


def test_a_run_with_recordings_for_a_microphone_is_a_rehearsal_at_any_pace(tmp_path):
    import numpy as np
    import soundfile

    exercise = tmp_path / "short.yaml"
    exercise.write_text("id: short\ntitle: Short\nminutes: 1\nsteps:\n  - say: Hello.\n")
    quiet = tmp_path / "quiet.wav"
    soundfile.write(quiet, np.zeros(1600, dtype="int16"), 16000)
    result = invoke("start", str(exercise), "--audio-in", str(quiet), input="")
    assert result.exit_code == 0, result.output
    assert "A rehearsal (--audio-in): not kept in your journal" in result.output
    assert history() == []


def test_solo_needs_a_self_care_exercise():
    result = invoke("start", "daily-check-in", "--solo")
    assert result.exit_code == 2
    assert "daily-check-in is for two" in result.output


def test_solo_session_rates_only_that_partner():
    invoke("config", "set", "partner-b", "Alex")
    invoke("start", "box-breathing", "--solo", "--partner", "B", "--time-scale", "0", "--log", input="8\n")
    [session] = history()
    assert session["solo"] is True
    assert session["ratings"] == [{"key": "calm", "slot": "B", "name": "Alex", "value": 8}]


def test_unknown_exercise_is_one_line_and_status_2():
    result = invoke("start", "daily-checkin")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "daily-checkin: no such exercise (did you mean 'daily-check-in'?); 'voicecoach list' shows them all"]


def test_check_reports_each_problem_and_exit_status(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("id: good\ntitle: Good\nminutes: 1\nsteps:\n  - say: Hi\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nminutes: 1\nsteps:\n  - sya: Hi\n  - goto: nowhere\n")
    twin = tmp_path / "twin.yaml"
    twin.write_text(good.read_text())
    assert invoke("check", str(good)).exit_code == 0
    result = invoke("check", str(good), str(bad), str(twin))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert f"{bad}:5: unknown step kind 'sya' (did you mean 'say'?)" in lines
    assert f"{bad}:6: jump to unknown label 'nowhere'" in lines
    assert f"{twin}:1: duplicate id 'good' (also in {good})" in lines


def test_start_with_a_bad_file_gives_the_same_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"id: [\n")
    result = invoke("start", str(bad))
    assert result.exit_code == 2
    assert result.output.startswith(f"{bad}:2: not valid YAML")
    assert "Traceback" not in result.output


def test_config_rejects_bad_keys_and_values():
    result = invoke("config", "set", "partner-c", "Kim")
    assert result.exit_code == 2
    assert "unknown setting 'partner-c' (did you mean 'partner-b'?)" in result.output
    result = invoke("config", "set", "rate", "fast")
    assert result.exit_code == 2 and "rate must be a whole number, not 'fast'" in result.output
    result = invoke("config", "set", "volume", "3")
    assert "volume must be from 0.1 to 1.0" in result.output
    result = invoke("config", "set", "rate", "1000")
    assert (result.exit_code, result.stderr) == (2, "Error: rate must be from 80 to 320, not 1000\n")


def test_config_show_and_files_are_owner_only(home):
    invoke("config", "set", "partner-a-say", "Shivawn")
    assert json.loads(invoke("config", "show", "--json").output)["partner-a-say"] == "Shivawn"
    invoke("start", "box-breathing", "--solo", "--time-scale", "0", input="5\n")
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for path in home.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_a_broken_config_file_is_one_clear_line(home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("partner-a: [Sam\n")
    (home / "config.yaml").chmod(0o600)  # a looser one draws a warning line first, once a process
    result = invoke("show", "daily-check-in")
    assert result.exit_code == 2
    assert result.output.strip() == (f"Error: {home / 'config.yaml'}:2: not valid YAML (did not find expected ',' or ']'); "
                                     "fix it or remove the file to start again")


def billion_laughs(levels=9) -> str:
    rows = ["partner-a: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    rows += [f"helplines: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("text,why", [
    (billion_laughs(), ":1: not valid YAML (aliases (*name) are not used in settings)"),
    ("[" * 10_000, ":1: not valid YAML (exceeded maximum nesting depth)"),
])
def test_a_config_file_that_would_take_gigabytes_or_nest_too_deep_is_one_line(home, text, why):
    """Three hundred bytes of nested aliases took 300 MB and 5 s (one level more, gigabytes), and
    deep nesting overflowed Python's stack, a traceback."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(text)
    (home / "config.yaml").chmod(0o600)
    result = invoke("config", "show")
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {home / 'config.yaml'}{why}; fix it or remove the file to start again"


def test_a_number_of_four_hundred_digits_in_config_is_out_of_range_in_one_short_line(home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text("rate: " + "9" * 400 + "\n")
    (home / "config.yaml").chmod(0o600)
    result = invoke("config", "show")
    assert result.exit_code == 2 and "Traceback" not in result.output  # float() overflowed
    assert result.output.startswith(f"Error: {home / 'config.yaml'}: rate must be from 80 to 320, not 9999")
    assert len(result.output) < 200 and result.output.count("\n") == 1
    result = invoke("config", "set", "rate", "9" * 400)
    assert result.exit_code == 2 and len(result.output) < 200


def _voicecoach(*args):
    """voicecoach in a process of its own, as a user starts it (Ctrl-C works even if ours ignores it)."""
    return subprocess.Popen([sys.executable, "-m", "voicecoach", *args, "--audio-out", os.devnull],
                            env={**os.environ, "PYTHONPATH": os.getcwd()},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


SHORT_TALK = """id: short-talk
title: Short talk
minutes: 1
steps:
  - say: Hello.
  - turn: {speaker: A, prompt: "{speaker}, go ahead.", limit: 60}
  - say: Thank you.
"""


def _session_in_its_turn(tmp_path):
    """voicecoach in its own process, held in a one-minute turn after two steps are logged."""
    exercise = tmp_path / "short.yaml"
    exercise.write_text(SHORT_TALK)
    process = _voicecoach("start", str(exercise), "--text")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (history() and history()[0]["steps_done"] >= 1):
        time.sleep(0.05)
    time.sleep(0.3)  # into the turn's wait
    assert history()[0]["outcome"] == "running"
    return process


def test_a_killed_session_is_interrupted_after_the_next_command(tmp_path):
    process = _session_in_its_turn(tmp_path)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    [session] = history()
    assert session["outcome"] == "interrupted"
    assert session["steps_done"] == 1


def test_ctrl_c_marks_the_session_interrupted(tmp_path):
    process = _session_in_its_turn(tmp_path)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert b"Traceback" not in err
    assert b"Interrupted. The session is in your journal as interrupted" in out
    assert process.returncode == 130
    [session] = history()
    assert session["outcome"] == "interrupted" and session["steps_done"] == 1


def test_without_a_speech_engine_the_session_runs_in_text_with_one_line(monkeypatch):
    from voicecoach import voice

    def no_engine(*args, **kwargs):
        raise voice.AudioUnavailable("no speech engine: libespeak-ng.so.1 not found")

    monkeypatch.setattr(voice, "open_voice", no_engine)
    result = invoke("start", "box-breathing", "--time-scale", "0", "--audio-out", "x.wav", input="7\n7\n")
    assert result.exit_code == 0
    assert result.stderr == "Text only: no speech engine: libespeak-ng.so.1 not found.\n"  # the set-up, apart
    assert "Text only" not in result.stdout
    assert "Completed: Box breathing." in result.output
    assert "Traceback" not in result.output


def test_a_voice_that_fails_mid_session_falls_back_to_text(monkeypatch, tmp_path):
    from voicecoach import voice

    class Failing:
        calls = 0

        def speak(self, text, on_done):
            Failing.calls += 1
            if Failing.calls == 2:
                raise voice.AudioUnavailable("speech engine did not finish within 10 s")
            on_done()

        def chime(self, name, on_done):
            on_done()

        def hush(self):
            pass

        def close(self):
            pass

    monkeypatch.setattr(voice, "open_voice", lambda *a, **k: Failing())
    result = invoke("start", "daily-check-in", "--time-scale", "0", "--log", "--audio-out", str(tmp_path / "x.wav"),
                    input="next\n7\n6\n")
    assert result.exit_code == 0
    assert "Text only from here: speech engine did not finish within 10 s." in result.output
    assert history()[0]["outcome"] == "completed"


def test_rendering_a_session_to_a_wav_file(tmp_path):
    """Speech, the timed silence and the chime all land in the file, on a real-time timeline."""
    import wave
    from array import array

    exercise = tmp_path / "short.yaml"
    exercise.write_text("id: short\ntitle: Short\nminutes: 1\nsteps:\n"
                        "  - say: Hello.\n  - pause: 1\n  - chime: turn\n")
    out = tmp_path / "session.wav"
    started = time.monotonic()
    result = invoke("start", str(exercise), "--no-log", "--audio-out", str(out), input="")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    with wave.open(str(out)) as wav:
        rate = wav.getframerate()
        samples = array("h", wav.readframes(wav.getnframes()))
    assert rate == 22050
    loud = [i / rate for i in range(0, len(samples), 441) if max(map(abs, samples[i:i + 441])) > 500]
    speech_end = max(t for t in loud if t < loud[0] + 1.5)
    chime_start = min(t for t in loud if t > speech_end + 0.5)
    assert 0.95 <= chime_start - speech_end <= 1.6  # the one-second pause, after espeak's own end pause
    assert len(samples) / rate <= elapsed + 0.1  # written in real time, not faster


def test_config_numbers_and_names_are_checked_like_people_type_them():
    assert invoke("config", "set", "rate", "170.0").exit_code == 0
    assert json.loads(invoke("config", "show", "--json").output)["rate"] == 170
    assert "rate must be a whole number, not '150.5'" in invoke("config", "set", "rate", "150.5").output
    assert "partner-a must be one line of plain text" in invoke("config", "set", "partner-a", "Sam\nX").output


def test_config_set_voice_checks_the_voice_exists():
    result = invoke("config", "set", "voice", "englsh")
    assert result.exit_code == 2
    assert "unknown voice 'englsh'; close matches: gmw/en" in result.output
    result = invoke("config", "set", "voice", "nonsense/voice")  # nothing like it: no far-fetched guesses
    assert (result.exit_code, result.output) == (2, "Error: unknown voice 'nonsense/voice'; "
                                                    "'voicecoach voices' lists them\n")
    assert invoke("config", "set", "voice", "gmw/en").exit_code == 0


def test_an_existing_home_folder_keeps_its_mode(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    monkeypatch.setenv("VOICECOACH_HOME", str(shared))
    invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--log", input="5\n")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "journal.sqlite3").stat().st_mode) == 0o600


def test_a_journal_that_cannot_be_written_mid_session_is_said_once_and_the_session_goes_on(monkeypatch):
    from voicecoach.errors import JournalError
    from voicecoach.journal import Journal

    def full(*args, **kwargs):
        raise JournalError("journal.sqlite3: database or disk is full")

    monkeypatch.setattr(Journal, "rating", full)
    result = invoke("start", "daily-check-in", "--time-scale", "0", "--log", input="next\n7\n6\n")
    assert result.exit_code == 0
    assert result.output.count("could not be written") == 1
    assert "Completed: Daily check-in." in result.output and "Traceback" not in result.output
    assert history()[0]["outcome"] == "interrupted"  # what was written is kept, and nothing is left running


def test_an_unwritable_audio_out_is_one_line(tmp_path):
    result = invoke("start", "box-breathing", "--audio-out", str(tmp_path / "no" / "such" / "x.wav"))
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: cannot write {tmp_path / 'no' / 'such' / 'x.wav'}: No such file or directory"


def test_voices_lists_ids_names_languages_and_gender():
    rows = json.loads(invoke("voices", "--language", "en-us", "--json").output)
    assert {"id": "gmw/en-us", "name": "English (America)", "languages": ["en-us"], "gender": "male"} in rows
    assert all(any(lang.startswith("en-us") for lang in row["languages"]) for row in rows)
    assert "gmw/en-us" in invoke("voices").output


def test_say_speaks_a_line_with_the_names_as_they_should_sound(tmp_path):
    import wave

    invoke("config", "set", "partner-a", "Siobhan")
    invoke("config", "set", "partner-a-say", "Shivawn")
    out = tmp_path / "say.wav"
    result = invoke("say", "Hello {A}.", "--audio-out", str(out))
    assert result.output.strip() == "Hello Siobhan."
    with wave.open(str(out)) as wav:
        assert 0.5 < wav.getnframes() / wav.getframerate() < 3
    bad = invoke("say", "Hello {C}.")
    assert bad.exit_code == 2 and "only {A} and {B} go in braces" in bad.output


def test_a_sound_card_lost_mid_session_switches_to_text_and_the_session_goes_on(monkeypatch):
    class Unplugged:
        """Plays a little, then fails like a device that was unplugged."""

        writes = 0

        def write(self, frames):
            Unplugged.writes += 1
            if Unplugged.writes > 30:
                raise OSError("device unavailable")
            time.sleep(0.001)

        def close(self):
            raise OSError("device unavailable")

    monkeypatch.setattr(voice, "open_voice", lambda *a, **k: voice.Voice(Unplugged()))
    result = invoke("start", "daily-check-in", "--time-scale", "0", "--log", "--audio-out", "unused.wav",
                    input="next\n7\n6\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Text only from here: sound output stopped working (device unavailable).") == 1
    assert "Completed: Daily check-in." in result.output
    assert history()[0]["outcome"] == "completed"


SPEECH = Path(__file__).resolve().parent.parent.parent / "shared" / "speech" / "words"


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_a_session_driven_by_recorded_voices(tmp_path):
    """An --audio-in playlist: each recording is played when the session next listens."""
    exercise = tmp_path / "voices.yaml"
    exercise.write_text("id: voices\ntitle: Voices\nminutes: 1\nsteps:\n"
                        "  - ask: {question: 'Ready?', if_no: decline, default: false, limit: 10}\n"
                        "  - rate: {ask: '{speaker}, how calm?', key: calm, who: A, limit: 10}\n")
    result = invoke("start", str(exercise), "--log", "--audio-in", str(SPEECH / "yes" / "sc1_439c84f4_nohash_1.wav"),
                    "--audio-in", str(SPEECH / "two" / "sc1_2f813234_nohash_1.wav"),
                    "--audio-in", str(SPEECH / "yes" / "sc1_439c84f4_nohash_1.wav"), input="")  # if "two" is read back
    assert result.exit_code == 0, result.output
    assert "  > yes" in result.output and "  > two" in result.output
    [session] = history()
    assert session["outcome"] == "completed"
    assert session["ratings"] == [{"key": "calm", "slot": "A", "name": "Partner A", "value": 2}]


SYNTHETIC = Path(__file__).resolve().parent / "data" / "flite"


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_a_turn_ended_by_voice(tmp_path):
    """A spoken "I'm done" (flite's voice: nobody recorded the phrase) ends the turn after a soft
    check answered by a recorded "yes"; without it the turn would run to its 30 s limit."""
    exercise = tmp_path / "turns.yaml"
    exercise.write_text("id: turns\ntitle: Turns\nminutes: 1\nsteps:\n"
                        "  - turn: {speaker: A, prompt: 'Say one thing, {speaker}.', limit: 30}\n"
                        "  - say: 'Thank you both.'\n")
    result = invoke("start", str(exercise), "--log", "--audio-in", str(SYNTHETIC / "rms_im_done.wav"),
                    "--audio-in", str(SPEECH / "yes" / "sc1_439c84f4_nohash_1.wav"), input="")
    assert result.exit_code == 0, result.output
    said = result.output[result.output.index("Say one thing"):]
    assert said.index("> I'm done") < said.index("Finished, Partner A?") < said.index("> yes") \
        < said.index("Thank you both.")
    assert "Let's bring that to a close" not in said
    assert history()[0]["outcome"] == "completed"


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_a_recorded_cue_answers_a_wait_that_is_shorter_than_the_recording(tmp_path):
    """At --time-scale 0.05 a 10 s pause lasts half a second, less than a recorded "go" takes to be
    heard: the pause waits for the clip it started, and the "go" moves the session on."""
    exercise = tmp_path / "pause.yaml"
    exercise.write_text("id: pause\ntitle: Pause\nminutes: 1\nsteps:\n"
                        "  - pause: {say: 'Breathe out. Say next when you are ready.', seconds: 10}\n"
                        "  - say: 'Done.'\n")  # a pause that asks for next: a plain clip is for it
    result = invoke("start", str(exercise), "--time-scale", "0.05",
                    "--audio-in", str(SPEECH / "go" / "sc1_2f813234_nohash_1.wav"),
                    "--audio-in", str(SPEECH / "go" / "sc1_37e8db82_nohash_1.wav"), input="")
    assert result.exit_code == 0, result.output
    said = result.output[result.output.index("Breathe out."):]
    assert "  > next" in said and said.index("  > next") < said.index("Done.")


def test_a_missing_microphone_leaves_the_keyboard_in_one_line(monkeypatch):
    from voicecoach import hearing as ears

    def no_device():
        raise voice.AudioUnavailable("no microphone (PortAudio: no default input device)")

    monkeypatch.setattr(ears, "Microphone", no_device)
    monkeypatch.setattr(runner, "_open_ears", TestEars.real)
    result = invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--log", input="6\n")
    assert result.exit_code == 0
    assert result.stderr == "Keyboard only: no microphone (PortAudio: no default input device).\n"
    assert history()[0]["ratings"][0]["value"] == 6


def test_a_microphone_that_stops_mid_session_is_said_once_and_the_keys_go_on(monkeypatch):
    from voicecoach import hearing as ears

    class Unplugged:
        """Hands over a moment of room noise, then fails as a USB microphone pulled out does."""

        finished = False

        def chunks(self, stop):
            yield bytes(640)
            raise OSError("the microphone stopped")

        def open_window(self):
            pass

        def close(self):
            pass

    class Instant:
        """An engine with nothing to load, so the listener reaches the microphone at once."""

        name = "instant"

    from voicecoach.profile import enrolled

    monkeypatch.setattr(ears, "Microphone", Unplugged)
    monkeypatch.setattr(runner, "_open_ears", TestEars.real)
    monkeypatch.setattr(enrolled, "couple_recognizer", lambda: (Instant(), None))
    result = invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--log", input="6\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Not listening any more: the microphone stopped. Keys and typed cues still "
                               "work.") == 1
    assert history()[0]["ratings"][0]["value"] == 6


class TestEars:
    real = staticmethod(runner._open_ears)


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_mic_check_reports_noise_and_what_it_heard():
    # a stop both engines hear (Whisper takes sc1_1eddce1d_nohash_3 for "start": test_whisper counts such misses)
    result = invoke("mic", "--seconds", "3", "--audio-in", str(SPEECH / "stop" / "sc1_439c84f4_nohash_1.wav"))
    assert result.exit_code == 0, result.output
    assert "heard: stop -> stop" in result.output
    assert "room noise: " in result.output and "quiet enough" in result.output


def test_mic_check_without_a_microphone_is_one_line(monkeypatch):
    from voicecoach import hearing as ears

    def no_device():
        raise voice.AudioUnavailable("no microphone (PortAudio: no default input device)")

    monkeypatch.setattr(ears, "Microphone", no_device)
    result = invoke("mic")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no microphone (PortAudio: no default input device)"


def test_the_safety_note_is_shown_until_a_person_has_read_it_and_on_request(home, monkeypatch):
    (home / "safety-note-shown").unlink()
    first = invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--no-log", input="7\n")
    assert first.output.startswith("Before you begin\nThese exercises are for partners who feel safe")
    assert "contact your local emergency services" in first.output
    # With no terminal (a script, setup's check) nobody has read it: the next start shows it again.
    unseen = invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--no-log", input="7\n")
    assert unseen.output.startswith("Before you begin") and not (home / "safety-note-shown").exists()
    invoke("config", "set", "partner-a", "Sam")  # names already given: the note is the first question
    monkeypatch.setattr(cli_module, "_person_at_terminal", lambda: True)
    seen = invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--no-log", input="\n7\n")
    assert "Press Enter when you have both read this" in seen.output
    assert seen.output.index("Press Enter") < seen.output.index("Box breathing")
    second = invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--no-log", input="7\n")
    assert "Before you begin" not in second.output
    invoke("config", "set", "helplines", "Relate 0300 003 0396")
    again = invoke("safety")
    assert "Where to turn: Relate 0300 003 0396" in again.output and "emergency services" not in again.output


def _no_microphone():
    raise voice.AudioUnavailable("no microphone (PortAudio: no default input device)")


class _Microphone:
    def close(self):
        pass


def test_welcome_is_names_the_safety_note_a_short_first_exercise_and_what_to_run_next(home, monkeypatch):
    """The first run (setup's, at a terminal) is a few gentle minutes that end by themselves, not the check-in."""
    from voicecoach import config
    from voicecoach import hearing as ears

    (home / "safety-note-shown").unlink()
    monkeypatch.setattr(cli_module, "_person_at_terminal", lambda: True)
    monkeypatch.setattr(ears, "Microphone", _no_microphone)
    result = invoke("welcome", "--time-scale", "0", input="Sam\nAlex\n\n\n")  # names, read the note, start
    assert result.exit_code == 0, result.output
    out = result.output
    order = ["What names shall I use?", "Before you begin", "Press Enter when you have both read this",
             "Your first exercise: A first few minutes together, about 4 minutes.", "q  stop, at any moment",
             "Start it now? [Y/n]", "Welcome, Sam and Alex. This is a short first practice",
             "Sam, tell Alex one thing you appreciate", "Completed: A first few minutes together.",
             "No microphone here", "Next time:", "voicecoach start daily-check-in"]
    assert [out.index(line) for line in order] == sorted(out.index(line) for line in order)
    assert "This is your daily check-in" not in out
    assert (config.load().partner_a, config.load().partner_b) == ("Sam", "Alex")
    assert (home / "safety-note-shown").exists()


def test_welcome_can_skip_each_step_and_run_again(home, monkeypatch):
    from voicecoach import config
    from voicecoach import hearing as ears
    from voicecoach.cli import enroll as cli_enroll

    monkeypatch.setattr(cli_module, "_person_at_terminal", lambda: True)
    monkeypatch.setattr(ears, "Microphone", _Microphone)
    enrolled = []
    monkeypatch.setattr(cli_enroll, "_live", lambda *args: enrolled.append(args))
    invoke("config", "set", "partner-a", "Sam")
    skipped = invoke("welcome", input="\n\n\nn\nn\n")  # names kept, note read, no exercise, no enrolment
    assert skipped.exit_code == 0, skipped.output
    assert "First partner [Sam]" in skipped.output and config.load().partner_a == "Sam"
    assert "Before you begin" in skipped.output  # shown again: this is a welcome
    assert "(type stop to end at any time)" not in skipped.output and history() == []
    assert "Teach it now? [y/N]" in skipped.output and enrolled == []
    assert "Any time later: voicecoach enroll" in skipped.output
    assert skipped.output.rstrip().endswith("voicecoach welcome                this welcome again")
    again = invoke("welcome", input="\n\n\nn\ny\n")
    assert again.exit_code == 0 and len(enrolled) == 1 and "Next time:" in again.output


def test_welcome_without_a_terminal_asks_nothing_and_says_what_to_run():
    result = invoke("welcome", input="Sam\n")
    assert result.exit_code == 2
    assert result.output == ("Error: welcome asks questions, so it needs a terminal; without one, check that "
                             "voicecoach works with: voicecoach start daily-check-in --text --time-scale 0 --no-log\n")


def test_a_declined_session_shows_and_keeps_nothing_of_who_declined(tmp_path):
    exercise = tmp_path / "consent.yaml"
    exercise.write_text("id: consent\ntitle: Consent\nminutes: 1\nsteps:\n"
                        "  - consent: '{speaker}, press y, or n for not today.'\n  - say: Begin.\n")
    result = invoke("start", str(exercise), "--time-scale", "0", "--log", input="yes\nnot today\n")
    assert result.exit_code == 0
    assert "> yes" not in result.output and "> no" not in result.output and "(answered)" in result.output
    assert "Not today: Consent. That is always alright." in result.output
    [session] = history()
    assert session["outcome"] == "declined" and session["ratings"] == [] and session["steps_done"] == 0


def test_check_refuses_a_file_that_takes_a_builtin_id(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("id: daily-check-in\ntitle: Mine\nminutes: 1\nsteps:\n  - say: Hi\n")
    result = invoke("check", str(mine))
    assert result.exit_code == 2
    assert f"{mine}:1: id 'daily-check-in' is a built-in exercise's; give yours an id of its own" in result.output
    from voicecoach import exercise

    assert invoke("check", *map(str, exercise.builtin_files())).exit_code == 0


def test_pool_picks_are_remembered_and_avoided_next_time_but_not_with_no_log():
    from voicecoach.journal import Journal

    for _ in range(5):
        result = invoke("start", "daily-check-in", "--text", "--time-scale", "0", "--log", input="next\n7\n6\n")
        assert result.exit_code == 0, result.output
    with Journal() as journal:
        said = journal.recent_picks("daily-check-in", "appreciation")
        assert len(said) == 5  # eight items; the latest four are never picked again, so five differ
        assert len(journal.recent_picks("daily-check-in", "check-in-question")) == 5
    invoke("start", "daily-check-in", "--text", "--time-scale", "0", "--no-log", input="next\n7\n6\n")
    with Journal() as journal:
        assert journal.recent_picks("daily-check-in", "appreciation") == said
        assert len(journal.sessions()) == 5


def test_show_lists_a_pool_and_the_resume_time():
    output = invoke("show", "hurt-conversation").output
    assert "Shall we come back to this at <a time about two hours from now" in output
    output = invoke("show", "date-night-plan").output
    assert "<date-idea>: 3 of these are picked each session, not one said lately" in output
    assert "  - a picnic, indoors or out" in output


def test_after_three_troubled_check_ins_a_therapist_is_suggested_once_a_week_and_not_with_no_log():
    apart = dict(input="next\n9\n5\n")  # far apart, neither low: the gentle path does not run
    start = ("start", "daily-check-in", "--text", "--time-scale", "0", "--log")
    outputs = [invoke(*start, **apart).output for _ in range(2)]
    assert invoke(*start, "--no-log", **apart).output.count("find a couples therapist to help you both") == 0
    outputs += [invoke(*start, **apart).output for _ in range(2)]
    counts = [output.count("find a couples therapist to help you both") for output in outputs]
    assert counts == [0, 0, 1, 0]  # the fourth, the same week, does not say it again
    low = invoke(*start, input="next\n2\n3\n").output  # the gentle path would name a therapist itself,
    assert low.count("a couples therapist can help you both") == 0  # but one was named this week already
    assert "You can stop here for today, or come back to this tomorrow." in low


def test_say_keeps_its_line_on_stdout_and_the_set_up_note_on_stderr(monkeypatch):
    def no_device(*args, **kwargs):
        raise voice.AudioUnavailable("no audio output device")

    monkeypatch.setattr(voice, "open_voice", no_device)
    monkeypatch.setattr(runner, "_open_voice", _real_open_voice)
    result = CliRunner().invoke(cli, ["say", "hi"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "hi\n", "Text only: no audio output device.\n")


_real_open_voice = runner._open_voice


@pytest.mark.parametrize("args", [["config", "set", "voice", "nonsense/voice"],
                                  ["say", "hi", "--audio-out", "/nonexistent/dir/x.wav"],
                                  ["start", "daily-check-in", "--time-scale", "bad"],
                                  ["today", "--time-scale", "200"],
                                  ["start", "daily-check-in", "--audio-in", "/nonexistent/stop.wav"],
                                  ["today", "--audio-in", "/"],
                                  ["mic", "--audio-in", "/nonexistent/stop.wav"]])
def test_bad_values_and_files_exit_2_in_one_line(args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and len(result.output.splitlines()) == 1, result.output



@pytest.mark.parametrize("args, line", [
    (["mic", "--seconds", "0"], "Error: Invalid value for '--seconds': 0.0 is not in the range 2<=x<=300."),
    (["hear", "--context", "chat", "x.wav"],
     "Error: Invalid value for '--context': 'chat' is not one of 'navigation', 'turn', 'rating', 'answer'."),
    (["config", "set"], "Error: Missing argument 'KEY'."),
    (["forget"], "Error: say what to forget: --all, --before DATE or --session ID"),
    (["--bogus"], "Error: No such option '--bogus'. Did you mean '--verbose'?")])
def test_click_usage_errors_are_one_line_naming_the_value(args, line):
    """Click's own range, choice and usage errors, in any command, are one line without its usage block."""
    result = CliRunner().invoke(cli, args)
    assert (result.exit_code, result.output) == (2, line + "\n")


def test_help_still_shows_the_usage():
    assert invoke("mic", "--help").output.startswith("Usage: cli mic [OPTIONS]")  # CliRunner names it cli
    assert CliRunner().invoke(cli, ["config"]).output.startswith("Usage: cli config [OPTIONS] COMMAND")

def test_an_audio_in_that_is_not_a_wav_file_is_named(tmp_path):
    plan = tmp_path / "plan.ics"
    plan.write_text("BEGIN:VCALENDAR\n")
    result = CliRunner().invoke(cli, ["start", "box-breathing", "--solo", "--time-scale", "0", "--audio-in", str(plan)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: --audio-in {plan}: not a sound file (WAV, FLAC, OGG or AIFF)")


def test_on_a_first_run_an_unusable_recording_is_said_before_the_safety_note(home, tmp_path):
    (home / "safety-note-shown").unlink()
    plan = tmp_path / "plan.ics"
    plan.write_text("BEGIN:VCALENDAR\n")
    result = CliRunner().invoke(cli, ["start", "box-breathing", "--solo", "--audio-in", str(plan)])
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: --audio-in {plan}: not a sound file (WAV, FLAC, OGG or AIFF)")
    assert "Before you begin" not in result.output
    assert not (home / "safety-note-shown").exists()  # still to be shown, on the first real start


def test_hear_goes_on_past_unreadable_files_and_exits_2(tmp_path):
    plan = tmp_path / "plan.ics"
    plan.write_text("BEGIN:VCALENDAR\n")
    result = CliRunner().invoke(cli, ["hear", str(plan), str(tmp_path / "missing.wav")])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(plan), str(tmp_path / "missing.wav")]
    assert all("error" in line for line in lines) and result.exit_code == 2
    assert "exit status is then 2" in " ".join(invoke("hear", "--help").output.split())


def test_sigterm_marks_the_session_interrupted_and_exits_143(tmp_path):
    process = _session_in_its_turn(tmp_path)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert b"Traceback" not in err
    assert process.returncode == 128 + signal.SIGTERM
    assert history()[0]["outcome"] == "interrupted"


@pytest.mark.parametrize("scale", ["nan", "inf", "1e9", "-1"])
@pytest.mark.parametrize("command", [["start", "box-breathing"], ["today"], ["program", "continue"],
                                     ["plan", "closeness-reminders", "on"]])
def test_time_scale_is_a_finite_number_from_0_to_100(command, scale):
    result = CliRunner().invoke(cli, [*command, "--time-scale", scale])
    assert result.exit_code == 2 and "--time-scale" in result.output and "Traceback" not in result.output


def test_list_never_cuts_an_id_short():
    result = invoke("list")
    ids = [row["id"] for row in json.loads(invoke("list", "--json").output)]
    assert "…" not in result.output
    assert all(any(line.startswith(id_ + " ") for line in result.output.splitlines()) for id_ in ids)


def test_partner_names_must_differ_and_hold_no_braces():
    assert invoke("config", "set", "partner-a", "Sam").exit_code == 0
    result = CliRunner().invoke(cli, ["config", "set", "partner-b", "sam"])
    assert (result.exit_code, result.output) == (2, "Error: partner-b cannot be 'sam': that is already the other "
                                                    "partner's name\n")
    for name in ("{B}", "Al{ex", "Al\x07ex"):
        result = CliRunner().invoke(cli, ["config", "set", "partner-a", name])
        assert result.exit_code == 2 and len(result.output.splitlines()) == 1
    assert invoke("show", "daily-check-in").output.count("Sam") >= 1


def test_config_show_aligns_its_rows_and_says_on_or_off():
    assert invoke("config", "set", "streaks", "off").output == "streaks = off\n"
    rows = invoke("config", "show").output.splitlines()[:-1]
    values = {row.split()[0]: row[18:] for row in rows}
    assert values["prepare-seconds"] == "30" and values["spoken-reminders"] == "off" and values["streaks"] == "off"
    assert {len(row) - len(row[18:].lstrip()) for row in rows if row[18:]} == {18}
    assert json.loads(invoke("config", "show", "--json").output)["streaks"] is False


def test_config_set_help_lists_each_setting_and_what_it_takes():
    text = invoke("config", "set", "--help").output
    assert "rate              80 to 320" in text and "streaks           on or off" in text


def test_command_listings_read_as_whole_phrases():
    for group in ([], ["config"], ["plan"], ["program"]):
        listing = invoke(*group, "--help").output.split("Commands:")[1]
        assert not [line for line in listing.splitlines() if line.endswith(("e.g.", "..."))], listing


def test_forget_help_names_everything_all_erases():
    text = " ".join(invoke("forget", "--help").output.split())
    for thing in ("journal", "backups", "voice profile", "plans and program state", "private questions"):
        assert thing in text


def test_voices_for_an_unknown_language_is_one_line_and_status_2():
    result = CliRunner().invoke(cli, ["voices", "--language", "xx"])
    assert result.exit_code == 2
    assert result.output == "No voices for language 'xx'; 'voicecoach voices' lists them all.\n"


def test_list_shows_a_title_with_brackets_as_written(home):
    (home / "exercises").mkdir(mode=0o700)
    (home / "exercises" / "odd.yaml").write_text('id: odd\ntitle: "Odd [/] one"\nminutes: 1\nsteps:\n  - say: "Hi."\n')
    result = invoke("list")
    assert result.exit_code == 0 and "Odd [/] one" in result.output


def _catches_sigterm(pid) -> bool:
    """Whether the process has its own SIGTERM handler yet (Linux's /proc: the caught-signals mask)."""
    with open(f"/proc/{pid}/status") as status:
        caught = next(line for line in status if line.startswith("SigCgt:")).split()[1]
    return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux's /proc")
@pytest.mark.parametrize("after", [0.0, 0.1, 0.3, 0.8])
@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_at_any_moment_of_start_ends_in_one_line_and_its_status(after, signum, status):
    """From voicecoach's first line on (only Python's own start-up comes before it): while modules
    load, before the session begins or in it, never a traceback, never click's "Aborted!" with status 1."""
    process = _voicecoach("start", "daily-check-in", "--text")
    deadline = time.monotonic() + 10
    while not _catches_sigterm(process.pid) and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(after)
    process.send_signal(signum)
    out, err = process.communicate(timeout=20)
    assert b"Traceback" not in err and b"Aborted!" not in err, err.decode()
    assert process.returncode == status, (out.decode(), err.decode())


def test_the_first_runs_names_are_asked_again_after_one_that_cannot_be_used(home, monkeypatch):
    from voicecoach import config

    monkeypatch.setattr(cli_module, "_person_at_terminal", lambda: True)
    result = invoke("start", "box-breathing", "--solo", "--time-scale", "0", "--no-log",
                    input="Sam\nSam\nAlex\n\n7\n")  # Alex's partner typed the same name first
    assert "already the other partner's name; try another." in result.output
    assert (config.load().partner_a, config.load().partner_b) == ("Sam", "Alex")
    assert result.exit_code == 0, result.output


CLEAN_UP = """
    import sys, threading, time
    from voicecoach.cli import entry
    entry.take_signals()
    held = threading.Lock()
    try:
        print("ready", flush=True)
        time.sleep(30)
    except KeyboardInterrupt:
        with held:  # as the journal's close, a seal and the sound's stop hold their locks
            print("cleaning", flush=True)
            time.sleep(float(sys.argv[1]))
        print("closed", flush=True)
        entry.leave(128 + entry.SIGNALS[-1])
"""


def _cleaning_up(seconds):
    """A process that took a Ctrl-C and is in its clean-up for this long."""
    from keeping import run_child

    child = run_child(CLEAN_UP, seconds)
    assert child.stdout.readline() == "ready\n"
    child.send_signal(signal.SIGINT)
    assert child.stdout.readline() == "cleaning\n"
    return child


@pytest.mark.parametrize("gap", [0.0, 0.05, 0.15])
def test_a_second_signal_within_the_clean_up_lets_it_finish(gap):
    child = _cleaning_up(0.5)
    time.sleep(gap)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=20)
    assert "Traceback" not in err and out == "closed\n", err
    assert child.returncode == 128 + signal.SIGTERM  # the last signal names the status, as before


def test_a_signal_after_the_grace_still_stops_a_clean_up_that_hangs():
    from voicecoach.cli.entry import GRACE_SECONDS

    child = _cleaning_up(60)
    time.sleep(GRACE_SECONDS + 0.2)
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=20)
    assert time.monotonic() - started < 5 and out == "" and "KeyboardInterrupt" in err
