"""How quickly voicecoach answers, side by side in one run, against a bare `python -c "import click"`.

1. Start-up: wall time from launch to exit of
   - `python -c "import click"` (the floor: an interpreter and click),
   - `voicecoach --help` (target: within 250 ms of the floor),
   - `voicecoach list` (target: within 400 ms of the floor).
2. First sound: from launching `voicecoach start daily-check-in --text --no-log --audio-out X.wav`
   to the first non-silent sample at the sink (target: under 1.5 s). The WAV sink notes the
   wall-clock time of that sample in the file named by VOICECOACH_FIRST_SOUND_FILE; the script
   then types "stop" and the session ends.

Each is run --runs times (alternating, so a busy machine weighs on all alike); median and max.
voicecoach runs as `python -m voicecoach` from this checkout, in a temporary VOICECOACH_HOME.

Usage: python scripts/bench_startup.py [--runs 10]
"""

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_SOUND_ENV = "VOICECOACH_FIRST_SOUND_FILE"  # as voicecoach.voice.FIRST_SOUND_ENV
FIRST_SOUND_TIMEOUT_SECONDS = 15.0


def environment(home: Path) -> dict:
    env = dict(os.environ, VOICECOACH_HOME=str(home), PYTHONPATH=str(ROOT))
    env.pop(FIRST_SOUND_ENV, None)
    return env


def timed(command: list[str], env: dict) -> float:
    """Seconds from launch to exit; a command that fails stops the benchmark."""
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def first_sound(env: dict, folder: Path) -> float:
    """Seconds from launching `start` to its first non-silent sample at the WAV sink."""
    note = folder / "first-sound"
    note.unlink(missing_ok=True)
    env = dict(env, **{FIRST_SOUND_ENV: str(note)})
    command = [sys.executable, "-m", "voicecoach", "start", "daily-check-in", "--text", "--no-log",
               "--audio-out", str(folder / "session.wav")]
    launched = time.time()
    child = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + FIRST_SOUND_TIMEOUT_SECONDS
        while not note.exists() or not note.read_text():
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit(f"no sound from: {' '.join(command)}")
            time.sleep(0.01)
        heard = float(note.read_text())
        child.communicate(b"stop\n", timeout=FIRST_SOUND_TIMEOUT_SECONDS)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return heard - launched




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    # Byte-compiled first, as pip does on install: where PYTHONDONTWRITEBYTECODE is set, each process
    # would otherwise compile every module it imports again (~40 ms a command).
    compileall.compile_dir(str(ROOT / "voicecoach"), quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="voicecoach-bench-"))
    home = folder / "home"
    home.mkdir(mode=0o700)
    (home / "safety-note-shown").touch()  # as after a first run
    env = environment(home)
    voicecoach = [sys.executable, "-m", "voicecoach"]
    commands = {
        'python -c "import click"': [sys.executable, "-c", "import click"],
        "voicecoach --help": [*voicecoach, "--help"],
        "voicecoach list": [*voicecoach, "list"],
    }
    for command in commands.values():  # warm the file cache once, as a user's second run would be
        timed(command, env)
    times: dict[str, list[float]] = {name: [] for name in [*commands, "start to first sound"]}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(timed(command, env))
        times["start to first sound"].append(first_sound(env, folder))

    floor = statistics.median(times['python -c "import click"'])
    targets = {"voicecoach --help": ("over the floor", 0.250), "voicecoach list": ("over the floor", 0.400),
               "start to first sound": ("from launch", 1.5)}
    print(f"{args.runs} runs each, Python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    print(f"{'':28}{'median':>9}{'max':>9}   target")
    for name, values in times.items():
        median, worst = statistics.median(values), max(values)
        line = f"{name:28}{median * 1000:7.0f}ms{worst * 1000:7.0f}ms"
        if name in targets:
            how, limit = targets[name]
            measured = median - floor if how == "over the floor" else median
            verdict = "ok" if measured <= limit else "OVER"
            line += f"   {measured * 1000:.0f} ms {how}, limit {limit * 1000:.0f} ms: {verdict}"
        print(line)


if __name__ == "__main__":
    main()
