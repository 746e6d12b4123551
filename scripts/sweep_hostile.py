"""Re-runs the adversarial sweep of issue 20 against the real `voicecoach` command and prints figures:
damaged data files against every command, files of the user's own in VOICECOACH_HOME, signals at
random moments of a session, writers at once, fuzzed exercise files, network sockets under strace,
odd audio files for `hear`, and `--audio-in` of an hour-long clip in real time.

    python scripts/sweep_hostile.py [--quick] [--only SECTION] [--seed 20] [--long]
                                    [--case FILE:KIND] [--command WORDS]

The issue's targets, which make the exit status 1 when missed: tracebacks 0, hangs 0, files touched
outside voicecoach's own 0, network sockets 0, journals damaged by a signal 0, peak memory of `hear`
and `check` on any input <= 300 MB, and `--audio-in` at real time under 10 % of a core. Multi-line
user errors and lost updates are counted and listed too.

Every run is its own `voicecoach` process (the one beside sys.executable, with this checkout on
PYTHONPATH), with a fresh VOICECOACH_HOME under a temporary folder, CI=true and no stdin unless cues
are fed. Peak memory is the child's ru_maxrss from wait4. A run still going after its timeout is a
hang; one above 1.5 GB is killed so that the machine, shared, does not swap. The recorded speech is
read from ../shared/speech beside the checkout. The hour of 48 kHz stereo FLAC that `hear` (with
--long or a full run) and `audio-in` need takes about a minute to make and is kept in the system's
temporary folder for the next run. --quick shrinks every count (about 5 minutes in all); a full run
takes about 40 minutes on two busy cores. --case and --command narrow the damaged section down to
one finding, to reproduce it.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from voicecoach.paths import OWN_NAMES  # noqa: E402 (what is not among these, in the home, is the user's)

SPEECH = ROOT.parent / "shared" / "speech" / "words"
LIBRARY = ROOT / "voicecoach" / "library"
VOICECOACH = str(Path(sys.executable).parent / "voicecoach")
CACHE = Path(tempfile.gettempdir()) / "voicecoach-sweep"
FINDINGS = CACHE / "findings"
PASSPHRASE = "sweep passphrase"
CHECK_IN_CUES = "next\n" + "I'm done\n" * 6 + "7\n6\n"
RSS_BUDGET_MB = 300
CPU_BUDGET_PERCENT = 10
RSS_KILL_MB = 1500
AS_ROOT = os.geteuid() == 0
FINAL_OUTCOMES = {"completed", "stopped", "interrupted", "declined"}
# Lines that are notes, not the error: the audio note of a text-only session.
NOTE = re.compile(r"^Text only: ")
LOCATED = re.compile(r"^\S.*:\d+: \S")
"""A problem in a file, as check prints each: file:line: problem."""


@dataclass
class Run:
    command: list
    code: int | None  # None: hung (killed after its timeout) or killed for its memory
    out: str
    err: str
    seconds: float
    rss_mb: float
    killed_for_memory: bool = False

    @property
    def traceback(self) -> bool:
        text = self.out + self.err
        return "Traceback" in text or "Exception ignored" in text

    @property
    def hung(self) -> bool:
        return self.code is None and not self.killed_for_memory

    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip() and not NOTE.match(line)]

    @property
    def multiline_error(self) -> bool:
        return self.code not in (0, None) and not self.traceback and len(self.error_lines()) > 1

    def shown(self) -> str:
        return " ".join(["voicecoach", *self.command])


@dataclass
class Tally:
    """One section's counts, and what it found, each with a way to reproduce it."""
    name: str
    runs: int = 0
    tracebacks: int = 0
    multiline: int = 0
    hangs: int = 0
    max_rss_mb: float = 0.0
    max_seconds: float = 0.0
    findings: list = field(default_factory=list)

    def add(self, run: Run, repro: str, one_line_a_problem: bool = False) -> None:
        """Counts a run. With `one_line_a_problem` (check, show of a file) several 'file:line: problem'
        lines are one error each, as check prints them; a line of another form among them still counts."""
        self.runs += 1
        self.max_rss_mb = max(self.max_rss_mb, run.rss_mb)
        self.max_seconds = max(self.max_seconds, run.seconds)
        multiline = run.multiline_error and not (
            one_line_a_problem and all(LOCATED.match(line) for line in run.error_lines()))
        for flaw, count in (("traceback", run.traceback), ("multi-line error", multiline),
                            ("hang", run.hung), ("killed over 1.5 GB", run.killed_for_memory)):
            if count:
                self.tracebacks += flaw == "traceback"
                self.multiline += flaw == "multi-line error"
                self.hangs += flaw == "hang"
                self.findings.append((flaw, repro, excerpt(run)))

    def print(self) -> None:
        print(f"  {self.name}: runs {self.runs}, tracebacks {self.tracebacks}, multi-line errors "
              f"{self.multiline}, hangs {self.hangs}, max RSS {self.max_rss_mb:.0f} MB, "
              f"max time {self.max_seconds:.1f} s")


def excerpt(run: Run) -> str:
    """The end of a run's output: a traceback's last lines, or the error lines."""
    if run.code is None:
        return f"(no exit after {run.seconds:.0f} s)" if not run.killed_for_memory else "(killed over 1.5 GB)"
    lines = (run.out + run.err).splitlines() if run.traceback else run.error_lines()
    return f"exit {run.code}: " + " | ".join(lines[-4:])[:600]


def child_env(home: Path, extra: dict | None = None) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "VOICECOACH_PASSPHRASE"}
    env.update(CI="true", VOICECOACH_HOME=str(home), PYTHONPATH=str(ROOT))
    env.update(extra or {})
    return env


def vm_rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else 0.0


def reap(process: subprocess.Popen, timeout: float) -> tuple[int | None, float, bool]:
    """(exit code or None, peak RSS MB, killed for memory): waits with wait4 for the child's ru_maxrss,
    killing its process group after `timeout` or above RSS_KILL_MB."""
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage.ru_maxrss / 1024, False
        over = vm_rss_mb(process.pid) > RSS_KILL_MB
        if over or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return None, usage.ru_maxrss / 1024, over
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def run(args, home: Path, cues: str | None = None, timeout: float = 30, env: dict | None = None,
        prefix=()) -> Run:
    """One voicecoach process: `cues` (if any) as its whole stdin, else no stdin."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as stdin:
        if cues is not None:
            stdin.write(cues.encode())
            stdin.seek(0)
        began = time.perf_counter()
        process = subprocess.Popen([*prefix, VOICECOACH, *args], stdin=subprocess.DEVNULL if cues is None else stdin,
                                   stdout=out, stderr=err, env=child_env(home, env), start_new_session=True)
        code, rss, over = reap(process, timeout)
        seconds = time.perf_counter() - began
        out.seek(0)
        err.seek(0)
        return Run(list(args), code, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                   seconds, rss, over)


def speech(word: str, index: int = 0) -> Path:
    return sorted((SPEECH / word).glob("*.wav"))[index]


def exercise_ids() -> list[str]:
    return sorted(path.stem for path in LIBRARY.glob("*.yaml"))


def snapshot(folder: Path) -> dict:
    """{path: (content hash, mode, mtime)} of every file under `folder`; (None, mode, "folder") of
    every folder, whose mtime only says that something in it changed, which its entries tell."""
    found = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode):
            found[str(path)] = (None, stat.S_IMODE(info.st_mode), "folder")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(info.st_mode) else None
        found[str(path)] = (digest, stat.S_IMODE(info.st_mode), info.st_mtime_ns)
    return found


def changed(before: dict, after: dict) -> list[str]:
    """What was changed or removed, and what was added but a new folder (its files are listed)."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
                  and not (path not in before and after[path][2] == "folder"))


# ---------------------------------------------------------------------------------------------------
# A home with something in every data file, made once and copied for each run.

def build_base(home: Path, exports: Path) -> None:
    steps = [
        (["start", "daily-check-in", "--text", "--no-listen", "--time-scale", "0", "--log"], CHECK_IN_CUES),
        (["start", "daily-check-in", "--text", "--no-listen", "--time-scale", "0", "--log"], CHECK_IN_CUES),
        (["start", "box-breathing", "--text", "--no-listen", "--time-scale", "0", "--log"], ""),
        (["plan", "add", "daily-check-in", "--at", "21:00"], None),
        (["program", "start", "first-week"], None),
        (["config", "set", "partner-a", "Sam"], None),
        (["config", "set", "partner-b", "Alex"], None),
        (["enroll", "--partner", "a", "--word", "seven",
          *[arg for index in range(3) for arg in ("--audio-in", str(speech("seven", index)))]], None),
        (["export", "-o", str(exports / "export.json")], None),
    ]
    for args, cues in steps:
        result = run(args, home, cues, timeout=120)
        if result.code != 0:
            raise SystemExit(f"sweep_hostile: setting up failed: {result.shown()}: {excerpt(result)}")


# ---------------------------------------------------------------------------------------------------
# 1. damaged

def _json_types_wrong(text: str) -> str:
    data = json.loads(text)
    return json.dumps({key: "x" for key in data} if isinstance(data, dict) else "x")


def _huge_numbers(text: str) -> str:
    return re.sub(r"(?<![\w.-])\d+(?![\w.:-])", "1" * 400, text)


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for index, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[index]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\nrate: *i\n"


def _flip_page(path: Path, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    page = 4096 * rng.randrange(1, max(2, len(data) // 4096))
    for offset in range(page, min(page + 4096, len(data))):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _sqlite(path: Path, statement: str) -> None:
    db = sqlite3.connect(path)
    db.executescript(statement)
    db.close()


def _npz_pickle(path: Path, canary: Path) -> None:
    """An npz whose array is a pickle that would create `canary` if loaded with allow_pickle."""
    class Plant:
        def __reduce__(self):
            return (open, (str(canary), "w"))
    import pickle
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # An .npy of dtype object is a header then a pickle of the array's items.
        header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
        header = header.ljust(118) + "\n"
        payload = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
        archive.writestr("A.npy", payload + pickle.dumps([Plant()]))
    path.write_bytes(buffer.getvalue())


def generic_kinds() -> dict:
    """Damage any data file can take: (path, rng, outside) -> None."""
    def folder(path, rng, outside):
        path.unlink(missing_ok=True)
        path.mkdir()

    def loop(path, rng, outside):
        path.unlink(missing_ok=True)
        path.symlink_to(path.name)

    def to_outside(path, rng, outside):
        # a symlink out of the home, to a file of the user's: it must be left as it is
        path.unlink(missing_ok=True)
        path.symlink_to(outside / "precious.txt")

    kinds = {
        "empty": lambda path, rng, outside: path.write_bytes(b""),
        "random": lambda path, rng, outside: path.write_bytes(rng.randbytes(4096)),
        "truncated": lambda path, rng, outside: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
        "non-utf8": lambda path, rng, outside: path.write_bytes(b"\xff\xfe\x80caf\xe9\n" + path.read_bytes()),
        "folder": folder,
        "symlink-loop": loop,
        "symlink-outside": to_outside,
    }
    if not AS_ROOT:
        kinds["chmod-000"] = lambda path, rng, outside: path.chmod(0)
    return kinds


def json_kinds() -> dict:
    return {
        "json-list": lambda path, rng, outside: path.write_text("[1, 2, 3]"),
        "json-string": lambda path, rng, outside: path.write_text('"plan"'),
        "json-null": lambda path, rng, outside: path.write_text("null"),
        "json-deep": lambda path, rng, outside: path.write_text("[" * 10000 + "]" * 10000),
        "json-huge-int": lambda path, rng, outside: path.write_text(_huge_numbers(path.read_text())),
        "json-types-wrong": lambda path, rng, outside: path.write_text(_json_types_wrong(path.read_text())),
        "json-nan": lambda path, rng, outside: path.write_text(re.sub(r"\b\d+\b", "NaN", path.read_text())),
    }


def yaml_kinds() -> dict:
    return {
        "yaml-list": lambda path, rng, outside: path.write_text("- 1\n- 2\n"),
        "yaml-string": lambda path, rng, outside: path.write_text("just a string\n"),
        "yaml-deep": lambda path, rng, outside: path.write_text("rate: " + "[" * 10000 + "]" * 10000 + "\n"),
        "yaml-huge-int": lambda path, rng, outside: path.write_text("rate: " + "1" * 400 + "\nvolume: 1e400\n"),
        "yaml-alias-bomb": lambda path, rng, outside: path.write_text(_alias_bomb()),
        "yaml-types-wrong": lambda path, rng, outside: path.write_text(
            "partner-a: {x: 1}\npartner-b: [1, 2]\nrate: [1]\nvolume: yes\nstreaks: 7\nspeech-engine: 3\n"),
        "yaml-python-tag": lambda path, rng, outside: path.write_text(
            f"partner-a: !!python/object/apply:os.system ['touch {outside / 'pwned'}']\n"),
        "yaml-markup": lambda path, rng, outside: path.write_text(
            "partner-a: \"[bold red]Sam[/]\\e[31m\\e]0;title\\a\"\npartner-b: \"[/]\"\n"),
    }


def journal_kinds() -> dict:
    return {
        "cut-1000-bytes": lambda path, rng, outside: path.write_bytes(path.read_bytes()[:-1000]),
        "page-flipped": lambda path, rng, outside: _flip_page(path, rng),
        "wal-garbage": lambda path, rng, outside: path.with_name(path.name + "-wal").write_bytes(rng.randbytes(8192)),
        "hot-journal-garbage": lambda path, rng, outside: path.with_name(path.name + "-journal").write_bytes(
            rng.randbytes(2048)),
        "table-dropped": lambda path, rng, outside: _sqlite(path, "DROP TABLE ratings;"),
        "future-version": lambda path, rng, outside: _sqlite(path, "PRAGMA user_version = 999;"),
        "outcome-running": lambda path, rng, outside: _sqlite(path, "UPDATE sessions SET outcome = 'running';"),
    }


def npz_kinds() -> dict:
    def wrong_arrays(path, rng, outside):
        import numpy as np
        with open(path, "wb") as file:
            np.savez(file, A=np.zeros((3, 0)), seven=np.array(["x"]), B=np.full(5, np.nan))

    return {"npz-pickle": lambda path, rng, outside: _npz_pickle(path, outside / "pwned"),
            "npz-wrong-arrays": wrong_arrays,
            "npz-empty-zip": lambda path, rng, outside: zipfile.ZipFile(path, "w").close()}


def private_kinds() -> dict:
    # Names outside the home, relative and absolute, all in the run's own folder: a system file here
    # would be sealed for real by 'lock' if voicecoach followed them (it did: /etc/hostname once).
    return {"lists-outside": lambda path, rng, outside: path.write_text(
                f"../outside/precious.txt\n{outside / 'precious.txt'}\n"),
            "lists-itself": lambda path, rng, outside: path.write_text("private-files.txt\njournal.sqlite3\n..\n")}


def running_kinds() -> dict:
    def a_file(path, rng, outside):
        shutil.rmtree(path, ignore_errors=True)
        path.write_bytes(rng.randbytes(100))

    def stale(path, rng, outside):
        for index in range(50):
            (path / f"{index:08x}-0000-0000-0000-000000000000.lock").write_bytes(rng.randbytes(rng.randrange(64)))
        (path / "odd.lock").mkdir()

    def symlink_out(path, rng, outside):
        shutil.rmtree(path, ignore_errors=True)
        (outside / "photos").mkdir(exist_ok=True)
        (outside / "photos" / "holiday.lock").write_text("mine")
        path.symlink_to(outside / "photos")

    def many(path, rng, outside):
        for index in range(3000):
            (path / f"x{index}").touch()

    kinds = {"file-in-its-place": a_file, "stale-locks": stale, "symlink-outside": symlink_out, "3000-files": many}
    if not AS_ROOT:
        kinds["chmod-000"] = lambda path, rng, outside: path.chmod(0)
    return kinds


def damage_cases() -> list[tuple[str, str, object]]:
    """(file, kind, damage) for every data file and kind of damage."""
    cases = []
    per_file = {
        "config.yaml": {**generic_kinds(), **yaml_kinds()},
        "plan.json": {**generic_kinds(), **json_kinds()},
        "program.json": {**generic_kinds(), **json_kinds()},
        "reminders.json": {**generic_kinds(), **json_kinds()},
        "voice-profile.npz": {**generic_kinds(), **npz_kinds()},
        "private-files.txt": {**generic_kinds(), **private_kinds()},
        "journal.sqlite3": {**generic_kinds(), **journal_kinds()},
        "running": running_kinds(),
    }
    for name, kinds in per_file.items():
        for kind, damage in kinds.items():
            cases.append((name, kind, damage))
    return cases


def damaged_commands(exports: Path) -> list[tuple[list, str | None, dict | None]]:
    """(args, cues, extra environment) for each command the damaged files meet."""
    session = ["--text", "--no-listen", "--time-scale", "0", "--log"]
    locked = {"VOICECOACH_PASSPHRASE": PASSPHRASE}
    return [
        (["list"], None, None),
        (["show", "daily-check-in"], None, None),
        (["history"], None, None),
        (["stats"], None, None),
        (["export"], None, None),
        (["export", "--format", "csv"], None, None),
        (["export", "--all", "ARCHIVE"], None, None),
        (["due"], None, None),
        (["plan", "list"], None, None),
        (["plan", "add", "box-breathing", "--at", "07:30", "--days", "weekdays"], None, None),
        (["config", "show"], None, None),
        (["config", "set", "partner-a", "X"], None, None),
        (["doctor"], None, None),
        (["enroll", "--show"], None, None),
        (["hear", str(speech("stop"))], None, None),
        (["check", str(LIBRARY / "daily-check-in.yaml")], None, None),
        (["start", "daily-check-in", *session], CHECK_IN_CUES, None),
        (["today", *session], CHECK_IN_CUES, None),
        (["forget", "--session", "abcd", "--yes"], None, None),
        (["lock"], None, locked),
        (["unlock"], None, locked),
        (["import", str(exports / "export.json")], None, None),
        (["safety"], None, None),
        (["program", "list"], None, None),
        (["program", "status"], None, None),
        (["remind"], None, None),
        (["say", "hello"], None, None),
        (["mic"], None, None),
        (["forget", "--all", "--yes"], None, None),
    ]


def outside_folder(work: Path) -> Path:
    """A folder of the user's beside the home, which no damaged file may lead voicecoach to touch."""
    outside = work / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("the user's own words\n")
    return outside


def section_damaged(options, base: Path, exports: Path, work: Path, totals: dict) -> None:
    rng = random.Random(options.seed)
    cases = damage_cases()
    commands = damaged_commands(exports)
    if options.case:
        cases = [case for case in cases if f"{case[0]}:{case[1]}" == options.case]
    if options.command:
        commands = [command for command in commands if " ".join(command[0]) == options.command]
    print(f"\n== damaged: {len(cases)} kinds of damaged file x {len(commands)} commands"
          + (" (as root: chmod 000 stops no read, so not made)" if AS_ROOT else ""))
    tallies, touched = {}, []
    for name, kind, damage in cases:
        chosen = commands if not options.quick or options.case else rng.sample(commands, 3)
        tally = tallies.setdefault(name, Tally(name))
        for args, cues, extra in chosen:
            case = work / "case"
            home = case / "home"
            shutil.copytree(base, home, symlinks=True)
            outside = outside_folder(case)
            damage(home / name, rng, outside)
            before = snapshot(outside)
            args = [str(case / "all.tar.gz") if arg == "ARCHIVE" else arg for arg in args]
            result = run(args, home, cues, env=extra)
            repro = f"python scripts/sweep_hostile.py --only damaged --case '{name}:{kind}' --command '{' '.join(args)}'"
            tally.add(result, repro)
            if args[0] in ("hear", "check"):
                totals[f"{args[0]}_rss"] = max(totals[f"{args[0]}_rss"], result.rss_mb)
            moved = changed(before, snapshot(outside))
            if moved:
                touched.append((repro, moved))
            make_removable(case)
            shutil.rmtree(case)
    for tally in tallies.values():
        tally.print()
    print(f"  files touched outside the home: {len(touched)}")
    for repro, paths in touched:
        print(f"    {repro}: {', '.join(paths)}")
        totals["findings"].append(f"touched: {repro} -> {', '.join(paths)}")
    report(tallies.values(), totals)
    totals["touched"] += len(touched)


def make_removable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o700)


def listed(heading: str, lines: list) -> None:
    """A count, then each line under it."""
    print(f"  {heading}: {len(lines)}")
    for line in lines:
        print(f"    {line}")


def report(tallies, totals: dict) -> None:
    """Prints every finding of these tallies once (a kind of flaw, the reproducing command, the output)
    and adds them to the totals."""
    seen = set()
    for tally in tallies:
        totals["tracebacks"] += tally.tracebacks
        totals["multiline"] += tally.multiline
        totals["hangs"] += tally.hangs
        for flaw, repro, text in tally.findings:
            if (flaw, repro) in seen:
                continue
            seen.add((flaw, repro))
            print(f"    {flaw}: {repro}\n        {text}")
            totals["findings"].append(f"{flaw}: {repro} -> {text}")


# ---------------------------------------------------------------------------------------------------
# 2. foreign

def section_foreign(options, base: Path, exports: Path, work: Path, totals: dict) -> None:
    print("\n== foreign: a VOICECOACH_HOME that already holds the user's own files")
    home = work / "foreign-home"
    shutil.copytree(base, home, symlinks=True)
    (home / "notes.txt").write_text("our notes\n")
    (home / "photos").mkdir()
    (home / "photos" / "holiday.jpg").write_bytes(b"\xff\xd8\xff\xe0" + random.Random(1).randbytes(2000))
    # Named as an atomic write names its temporary file, but after a file of the user's: voicecoach
    # sweeps such leftovers only for its own files' names (one named after journal.sqlite3 is its own).
    stale = home / ".notes.txt.abcdefgh.tmp"
    stale.write_bytes(b"not ours after all")
    os.utime(stale, (time.time() - 600, time.time() - 600))
    shared = home / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    (shared / "readme.md").write_text("shared\n")
    (home / "exercises-old").mkdir()
    fake_home = work / "fake-user-home"
    fake_home.mkdir()
    (fake_home / ".profile").write_text("# mine\n")
    env = {"HOME": str(fake_home), "VOICECOACH_PASSPHRASE": PASSPHRASE}
    session = ["--text", "--no-listen", "--time-scale", "0", "--log"]
    commands = [(["start", "daily-check-in", *session], CHECK_IN_CUES), (["today", *session], CHECK_IN_CUES),
                (["start", "box-breathing", *session], ""), (["history"], None), (["stats"], None),
                (["plan", "add", "body-scan", "--at", "06:00"], None), (["config", "set", "rate", "150"], None),
                (["lock"], None), (["history"], None), (["start", "daily-check-in", *session], CHECK_IN_CUES),
                (["unlock"], None), (["export", "--all", str(work / "foreign.tar.gz")], None),
                (["import", str(exports / "export.json")], None), (["import", str(work / "foreign.tar.gz")], None),
                (["say", "hello"], None), (["doctor"], None), (["remind"], None),
                (["forget", "--session", "abcd", "--yes"], None),
                (["forget", "--before", "2030-01-01", "--yes"], None), (["forget", "--all", "--yes"], None)]
    tally = Tally("foreign")
    touched, by_audio = [], []
    for args, cues in commands:
        before = users_files(home, fake_home)
        result = run(args, home, cues, env=env)
        tally.add(result, f"VOICECOACH_HOME=<home with notes.txt> voicecoach {' '.join(args)}")
        if result.code != 0:
            print(f"  exit {result.code}: voicecoach {' '.join(args)}: {excerpt(result)}")
        for path in changed(before, users_files(home, fake_home)):
            if path in (item[1] for item in touched + by_audio):
                continue
            # libpulse (through PortAudio and ALSA) keeps its runtime state in $HOME/.config/pulse
            # whenever any program opens the sound system: its own file, not voicecoach's nor the user's.
            audio = Path(path).is_relative_to(fake_home / ".config" / "pulse")
            (by_audio if audio else touched).append((" ".join(args), path))
    tally.print()
    print(f"  files touched outside voicecoach's own: {len(touched)}")
    for command, path in touched:
        print(f"    voicecoach {command}: {path}")
    for command, path in by_audio:
        print(f"  written by the sound system, not counted: voicecoach {command}: {path}")
    report([tally], totals)
    totals["touched"] += len(touched)
    totals["findings"] += [f"touched: HOME=<fake> VOICECOACH_HOME=<home with notes.txt> voicecoach {command} -> {path}"
                           for command, path in touched]


def users_files(home: Path, fake_home: Path) -> dict:
    """The snapshot of what is the user's: the home's files not among voicecoach's names, and $HOME
    (whose own folder's mtime changes with what is written in it)."""
    found = {path: state for path, state in snapshot(home).items()
             if Path(path) != home and Path(path).relative_to(home).parts[0] not in OWN_NAMES}
    return {**found, **snapshot(fake_home)}




# ---------------------------------------------------------------------------------------------------
# 3. signals

CUE_CYCLE = ["next", "I'm done", "yes", "7", "I'm done", "6", "next"]


def feed(pipe, stop: threading.Event) -> None:
    """Types cues slowly, as a person would, until the session ends."""
    index = 0
    while not stop.wait(0.12):
        try:
            pipe.write((CUE_CYCLE[index % len(CUE_CYCLE)] + "\n").encode())
            pipe.flush()
        except OSError:
            return
        index += 1


def journal_state(home: Path) -> tuple[str, int]:
    """(integrity_check's answer, sessions still 'running' in the file)."""
    path = home / "journal.sqlite3"
    if not path.exists():
        return "no journal", 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        running = db.execute("SELECT COUNT(*) FROM sessions WHERE outcome = 'running'").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return f"error: {error}", 0
    finally:
        db.close()
    return integrity, running


def session_ids(home: Path) -> tuple[set, set, Run]:
    """(ids, outcomes) of the sessions `voicecoach export` writes, and the run."""
    result = run(["export"], home)
    try:
        sessions = json.loads(result.out)["sessions"]
    except (ValueError, KeyError):
        return set(), set(), result
    return {s["id"] for s in sessions}, {s["outcome"] for s in sessions}, result


def section_signals(options, base: Path, work: Path, totals: dict) -> None:
    count = 30 if options.quick else 171
    rng = random.Random(options.seed + 3)
    seed_ids, _, _ = session_ids(base)
    exercises = exercise_ids()
    print(f"\n== signals: {count} sessions interrupted at a random moment (a second signal in some)")
    tally = Tally("signals")
    by_signal: dict = {}
    bad_journals, odd_exits, lost, unrecorded = [], [], [], []
    begun = 0
    for index in range(count):
        home = work / f"signal-{index}"
        shutil.copytree(base, home, symlinks=True)
        exercise = rng.choice(exercises)
        first = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
        moment = rng.uniform(0, 0.5) if rng.random() < 0.35 else rng.uniform(0, 3)
        second = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGHUP]) if rng.random() < 0.3 else None
        gap = rng.uniform(0.05, 0.3)
        args = ["start", exercise, "--text", "--no-listen", "--time-scale", "0.02", "--log"]
        repro = (f"(yes next | voicecoach {' '.join(args)}) & sleep {moment:.2f}; kill -{first.name[3:]} %1"
                 + (f"; sleep {gap:.2f}; kill -{second.name[3:]} %1" if second else ""))
        result = interrupted_session(args, home, moment, first, second, gap)
        name = first.name + ("+" + second.name if second else "")
        counts = by_signal.setdefault(name, {"runs": 0, "finished": 0, "interrupted": 0, "died": 0, "odd": 0})
        counts["runs"] += 1
        tally.add(result, repro)
        signals_sent = {first} | ({second} if second else set())
        if result.code == 0:
            counts["finished"] += 1
        elif result.code in {128 + s for s in signals_sent}:
            counts["interrupted"] += 1
        elif result.code in {-s for s in signals_sent}:
            # killed by the signal itself, before Python set its handlers: a shell reports 128+signal too
            counts["died"] += 1
        elif result.code is not None:
            counts["odd"] += 1
            odd_exits.append(f"exit {result.code}: {repro} -> {excerpt(result)}")
        integrity, _ = journal_state(home)
        history = run(["history"], home)
        tally.add(history, f"after: {repro}; voicecoach history")
        ids, outcomes, export = session_ids(home)
        _, still_running = journal_state(home)
        problems = []
        if integrity not in ("ok", "no journal"):
            problems.append(f"integrity_check: {integrity}")
        if history.code != 0:
            problems.append(f"history exit {history.code}: {excerpt(history)}")
        if export.code != 0 or outcomes - FINAL_OUTCOMES:
            problems.append(f"export exit {export.code}, outcomes {sorted(outcomes)}")
        if seed_ids - ids:
            lost.append(f"{repro}: {len(seed_ids - ids)} earlier sessions missing")
        if "type stop to end" in result.out:
            begun += 1
            if not ids - seed_ids:
                unrecorded.append(f"{repro}: the session began (its title shown) but is not in the journal")
        if still_running:
            problems.append(f"{still_running} session(s) left 'running' in the file after history")
        if problems:
            bad_journals.append(f"{repro}: {'; '.join(problems)}")
        make_removable(home)
        shutil.rmtree(home)
    print(f"  {'signal':16} {'runs':>5} {'finished':>9} {'128+sig':>8} {'died of it':>11} {'other exit':>11}")
    for name, counts in sorted(by_signal.items()):
        print(f"  {name:16} {counts['runs']:5} {counts['finished']:9} {counts['interrupted']:8} {counts['died']:11}"
              f" {counts['odd']:11}")
    print("  (died of it: killed before Python set its handlers, in its first few ms; a shell sees 128+signal)")
    tally.print()
    listed("exits other than 0, 128+signal or death by the signal", odd_exits)
    listed("journals damaged or inconsistent after a signal", bad_journals)
    print(f"  sessions begun before the signal: {begun}; of them not in the journal: {len(unrecorded)}"
          " (a signal between the title and the first write may leave none: not counted as a failure)")
    for line in unrecorded:
        print(f"    {line}")
    listed("earlier sessions lost", lost)
    report([tally], totals)
    totals["inconsistent"] += len(bad_journals) + len(lost)
    totals["findings"] += [f"journal: {line}" for line in bad_journals + lost]
    totals["findings"] += [f"odd exit: {line}" for line in odd_exits]
    totals["odd_exits"] += len(odd_exits)


def interrupted_session(args, home: Path, moment: float, first, second, gap: float) -> Run:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen([VOICECOACH, *args], stdin=subprocess.PIPE, stdout=out, stderr=err,
                                   env=child_env(home), start_new_session=True)
        stop = threading.Event()
        feeder = threading.Thread(target=feed, args=(process.stdin, stop), daemon=True)
        feeder.start()
        time.sleep(moment)
        sent = send(process, first)
        if sent and second:
            time.sleep(gap)
            send(process, second)
        code, rss, over = reap(process, 30)
        stop.set()
        feeder.join()
        try:
            process.stdin.close()
        except OSError:
            pass
        out.seek(0)
        err.seek(0)
        return Run(args, code, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                   time.perf_counter() - began, rss, over)


def send(process: subprocess.Popen, which) -> bool:
    """Sends the signal unless the session has already ended (then nothing is sent)."""
    if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
        return False
    os.kill(process.pid, which)
    return True


# ---------------------------------------------------------------------------------------------------
# 4. writers

def at_once(jobs, home: Path, tally: Tally, errors: list) -> list[Run]:
    """Runs (args, cues) jobs all at once; their Runs in order."""
    results = [None] * len(jobs)

    def one(index, args, cues):
        results[index] = run(args, home, cues, timeout=60)

    threads = [threading.Thread(target=one, args=(index, *job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        tally.add(result, f"8 at once: {result.shown()}")
        if result.code != 0:
            errors.append(f"8 at once: {result.shown()}: {excerpt(result)}")
    return results


def section_writers(options, work: Path, totals: dict) -> None:
    rounds = 1 if options.quick else 4
    print(f"\n== writers: 8 processes at once, {rounds} round(s) of plan add, config set and sessions")
    tally = Tally("writers")
    lost, errors = [], []
    keys = {"partner-a": "Ann", "partner-b": "Bo", "partner-a-say": "An", "partner-b-say": "Boh",
            "rate": "170", "volume": "0.5", "helplines": "call 112", "prepare-seconds": "12"}
    for number in range(rounds):
        home = work / f"writers-{number}"
        home.mkdir()
        exercises = exercise_ids()[:8]
        jobs = [(["plan", "add", exercise, "--at", f"{8 + index:02d}:{number * 7:02d}"], None)
                for index, exercise in enumerate(exercises)]
        at_once(jobs, home, tally, errors)
        missing = [exercise for exercise in exercises if exercise not in plan_exercises(home)]
        if missing:
            lost.append(f"plan add x8 (round {number}): {len(missing)} lost: {', '.join(missing)}")
        at_once([(["config", "set", key, value], None) for key, value in keys.items()], home, tally, errors)
        shown = run(["config", "show"], home).out
        missing = [key for key, value in keys.items() if not re.search(rf"^{key}\s+{re.escape(value)}\s*$", shown, re.M)]
        if missing:
            lost.append(f"config set x8 (round {number}): {len(missing)} lost: {', '.join(missing)}")
        session = ["start", "daily-check-in", "--text", "--no-listen", "--time-scale", "0", "--log"]
        results = at_once([(session, CHECK_IN_CUES)] * 8, home, tally, errors)
        ids, _, _ = session_ids(home)
        finished = sum(result.code == 0 for result in results)
        if len(ids) != finished:
            lost.append(f"sessions x8 (round {number}): {finished} exited 0, {len(ids)} in the journal")
        make_removable(home)
        shutil.rmtree(home)
    tally.print()
    listed("writers that failed", errors)
    listed("lost updates", lost)
    report([tally], totals)
    totals["lost"] += len(lost)
    totals["findings"] += [f"lost update: {line}" for line in lost]
    totals["findings"] += [f"writer failed: {line}" for line in errors]


def plan_exercises(home: Path) -> set:
    try:
        return {entry["exercise"] for entry in json.loads((home / "plan.json").read_text())["entries"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


# ---------------------------------------------------------------------------------------------------
# 5. fuzz

MARKUP = ["[/]", "[bold]", "[link=file:///etc/passwd]x[/link]", "\x1b[31m", "\x1b]0;owned\x07", "\x1b[2J",
          "\x00", "\x07", "\r", "\u202e", "{A}{B}{C}", "{", "%s%n", "\ufeff"]


def mutate(text: str, rng: random.Random) -> str:
    """One to four random mutations of an exercise file's text."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        how = rng.randrange(9)
        at = rng.randrange(len(lines))
        if how == 0:
            data = bytearray(lines[at].encode())
            if data:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            lines[at] = data.decode(errors="replace")
        elif how == 1:
            del lines[at]
        elif how == 2:
            lines[at:at] = [lines[at]] * rng.randint(1, 50)
        elif how == 3:
            lines[at] = re.sub(r"\d+(\.\d+)?", rng.choice(["9" * 400, "1e400", "-1", "0", "nan", ".inf"]), lines[at])
        elif how == 4:
            lines[at] = re.sub(r":\s+(\S.*)$", ": " + "[" * 5000 + "]" * 5000, lines[at])
        elif how == 5:
            spot = rng.randrange(len(lines[at]) + 1)
            lines[at] = lines[at][:spot] + rng.choice(MARKUP) + lines[at][spot:]
        elif how == 6:
            lines[at] = re.sub(r":\s+(\S.*)$", r": &x \1", lines[at]) + "\nextra: *x"
        elif how == 7:
            lines[at] = lines[at].replace("  ", "\t", 1)
        else:
            lines.insert(at, rng.choice(["steps: null", "- kind: goto\n  to: 99999", "id: ../../etc/passwd",
                                         "<<: *nothing", "!!python/object/apply:os.system ['true']", "---", "..."]))
        if not lines:
            lines = [""]
    return "\n".join(lines)


def section_fuzz(options, work: Path, totals: dict) -> None:
    count = 100 if options.quick else 1010
    rng = random.Random(options.seed + 5)
    sources = sorted(LIBRARY.glob("*.yaml")) + sorted((LIBRARY / "programs").glob("*.yaml"))
    folder = work / "fuzz"
    folder.mkdir()
    files = []
    for index in range(count):
        source = rng.choice(sources)
        path = folder / f"{index:04d}-{source.name}"
        path.write_bytes(mutate(source.read_text(), rng).encode(errors="surrogateescape"))
        files.append(path)
    home = work / "fuzz-home"
    home.mkdir()
    print(f"\n== fuzz: {count} mutated exercise and program files, 'check' in batches of 25, 'show' on a sample")
    check, show = Tally("check (25 files a run)"), Tally("show (one file a run)")
    escapes = []
    for start in range(0, count, 25):
        batch = files[start:start + 25]
        result = run(["check", *map(str, batch)], home, timeout=60)
        check.runs += 1
        check.max_rss_mb = max(check.max_rss_mb, result.rss_mb)
        check.max_seconds = max(check.max_seconds, result.seconds)
        if result.traceback or result.code is None:
            for path in batch:  # which file of the batch
                single = run(["check", str(path)], home, timeout=60)
                check.add(single, f"voicecoach check {keep(path)}", one_line_a_problem=True)
        if "\x1b" in result.out + result.err:
            escapes.append(f"voicecoach check {' '.join(keep(path) for path in batch if chr(27) in path.read_text(errors='replace'))}")
    for path in rng.sample(files, max(20, count // 10)):
        result = run(["show", str(path)], home)
        show.add(result, f"voicecoach show {keep(path) if result.traceback or result.hung or result.multiline_error else path.name}",
                 one_line_a_problem=True)
        if "\x1b" in result.out + result.err:
            escapes.append(f"voicecoach show {keep(path)}")
    check.print()
    show.print()
    listed("runs with a raw ESC from a file in their output", escapes)
    report([check, show], totals)
    totals["check_rss"] = max(totals["check_rss"], check.max_rss_mb)
    totals["escapes"] += len(escapes)
    totals["findings"] += [f"raw ESC in output: {line}" for line in escapes]


def keep(path: Path) -> str:
    """Copies a file that found something to FINDINGS (the temporary folder goes), and names the copy."""
    FINDINGS.mkdir(parents=True, exist_ok=True)
    target = FINDINGS / path.name
    shutil.copyfile(path, target)
    return str(target)


# ---------------------------------------------------------------------------------------------------
# 6. strace

def section_strace(options, base: Path, exports: Path, work: Path, totals: dict) -> None:
    session = ["--text", "--no-listen", "--time-scale", "0", "--log"]
    commands = [
        (["--version"], None), (["list"], None), (["show", "daily-check-in"], None), (["history"], None),
        (["stats"], None), (["export"], None), (["due"], None), (["plan", "list"], None),
        (["plan", "add", "body-scan", "--at", "06:00"], None), (["config", "show"], None),
        (["config", "set", "rate", "150"], None), (["doctor"], None), (["enroll", "--show"], None),
        (["hear", "--engine", "whisper", str(speech("stop"))], None),
        (["hear", "--engine", "pocketsphinx", str(speech("stop"))], None),
        (["check", str(LIBRARY / "daily-check-in.yaml")], None),
        (["start", "daily-check-in", *session], CHECK_IN_CUES), (["today", *session], CHECK_IN_CUES),
        (["safety"], None), (["program", "list"], None), (["remind"], None), (["say", "hello"], None),
        (["lock"], None), (["unlock"], None), (["import", str(exports / "export.json")], None),
        (["voices"], None), (["mic"], None), (["forget", "--all", "--yes"], None),
    ]
    print(f"\n== strace: network system calls of {len(commands)} commands")
    home = work / "strace-home"
    shutil.copytree(base, home, symlinks=True)
    tally = Tally("strace")
    sockets = 0
    print(f"  {'command':58} {'exit':>4} {'AF_INET(6) sockets':>19} {'other sockets':>14}")
    for args, cues in commands:
        trace = work / "strace.out"
        result = run(args, home, cues, timeout=120, env={"VOICECOACH_PASSPHRASE": PASSPHRASE},
                     prefix=("/usr/bin/strace", "-f", "-e", "trace=network", "-o", str(trace)))
        text = trace.read_text(errors="replace") if trace.exists() else ""
        internet = re.findall(r"socket\((AF_INET6?|PF_INET6?)\b.*", text)
        others = re.findall(r"socket\((?!AF_INET|PF_INET)(\w+)", text)
        sockets += len(internet)
        tally.add(result, f"strace -f -e trace=network voicecoach {' '.join(args)}")
        print(f"  {' '.join(args)[:58]:58} {result.code if result.code is not None else '-':>4} {len(internet):19} "
              f"{', '.join(sorted(set(others))) or '0':>14}")
        if internet:
            for line in sorted(set(re.findall(r"^\d+\s+(?:socket|connect)\(.*AF_INET.*$", text, re.M)))[:5]:
                print(f"      {line}")
            totals["findings"].append(f"socket: strace -f -e trace=network voicecoach {' '.join(args)} -> "
                                      f"{len(internet)} AF_INET/AF_INET6 sockets")
        trace.unlink(missing_ok=True)
    print(f"  AF_INET/AF_INET6 sockets in all: {sockets}")
    report([tally], totals)
    totals["sockets"] += sockets


# ---------------------------------------------------------------------------------------------------
# 7. audio

def wav_header(rate: int, channels: int, bits: int, data_size: int, riff_size: int | None = None,
               format_tag: int = 1) -> bytes:
    block = channels * bits // 8
    fmt = (format_tag.to_bytes(2, "little") + channels.to_bytes(2, "little") + rate.to_bytes(4, "little")
           + (rate * block).to_bytes(4, "little") + block.to_bytes(2, "little") + bits.to_bytes(2, "little"))
    riff = riff_size if riff_size is not None else 36 + data_size
    return (b"RIFF" + riff.to_bytes(4, "little") + b"WAVEfmt " + len(fmt).to_bytes(4, "little") + fmt
            + b"data" + data_size.to_bytes(4, "little"))


def noise_with_words(seconds: float, rate: int, channels: int, rng, words=("bird", "cat", "house", "tree")):
    """int16 frames of quiet noise with a recorded word (upsampled by repetition) every ten seconds. Made ten
    seconds at a time by the callers: a child's ru_maxrss counts this process's size when it was forked,
    so this process must stay small for the children's figures to be theirs."""
    import numpy as np
    import soundfile

    frames = np.asarray(rng.normal(0, 40, (int(seconds * rate), channels)), dtype=np.int16)
    for start in range(rate * 3, len(frames) - rate * 2, rate * 5):
        word, _ = soundfile.read(speech(words[start % len(words)], start % 5), dtype="int16")
        word = np.repeat(word, max(1, rate // 16000))[: len(frames) - start]
        frames[start:start + len(word)] += word[:, None]
    return frames


def make_odd_audio(folder: Path, long: bool) -> list[Path]:
    """~40 odd audio files, by name; the ten-minute one is made only for a full run."""
    import numpy as np
    import soundfile

    rng = np.random.default_rng(7)
    word, _ = soundfile.read(speech("stop"), dtype="int16")
    raw = word.tobytes()
    files = {}

    def put(name, data: bytes):
        files[name] = folder / name
        files[name].write_bytes(data)

    put("rate-1hz.wav", wav_header(1, 1, 16, 2000) + rng.integers(-3000, 3000, 1000, dtype=np.int16).tobytes())
    put("rate-8hz.wav", wav_header(8, 1, 16, len(raw)) + raw)
    put("rate-400khz.wav", wav_header(400_000, 1, 16, len(raw)) + raw)
    put("rate-0hz.wav", wav_header(0, 1, 16, len(raw)) + raw)
    put("channels-0.wav", wav_header(16000, 0, 16, len(raw)) + raw)
    put("channels-64.wav", wav_header(16000, 64, 16, len(raw) // 128 * 128) + raw[: len(raw) // 128 * 128])
    put("bits-12.wav", wav_header(16000, 1, 12, len(raw)) + raw)
    put("format-tag-unknown.wav", wav_header(16000, 1, 16, len(raw), format_tag=0x1234) + raw)
    put("truncated-data.wav", wav_header(16000, 1, 16, len(raw)) + raw[: len(raw) // 3])
    put("data-size-2gb.wav", wav_header(16000, 1, 16, 0x7FFFFFF0) + raw)
    put("data-size-4gb.wav", wav_header(16000, 1, 16, 0xFFFFFFFF, riff_size=0xFFFFFFFF) + raw)
    put("data-size-0.wav", wav_header(16000, 1, 16, 0) + raw)
    put("odd-data-size.wav", wav_header(16000, 1, 16, 3) + raw[:3])
    put("header-only.wav", wav_header(16000, 1, 16, 0))
    put("empty.wav", b"")
    put("one-sample.wav", wav_header(16000, 1, 16, 2) + raw[:2])
    put("mp3-named.wav", b"ID3\x03\x00\x00\x00\x00\x00\x0f" + bytes(rng.integers(0, 256, 20000, dtype=np.uint8)))
    put("text-named.wav", b"this is not a sound\n" * 100)
    put("huge-list-chunk.wav", raw_chunked(raw))
    put("line\nbreak \x1b[31m.wav", wav_header(16000, 1, 16, len(raw)) + raw)
    for name, subtype in (("pcm-u8.wav", "PCM_U8"), ("pcm-24.wav", "PCM_24"), ("pcm-32.wav", "PCM_32"),
                          ("float-32.wav", "FLOAT"), ("float-64.wav", "DOUBLE"), ("ulaw.wav", "ULAW"),
                          ("ima-adpcm.wav", "IMA_ADPCM")):
        files[name] = folder / name
        soundfile.write(files[name], word, 16000, subtype=subtype)
    for name, fmt in (("word.flac", "FLAC"), ("word.ogg", "OGG"), ("aiff-named.wav", "AIFF"), ("rf64.wav", "RF64")):
        files[name] = folder / name
        soundfile.write(files[name], word, 16000, format=fmt)
    files["flac-named.wav"] = folder / "flac-named.wav"
    soundfile.write(files["flac-named.wav"], word, 16000, format="FLAC")
    nan = np.full(16000, np.nan, dtype=np.float32)
    nan[::2] = np.inf
    files["nan-float.wav"] = folder / "nan-float.wav"
    soundfile.write(files["nan-float.wav"], nan, 16000, subtype="FLOAT")
    files["full-scale-square.wav"] = folder / "full-scale-square.wav"
    soundfile.write(files["full-scale-square.wav"], np.where(np.arange(160000) % 40 < 20, 32767, -32768).astype(np.int16), 16000)
    files["silence-10s.wav"] = folder / "silence-10s.wav"
    soundfile.write(files["silence-10s.wav"], np.zeros(160000, dtype=np.int16), 16000)
    os.mkfifo(folder / "fifo.wav")
    files["fifo.wav"] = folder / "fifo.wav"
    (folder / "directory.wav").mkdir()
    files["directory.wav"] = folder / "directory.wav"
    for name, target in (("dev-zero.wav", "/dev/zero"), ("dev-urandom.wav", "/dev/urandom")):
        (folder / name).symlink_to(target)
        files[name] = folder / name
    (folder / "loop.wav").symlink_to("loop.wav")
    files["loop.wav"] = folder / "loop.wav"
    files["missing.wav"] = folder / "missing.wav"
    if long:
        files["10-min-48k-stereo.wav"] = folder / "10-min-48k-stereo.wav"
        with soundfile.SoundFile(files["10-min-48k-stereo.wav"], "w", 48000, 2, subtype="PCM_16") as clip:
            for _ in range(60):
                clip.write(noise_with_words(10, 48000, 2, rng))
    return list(files.values())


def raw_chunked(raw: bytes) -> bytes:
    """A WAV whose LIST chunk before the data claims 1 GB."""
    fmt = (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (16000).to_bytes(4, "little") + \
        (32000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    body = b"WAVEfmt " + len(fmt).to_bytes(4, "little") + fmt + b"LIST" + (1 << 30).to_bytes(4, "little") + b"INFO" \
        + b"data" + len(raw).to_bytes(4, "little") + raw
    return b"RIFF" + (len(body)).to_bytes(4, "little") + body


def hour_clip() -> Path:
    """One hour of 48 kHz stereo as FLAC, written a minute at a time (~660 MB as 16-bit WAV); kept in CACHE."""
    import numpy as np
    import soundfile

    path = CACHE / "hour-48k-stereo.flac"
    if path.exists() and soundfile.info(str(path)).frames == 3600 * 48000:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(60)
    began = time.perf_counter()
    partial = path.with_suffix(".partial.flac")
    with soundfile.SoundFile(partial, "w", 48000, 2, format="FLAC", subtype="PCM_16") as clip:
        for _ in range(360):
            clip.write(noise_with_words(10, 48000, 2, rng))
    partial.rename(path)
    print(f"  made {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - began:.0f} s")
    return path


def section_audio(options, work: Path, totals: dict) -> None:
    folder = work / "audio"
    folder.mkdir()
    files = make_odd_audio(folder, long=not options.quick)
    engines = ("whisper", "pocketsphinx")
    print(f"\n== audio: 'hear' on {len(files)} odd audio files with each engine (timeout 120 s)")
    home = work / "audio-home"
    home.mkdir()
    tallies = {engine: Tally(f"hear --engine {engine}") for engine in engines}
    escapes = []
    print(f"  {'file':28} " + "".join(f"{engine + ' exit, MB, s':>26}" for engine in engines))
    for path in files:
        cells = ""
        for engine in engines:
            result = run(["hear", "--engine", engine, str(path)], home, timeout=120)
            tallies[engine].add(result, f"voicecoach hear --engine {engine} {path.name!r} (made by make_odd_audio)")
            if "\x1b" in result.out + result.err:
                escapes.append(f"voicecoach hear --engine {engine} {path.name!r}")
            flag = "!" if result.traceback or result.multiline_error or result.code is None else ""
            cells += f"{flag}{result.code if result.code is not None else 'hang'}, {result.rss_mb:4.0f}, {result.seconds:5.1f}".rjust(26)
        print(f"  {path.name[:28]!r:28} {cells}" if "\n" in path.name else f"  {path.name[:28]:28} {cells}")
    if options.long or not options.quick:
        clip = hour_clip()
        for engine in engines:
            result = run(["hear", "--engine", engine, str(clip)], home, timeout=900)
            tallies[engine].add(result, f"voicecoach hear --engine {engine} {clip} (one hour, 48 kHz stereo FLAC)")
            print(f"  one hour 48 kHz stereo FLAC, {engine}: exit {result.code}, {result.rss_mb:.0f} MB, "
                  f"{result.seconds:.0f} s; {result.out.strip()[:200] or excerpt(result)}")
    for tally in tallies.values():
        tally.print()
    print(f"  runs with a raw ESC from a file name in their output: {len(escapes)}")
    report(tallies.values(), totals)
    totals["escapes"] += len(escapes)
    totals["findings"] += [f"raw ESC in output: {line}" for line in escapes]
    hear_rss = max(tally.max_rss_mb for tally in tallies.values())
    totals["hear_rss"] = max(totals["hear_rss"], hear_rss)
    if hear_rss > RSS_BUDGET_MB:
        totals["findings"].append(f"memory: hear peaked at {hear_rss:.0f} MB (budget {RSS_BUDGET_MB})")


# ---------------------------------------------------------------------------------------------------
# 8. audio-in

def cpu_seconds(pid: int) -> float:
    """utime + stime of the process and its waited-for children, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def section_audio_in(options, work: Path, totals: dict) -> None:
    clip = hour_clip()
    length = 30 if options.quick else 90
    settle = 15
    args = ["start", "box-breathing", "--text", "--no-log", "--audio-in", str(clip)]
    print(f"\n== audio-in: voicecoach {' '.join(args[:-1])} HOUR.flac for {length} s, CPU after the first {settle} s")
    home = work / "audio-in-home"
    home.mkdir()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # stdin is a pipe kept open: typed cues may come at any time, as they would from a person
        process = subprocess.Popen([VOICECOACH, *args], stdin=subprocess.PIPE, stdout=out, stderr=err,
                                   env=child_env(home), start_new_session=True)
        time.sleep(settle)
        alive = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        cpu_before, wall_before = (cpu_seconds(process.pid) if alive else 0), time.monotonic()
        time.sleep(length - settle)
        alive = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        percent = rss = None
        if alive:
            percent = 100 * (cpu_seconds(process.pid) - cpu_before) / (time.monotonic() - wall_before)
            rss = vm_rss_mb(process.pid)
            os.kill(process.pid, signal.SIGINT)
        code, peak, _ = reap(process, 30)
        process.stdin.close()
        out.seek(0)
        err.seek(0)
        result = Run(args, code, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                     length, peak)
    tally = Tally("audio-in")
    tally.add(result, f"voicecoach {' '.join(args)} & sleep {length}; kill -INT $!")
    if percent is None:
        print(f"  the session ended before {length} s: exit {code}: {excerpt(result)}")
        totals["findings"].append(f"audio-in: session ended early, exit {code}: {excerpt(result)}")
        percent = float("inf")
    else:
        print(f"  CPU over the last {length - settle} s: {percent:.1f} % of a core; RSS {rss:.0f} MB (peak {peak:.0f} MB)")
        print(f"  exit after SIGINT: {code} (expected 130)")
        if code != 130:
            totals["findings"].append(f"audio-in: exit {code} after SIGINT, not 130: {excerpt(result)}")
            totals["odd_exits"] += 1
    tally.print()
    report([tally], totals)
    totals["audio_in_cpu"] = percent
    if percent >= CPU_BUDGET_PERCENT:
        totals["findings"].append(f"audio-in CPU {percent:.1f} % of a core (budget < {CPU_BUDGET_PERCENT} %)")


# ---------------------------------------------------------------------------------------------------

SECTIONS = ("damaged", "foreign", "signals", "writers", "fuzz", "strace", "audio", "audio-in")


def summary(totals: dict, ran: list, seconds: float) -> bool:
    """Prints the summary block; True when every must-be-zero count is zero and every budget is kept."""
    def shown(value, unit=""):
        return "not run" if value is None else f"{value:.1f}{unit}" if isinstance(value, float) else f"{value}{unit}"

    hear = totals["hear_rss"] if {"audio", "damaged"} & set(ran) else None
    check = totals["check_rss"] if {"fuzz", "damaged"} & set(ran) else None
    cpu = totals["audio_in_cpu"] if "audio-in" in ran else None
    failed = {
        "tracebacks": totals["tracebacks"], "hangs": totals["hangs"], "files touched outside": totals["touched"],
        "network sockets": totals["sockets"], "journals damaged by a signal": totals["inconsistent"],
    }
    bad = [name for name, count in failed.items() if count]
    if hear is not None and hear > RSS_BUDGET_MB:
        bad.append("hear memory")
    if check is not None and check > RSS_BUDGET_MB:
        bad.append("check memory")
    if cpu is not None and cpu >= CPU_BUDGET_PERCENT:
        bad.append("audio-in CPU")
    print("\n== summary" + f" (sections: {', '.join(ran)}; {seconds / 60:.1f} min)")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if own > 100:
        print(f"  (this script peaked at {own:.0f} MB: a child's peak RSS reads at least its size at the fork)")
    print(f"  tracebacks                              {totals['tracebacks']}")
    print(f"  multi-line user errors                  {totals['multiline']}")
    print(f"  hangs                                   {totals['hangs']}")
    print(f"  files touched outside voicecoach's own  {totals['touched']}")
    print(f"  AF_INET/AF_INET6 sockets                {totals['sockets']}")
    print(f"  signal runs, journal damaged/lost data  {totals['inconsistent']}")
    print(f"  exits other than 0 or 128+signal        {totals['odd_exits']}")
    print(f"  lost updates (writers at once)          {totals['lost']}")
    print(f"  raw ESC from a file in the output       {totals['escapes']}")
    print(f"  peak RSS of hear, any input             {shown(hear, ' MB')} (budget {RSS_BUDGET_MB} MB)")
    print(f"  peak RSS of check, any input            {shown(check, ' MB')} (budget {RSS_BUDGET_MB} MB)")
    print(f"  audio-in at real time                   {shown(cpu, ' % of a core')} (budget < {CPU_BUDGET_PERCENT} %)")
    print(f"  verdict: {'FAIL: ' + ', '.join(bad) if bad else 'pass'}")
    if totals["findings"]:
        print(f"\n  findings ({len(totals['findings'])}):")
        for line in totals["findings"]:
            print(f"    {line}")
    return not bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Smaller counts: about 5 minutes in all.")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="Run only this section (repeatable).")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--long", action="store_true", help="With --quick: also hear the hour-long clip.")
    parser.add_argument("--case", metavar="FILE:KIND", help="damaged: only this damage, e.g. plan.json:json-deep.")
    parser.add_argument("--command", metavar="WORDS", help="damaged: only this command, e.g. 'plan list'.")
    options = parser.parse_args()
    if not SPEECH.is_dir():
        raise SystemExit(f"sweep_hostile: no recorded speech at {SPEECH}")
    # The children get default dispositions whoever started us: a shell running jobs in the background
    # ignores SIGINT, and a child would inherit that and not be stopped by the signals it is sent.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    os.umask(0o077)  # files made here are owner-only, as voicecoach's, so it has no modes to warn about
    compileall.compile_dir(str(ROOT / "voicecoach"), quiet=1)
    began = time.perf_counter()
    totals = {"tracebacks": 0, "multiline": 0, "hangs": 0, "touched": 0, "sockets": 0,
              "inconsistent": 0, "odd_exits": 0, "lost": 0, "escapes": 0, "hear_rss": 0.0, "check_rss": 0.0,
              "audio_in_cpu": None, "findings": []}
    ran = list(options.only or SECTIONS)
    print(f"voicecoach: {VOICECOACH} (code from {ROOT}); load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
          + ("; running as root" if AS_ROOT else ""))
    with tempfile.TemporaryDirectory(prefix="voicecoach-sweep-") as temporary:
        work = Path(temporary)
        base, exports = work / "base-home", work / "exports"
        exports.mkdir()
        if {"damaged", "foreign", "signals", "strace"} & set(ran):
            base.mkdir()
            build_base(base, exports)
        for name in ran:
            if name == "damaged":
                section_damaged(options, base, exports, work, totals)
            elif name == "foreign":
                section_foreign(options, base, exports, work, totals)
            elif name == "signals":
                section_signals(options, base, work, totals)
            elif name == "writers":
                section_writers(options, work, totals)
            elif name == "fuzz":
                section_fuzz(options, work, totals)
            elif name == "strace":
                section_strace(options, base, exports, work, totals)
            elif name == "audio":
                section_audio(options, work, totals)
            elif name == "audio-in":
                section_audio_in(options, work, totals)
        make_removable(work)
    passed = summary(totals, ran, time.perf_counter() - began)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
