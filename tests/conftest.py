import socket

import pytest

from voicecoach import session as S
from voicecoach.cues import Heard, parse_typed


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """No test touches a real home directory."""
    home = tmp_path / "home"
    monkeypatch.setenv("VOICECOACH_HOME", str(home))
    home.mkdir(mode=0o700)
    (home / "safety-note-shown").touch(mode=0o600)  # as after a first run; test_cli checks the first one
    return home


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """voicecoach never talks to the network: any attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("voicecoach tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


class Drive:
    """Runs a Session on a fake clock: sounds take `sound_seconds`, cues arrive when they make sense.

    `cues` items are typed words ("next", "7"), Heard objects, or (seconds, cue) to wait that long
    on the clock before offering the cue. Returns the log of (time, action).
    """

    def __init__(self, exercise, cues=(), names=None, time_scale=1.0, solo=None, sound_seconds=0.0,
                 input_ends=True, **session_options):
        self.session = S.Session(exercise, names or {"A": "Sam", "B": "Alex"}, solo=solo, time_scale=time_scale,
                                 **session_options)
        self.cues = list(cues)
        self.now = 0.0
        self.sound_seconds = sound_seconds
        self.input_ends = input_ends
        self.log = []
        self.playing = {}  # sound id -> finish time

    def _record(self, actions):
        for action in actions:
            self.log.append((self.now, action))
            if isinstance(action, (S.Speak, S.PlayChime)):
                self.playing[action.id] = self.now + self.sound_seconds
            elif isinstance(action, S.Hush):
                self.playing.clear()

    def run(self, max_events=20000):
        s = self.session
        self._record(s.start(self.now))
        told_end = False
        for _ in range(max_events):
            if s.finished:
                return self
            if self.cues:
                item = self.cues[0]
                delay = 0.0
                if isinstance(item, tuple):
                    delay, item = item
                heard = item if isinstance(item, Heard) else parse_typed(item, s.accepted)
                due = self.now + delay
                if heard is not None and heard.cue in s.accepted and (s.deadline is None or due <= s.deadline) \
                        and (not self.playing or due < min(self.playing.values())):
                    self.cues.pop(0)
                    self.now = due
                    self._record(s.heard(heard, self.now))
                    continue
            if self.playing:
                sound_id, finish = min(self.playing.items(), key=lambda kv: kv[1])
                if s.deadline is None or finish <= s.deadline:
                    del self.playing[sound_id]
                    self.now = max(self.now, finish)
                    self._record(s.sound_finished(sound_id, self.now))
                    continue
            if s.deadline is not None:
                self.now = max(self.now, s.deadline)
                self._record(s.tick(self.now))
                continue
            if self.input_ends and not told_end:
                told_end = True
                self._record(s.input_ended(self.now))
                continue
            raise AssertionError(f"session stuck in {s.state} at step {s.index}")
        raise AssertionError("session did not finish")

    def of(self, kind):
        return [action for _, action in self.log if isinstance(action, kind)]

    def said(self):
        return [action.text for action in self.of(S.Speak)]

    def times(self, text):
        return [t for t, action in self.log if isinstance(action, S.Speak) and action.text == text]


@pytest.fixture
def drive():
    def run(exercise, cues=(), **kwargs):
        return Drive(exercise, cues, **kwargs).run()

    return run


@pytest.fixture(autouse=True)
def no_real_scheduler(tmp_path, monkeypatch):
    """No test writes the real crontab or systemd units: both point into tmp_path, systemctl does nothing."""
    monkeypatch.setenv("VOICECOACH_CRONTAB", str(tmp_path / "crontab"))
    monkeypatch.setenv("VOICECOACH_SYSTEMD_DIR", str(tmp_path / "systemd-user"))
    monkeypatch.setenv("VOICECOACH_SYSTEMCTL", "true")
    monkeypatch.setenv("VOICECOACH_SCHEDULER", "cron")
