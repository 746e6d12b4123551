"""scripts/install-system-packages, with stand-ins for dpkg-query and apt-get: a package manager
that another program holds is waited for, and every failure ends in one plain sentence."""

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "install-system-packages"
LOCKED = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)"


@pytest.fixture
def fake_apt(tmp_path):
    """A bin folder whose apt-get fails `locked` times with the lock error (or `error`), then succeeds."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"

    def make(locked=0, error=None, installed=False):
        (bin_dir / "dpkg-query").write_text("#!/bin/sh\n" + ("echo 'install ok installed'\n" if installed else "exit 1\n"))
        fail = f"echo '{error}' >&2; exit 100" if error else f"echo '{LOCKED}' >&2; exit 100"
        (bin_dir / "apt-get").write_text(f"""#!/bin/bash
echo "$*" >> {calls}
n=$(grep -c . {calls})
if [ -n "{error or ""}" ] || [ "$n" -le {locked} ]; then {fail}; fi
""")
        for tool in ("dpkg-query", "apt-get"):
            (bin_dir / tool).chmod(0o755)
        return bin_dir

    make.calls = lambda: calls.read_text().splitlines() if calls.exists() else []
    return make


def run(bin_dir, *packages, wait=300):
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "VOICECOACH_APT_POLL": "1",
           "VOICECOACH_APT_WAIT": str(wait)}
    return subprocess.run(["bash", str(SCRIPT), *packages], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


def test_a_package_manager_held_by_another_program_is_waited_for(fake_apt):
    result = run(fake_apt(locked=2), "espeak-ng")
    assert result.returncode == 0, result.stderr
    waiting = [line for line in result.stdout.splitlines() if "waiting" in line]
    assert waiting == ["Another program is installing system packages (often automatic updates); "
                       "waiting for it to finish, up to 5 minutes."]
    assert fake_apt.calls()[-1].endswith("install -y -qq --no-install-recommends espeak-ng")
    assert LOCKED not in result.stdout + result.stderr


def test_a_lock_that_is_never_released_ends_in_one_plain_sentence(fake_apt):
    result = run(fake_apt(locked=1000), "espeak-ng", wait=1)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == ("Another program has been installing system packages for over "
                                              "0 minutes; run this again once it has finished.")
    assert "Traceback" not in result.stderr and LOCKED not in result.stderr


def test_another_failure_is_named_with_apt_gets_last_lines(fake_apt):
    result = run(fake_apt(error="E: Unable to locate package espeak-ng"), "espeak-ng")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == ("The system packages could not be installed (espeak-ng); "
                                              "apt-get's last lines are above.")
    assert "Unable to locate package espeak-ng" in result.stderr


def test_nothing_is_installed_when_nothing_is_missing(fake_apt):
    result = run(fake_apt(installed=True), "espeak-ng", "alsa-utils")
    assert result.returncode == 0 and result.stdout == "" and fake_apt.calls() == []


SETUP = SCRIPT.parent / "setup"


@pytest.fixture
def copy_of_repo(tmp_path):
    """scripts/setup in a folder of its own, with stand-ins for the system packages step, the
    virtual environment's pip and voicecoach (which writes down how it was started)."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "setup").write_text(SETUP.read_text())
    (repo / ".venv" / "bin").mkdir(parents=True)
    started = tmp_path / "started"
    stand_ins = {repo / "scripts" / "install-system-packages": "exit 0",
                 repo / ".venv" / "bin" / "python": "exit 0",
                 repo / ".venv" / "bin" / "voicecoach": f'echo "$*" > {started}; if [ -t 0 ]; then echo tty >> {started}; fi'}
    for path, body in {**stand_ins, repo / "scripts" / "setup": None}.items():
        if body is not None:
            path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(0o755)
    env = {**os.environ, "HOME": str(tmp_path), "PYTHON": "python3"}
    return repo, env, started


def test_setup_at_a_terminal_ends_in_the_welcome(copy_of_repo):
    import pty

    repo, env, started = copy_of_repo
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(["bash", str(repo / "scripts" / "setup")], env=env, stdin=follower,
                                 stdout=follower, stderr=follower, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert process.returncode == 0
    assert started.read_text().splitlines() == ["welcome", "tty"]


def test_setup_without_a_terminal_keeps_its_quick_text_check(copy_of_repo):
    repo, env, started = copy_of_repo
    result = subprocess.run(["bash", str(repo / "scripts" / "setup")], env={**env, "CI": "true"},
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert started.read_text().splitlines() == ["start daily-check-in --text --time-scale 0 --no-log"]
    assert "No terminal here: running the daily check-in as text" in result.stdout
