"""voicecoach doctor with each part missing or broken, simulated: status, message, exit status, no hang."""

import json
import math
import os
import sys
import threading
import time
import types
import wave
from array import array

import pytest
from click.testing import CliRunner

from voicecoach import config, doctor, voice
from voicecoach.cli.commands import cli
from voicecoach.journal import Journal
from voicecoach.voice import noise

TIMEOUT = "5"  # seconds a check may take in these tests; the hang test uses far less
ALSA_NOISE = b"ALSA lib pcm.c:2664:(snd_pcm_open_noupdate) Unknown PCM cards.pcm.rear\n"


STREAM_EPOCH = 1000.0  # the fake PortAudio's stream time is time.monotonic() less this
ADC_LAG = 0.5  # the fake sound card hands over each buffer this long after capturing its first sample


def fake_pyaudio(output=True, microphone=True, hang=None):
    """A PyAudio stand-in that, like the real one, writes ALSA noise to fd 2 from 'C' while starting.

    An input stream with a callback is fed from its own thread, as PortAudio does, each buffer with
    its capture time (`input_buffer_adc_time`, ADC_LAG before it is handed over) on the stream's
    clock; `module.captured` lists those times, and each buffer's first sample is its index there."""
    module = types.ModuleType("pyaudio")
    module.paInt16 = 8
    module.paContinue = 0
    module.captured = []

    def tone(frames):
        wave = (int(3000 * math.sin(i / 5)) for i in range(frames))  # about -20 dBFS: someone talking
        return array("h", wave).tobytes()

    class Stream:
        def __init__(self, rate, frames, callback):
            self.rate, self.frames, self.callback = rate, frames, callback
            self.stopped = threading.Event()
            if callback is not None:
                threading.Thread(target=self._feed, daemon=True).start()

        def _feed(self):
            while not self.stopped.wait(0.002):
                adc = self.get_time() - ADC_LAG
                times = {"input_buffer_adc_time": adc, "current_time": adc + ADC_LAG, "output_buffer_dac_time": 0.0}
                numbered = len(module.captured).to_bytes(2, "little") + tone(self.frames)[2:]  # its first sample
                module.captured.append(adc)
                if self.callback(numbered, self.frames, times, 0)[1] != module.paContinue:
                    return

        def get_time(self):
            return time.monotonic() - STREAM_EPOCH

        def get_input_latency(self):
            return ADC_LAG  # as PortAudio reports it: the capture stamps already allow for it

        def is_active(self):
            return not self.stopped.is_set()

        def read(self, frames, exception_on_overflow=True):
            return tone(frames)

        def write(self, frames):
            pass

        def stop_stream(self):
            self.stopped.set()

        def close(self):
            self.stopped.set()

    class PyAudio:
        def __init__(self):
            os.write(2, ALSA_NOISE)

        def open(self, format, channels, rate, output=False, input=False, frames_per_buffer=None,
                 stream_callback=None):
            if hang is not None:
                hang.wait()
            if output and not output_ok:
                raise OSError(-9996, "Invalid output device (no default output device)")
            if input and not microphone_ok:
                raise OSError(-9996, "Invalid input device (no default input device)")
            return Stream(rate, frames_per_buffer, stream_callback)

        def get_default_output_device_info(self):
            return {"name": "Test speakers"}

        def terminate(self):
            pass

    output_ok, microphone_ok = output, microphone
    module.PyAudio = PyAudio
    return module


@pytest.fixture(autouse=True)
def sound_card(monkeypatch):
    """Every test has a working (fake) sound card unless it breaks it: no test opens a real device."""
    monkeypatch.setitem(sys.modules, "pyaudio", fake_pyaudio())
    monkeypatch.setattr(noise, "shown", False)


def run_doctor(*args):
    result = CliRunner().invoke(cli, ["doctor", "--timeout", TIMEOUT, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def checks(result):
    lines = result.output.strip().splitlines()
    marked = [line for line in lines if line[:4] in ("pass", "warn", "FAIL")]
    return lines[-1], {line[6:].split("  ")[0]: line[:4] for line in marked}


def test_everything_working_means_voice_sessions():
    result = run_doctor()
    last, status = checks(result)
    assert last == "ready for voice sessions"
    assert result.exit_code == 0
    assert set(status.values()) == {"pass"}
    assert "Test speakers" in result.output


def test_no_speech_engine_means_text_only(monkeypatch):
    import pyttsx3.drivers

    monkeypatch.setattr("voicecoach.voice.engine._engine", None)  # the process's engine, as if never started
    monkeypatch.delattr(pyttsx3.drivers, "_espeak", raising=False)
    monkeypatch.setitem(sys.modules, "pyttsx3.drivers._espeak", None)  # as when libespeak-ng is missing
    result = run_doctor()
    last, status = checks(result)
    assert status["speech engine"] == "FAIL"
    assert "no speech engine" in result.output and "fix: sudo apt-get install espeak-ng" in result.output
    assert last.startswith("ready for text and keyboard sessions only (no speech output: no speech engine")
    assert result.exit_code == 1


def test_no_pyaudio_fails_output_and_microphone(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyaudio", None)
    result = run_doctor()
    last, status = checks(result)
    assert status["audio output"] == status["microphone"] == "FAIL"
    assert "PyAudio is not installed" in result.output and "voicecoach[audio]" in result.output
    assert last == ("ready for text and keyboard sessions only (no speech output: no audio output device: "
                    "PyAudio is not installed; no microphone: PyAudio is not installed)")
    assert result.exit_code == 1


@pytest.mark.parametrize("broken, works, fix, last", [
    ({"output": False}, "microphone", "fix: connect speakers or headphones",
     "ready for text and keyboard sessions only (no speech output: no audio output device)"),
    ({"microphone": False}, "audio output", "fix: plug in a microphone",
     "ready for text and keyboard sessions only (no microphone)"),
])
def test_no_output_device_or_no_microphone(monkeypatch, broken, works, fix, last):
    monkeypatch.setitem(sys.modules, "pyaudio", fake_pyaudio(**broken))
    result = run_doctor()
    said_last, status = checks(result)
    assert status[works] == "pass" and list(status.values()).count("FAIL") == 1
    assert "(PortAudio: Invalid" in result.output and fix in result.output
    assert said_last == last
    assert result.exit_code == 1


def test_recogniser_model_missing(monkeypatch, tmp_path):
    import pocketsphinx

    monkeypatch.setattr(pocketsphinx, "get_model_path", lambda *a: str(tmp_path))
    result = run_doctor()
    last, status = checks(result)
    assert status["recogniser"] == "FAIL"
    assert f"the en-us model is missing from {tmp_path / 'en-us'}" in result.output
    assert last == "ready for text and keyboard sessions only (no speech recognition: the en-us model is missing from " \
        f"{tmp_path / 'en-us'})"
    assert result.exit_code == 1


def test_journal_others_can_read_is_a_warning(home):
    Journal().close()
    path = home / "journal.sqlite3"
    os.chmod(path, 0o644)
    result = run_doctor()
    last, status = checks(result)
    assert status["journal"] == "warn"
    assert "others can read it (journal.sqlite3 644)" in result.output
    assert f"fix: chmod 600 {path}\n" in result.output
    assert result.exit_code == 0 and last == "ready for voice sessions"


def test_corrupt_journal_cannot_run_and_is_left_untouched(home):
    path = home / "journal.sqlite3"
    damaged = b"SQLite format 3\0" + bytes(range(256)) * 20
    path.write_bytes(damaged)
    os.chmod(path, 0o600)
    before = sorted(os.listdir(home))
    result = run_doctor()
    last, status = checks(result)
    assert status["journal"] == "FAIL"
    assert last.startswith(f"cannot run: {path} is damaged")
    moved = home / "journal-damaged.sqlite3"
    assert f"fix: move it aside: mv {path} {moved} (voicecoach makes a new one)" in result.output
    assert "apt install sqlite3" in result.output
    assert result.exit_code == 2
    assert path.read_bytes() == damaged and sorted(os.listdir(home)) == before


def test_healthy_journal_is_checked_without_creating_files(home):
    with Journal() as journal:
        journal.end(journal.begin("daily-check-in", "Daily check-in", "x", 3), "completed")
    for suffix in ("-wal", "-shm"):
        (home / f"journal.sqlite3{suffix}").unlink(missing_ok=True)
    before = {name: (home / name).stat().st_mtime_ns for name in os.listdir(home)}
    result = run_doctor()
    assert "intact, owner-only" in result.output
    assert {name: (home / name).stat().st_mtime_ns for name in os.listdir(home)} == before


def test_no_journal_yet_creates_none(home):
    result = run_doctor()
    assert "will be made at the first session" in result.output
    assert not (home / "journal.sqlite3").exists()


def test_bad_config_cannot_run(home):
    (home / "config.yaml").write_text("partner-a: [Sam\n")
    result = run_doctor()
    last, status = checks(result)
    assert status["config"] == "FAIL"
    assert f"{home / 'config.yaml'}:2: not valid YAML" in result.output
    assert last.startswith("cannot run: ") and result.exit_code == 2


def test_unknown_voice_in_config_is_a_warning(home):
    config.save(config.Settings(voice="no-such-voice"))
    result = run_doctor()
    _, status = checks(result)
    assert status["speech engine"] == "warn" and "unknown voice 'no-such-voice'" in result.output
    assert result.exit_code == 0


def test_speak_writes_the_test_line(tmp_path):
    out = tmp_path / "test.wav"
    result = run_doctor("--audio-out", str(out))  # implies --speak
    assert f"said the test line to {out}" in result.output
    with wave.open(str(out)) as w:
        assert max(array("h", w.readframes(w.getnframes()))) > 1000


def test_listen_reports_the_room(monkeypatch):
    monkeypatch.setattr(doctor, "LISTEN_SECONDS", 0.3)
    result = run_doctor("--listen")
    _, status = checks(result)
    assert "room noise -2" in result.output  # the fake microphone's steady tone, about -20 dBFS
    assert status["microphone"] == "warn"  # a loud room, and no cue words said


def test_a_device_that_never_answers_does_not_hang(monkeypatch):
    release = threading.Event()
    monkeypatch.setitem(sys.modules, "pyaudio", fake_pyaudio(hang=release))
    try:
        result = CliRunner().invoke(cli, ["doctor", "--timeout", "0.2", "--json"])
    finally:
        release.set()
    report = json.loads(result.output)
    by_name = {check["name"]: check for check in report["checks"]}
    assert by_name["audio output"]["status"] == "fail"
    assert by_name["audio output"]["detail"] == "no answer within 0.2 s"
    assert report["exit_status"] == result.exit_code == 1


def test_a_check_that_crashes_is_a_failure_not_a_traceback():
    def broken(options):
        raise RuntimeError("something odd")

    results = doctor.run(checks=[("thing", "speech output", broken)])
    assert results == [doctor.Check("thing", "fail", "RuntimeError: something odd",
                                    "run 'voicecoach --verbose doctor' and report what it says", "speech output")]
    assert doctor.verdict(results) == (1, "ready for text and keyboard sessions only "
                                          "(no speech output: RuntimeError: something odd)")


def test_lock_state_and_a_locked_journal(monkeypatch):
    """The doctor says whether the journal is locked, checks the sealed file without opening it,
    and never asks for the passphrase."""
    from click.testing import CliRunner

    from voicecoach.cli.commands import cli
    from voicecoach.journal import Journal

    options = doctor.Options()
    assert doctor.check_lock(options).detail.startswith("not locked")
    with Journal() as journal:
        journal.end(journal.begin("box-breathing", "Box breathing", "0" * 64, 3), "completed")
    monkeypatch.setenv("VOICECOACH_PASSPHRASE", "correct horse battery")
    assert CliRunner().invoke(cli, ["lock"], input="y\n").exit_code == 0
    assert doctor.check_lock(options).detail == "locked: VOICECOACH_PASSPHRASE opens it"
    monkeypatch.delenv("VOICECOACH_PASSPHRASE")
    assert doctor.check_lock(options).detail == "locked: a session asks for the passphrase when it starts"
    journal_check = doctor.check_journal(options)
    assert journal_check.status == "pass" and "locked, owner-only" in journal_check.detail
    assert doctor.check_reminders(options).detail == "none installed ('voicecoach plan install' adds them)"


def test_old_and_new_pythons(monkeypatch):
    monkeypatch.setattr(sys, "version_info", (3, 9, 1))
    assert doctor.check_python(doctor.Options()).status == "fail"
    monkeypatch.setattr(sys, "version_info", (3, 14, 0))
    assert doctor.check_python(doctor.Options()).status == "warn"


def test_json_output_has_every_check_and_the_verdict():
    result = run_doctor("--json")
    report = json.loads(result.output)
    assert [c["name"] for c in report["checks"]] == [name for name, _, _ in doctor.CHECKS]
    assert report["verdict"] == "ready for voice sessions" and report["exit_status"] == 0


# ---- the audio libraries' noise on fd 2 -------------------------------------------------------

def test_noise_written_to_fd2_is_kept_off_the_screen(capfd):
    with noise.muffled() as caught:
        os.write(2, ALSA_NOISE)
    assert capfd.readouterr().err == ""
    assert caught.lines == [ALSA_NOISE.decode().strip()]
    assert caught.hint() == "1 message from the audio libraries hidden; --verbose shows them"


def fd2():
    """Which file fd 2 is now."""
    info = os.fstat(2)
    return info.st_dev, info.st_ino


def test_muffled_blocks_nest_and_overlap_across_threads_and_fd2_comes_back(capfd):
    screen = fd2()
    with noise.muffled() as outer:
        with noise.muffled() as inner:
            os.write(2, ALSA_NOISE)
        os.write(2, b"JACK: cannot connect\n")
    assert fd2() == screen
    assert inner.lines == [ALSA_NOISE.decode().strip()] and len(outer.lines) == 2

    entered, leave = threading.Event(), threading.Event()

    def other_thread():
        with noise.muffled():
            entered.set()
            leave.wait(5)

    with noise.muffled():  # this block leaves first, the other thread's last
        worker = threading.Thread(target=other_thread)
        worker.start()
        entered.wait(5)
    leave.set()
    worker.join(5)
    assert fd2() == screen
    assert capfd.readouterr().err == ""


def test_a_check_stuck_inside_muffled_gives_fd2_back_when_it_times_out(capfd):
    screen, release = fd2(), threading.Event()

    def stuck(options):
        with noise.muffled():
            release.wait(5)
        return doctor.Check("stuck", "pass", "")

    try:
        result = doctor.run_check("stuck", "", stuck, doctor.Options(), timeout_seconds=0.05)
        assert result.detail == "no answer within 0.05 s"
        assert fd2() == screen
        with noise.muffled() as later:  # the stuck block leaves inside a later one: it must not end it
            release.set()
            for thread in threading.enumerate():
                if thread.name == "doctor-stuck":
                    thread.join(5)
            os.write(2, ALSA_NOISE)
    finally:
        release.set()
    assert later.lines == [ALSA_NOISE.decode().strip()]
    assert fd2() == screen and capfd.readouterr().err == ""


def test_verbose_lets_the_noise_through(capfd, monkeypatch):
    monkeypatch.setattr(noise, "shown", True)
    with noise.muffled() as caught:
        os.write(2, ALSA_NOISE)
    assert ALSA_NOISE.decode() in capfd.readouterr().err
    assert caught.lines == []


@pytest.mark.parametrize("verbose", [False, True])
def test_doctor_shows_alsa_noise_only_when_verbose(capfd, verbose):
    args = ["--verbose"] if verbose else []
    result = CliRunner().invoke(cli, [*args, "doctor", "--timeout", TIMEOUT])
    screen = capfd.readouterr().err + result.output
    assert ("ALSA lib" in screen) is verbose
    assert "Traceback" not in screen


def test_a_failed_device_says_so_in_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyaudio", fake_pyaudio(microphone=False))
    with pytest.raises(voice.AudioUnavailable) as error:
        voice.open_stream("microphone", rate=16000, input=True)
    assert str(error.value) == ("no microphone (PortAudio: Invalid input device (no default input device); "
                                "1 message from the audio libraries hidden; --verbose shows them)")
