"""Files voicecoach keeps that cannot be read (chmod 000, a folder in a file's place, not UTF-8):
export --all, lock and unlock say so in one line naming the file, and change nothing."""

import io
import os

import pytest
from keeping import PASSPHRASE, fill, invoke, snapshot, text_only  # noqa: F401 (a fixture)

from voicecoach import config, paths, vault
from voicecoach.schedule import plans, programs, reminders
from voicecoach.vault import lock

pytestmark = pytest.mark.usefixtures("text_only")


@pytest.fixture
def unreadable(monkeypatch):
    """make(path): the file cannot be opened for reading, as chmod 000 makes it for anyone but root;
    for root, opening it is refused here as the system would refuse anyone else."""
    blocked = set()
    opening = io.open

    def guarded(file, mode="r", *args, **kwargs):
        if "r" in mode and str(file) in blocked:
            raise PermissionError(13, "Permission denied", str(file))
        return opening(file, mode, *args, **kwargs)

    monkeypatch.setattr(io, "open", guarded)

    def make(path):
        """Returns the undo, to compare the folder with what it was."""
        mode = os.stat(path).st_mode
        os.chmod(path, 0)
        if os.geteuid() == 0:
            blocked.add(str(path))

        def undo():
            blocked.discard(str(path))
            os.chmod(path, mode)
        return undo
    return make


def kept_files(home):
    """The five files the issue names, written as voicecoach writes them; {name: path}."""
    settings = config.path(create=True)
    settings.write_text("partner-a: Sam\n")
    made = {"config": settings}
    for name, path in (("profile", paths.data_dir() / "voice-profile.npz"), ("plan", plans.path()),
                       ("program", programs.state_path()), ("reminders", reminders.path())):
        vault.write_private(path, b"{}")
        made[name] = path
    return made


@pytest.mark.parametrize("which", ["config", "profile", "plan", "program", "reminders"])
def test_an_unreadable_file_stops_export_all_and_lock_in_one_line(home, tmp_path, unreadable, which):
    fill(count=1)
    target = kept_files(home)[which]
    before = snapshot(home)
    undo = unreadable(target)
    archive = tmp_path / "all.tar.gz"
    result = invoke("export", "--all", str(archive))
    assert result.exit_code != 0 and not archive.exists()
    assert result.output.strip().splitlines() == [
        f"Error: {target}: cannot be read (Permission denied); no archive was written"]
    result = invoke("lock", env={"VOICECOACH_PASSPHRASE": PASSPHRASE})
    if which == "config":  # lock does not read the settings: it locks as usual
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {target}: cannot be read (Permission denied); nothing was locked")
    undo()
    assert snapshot(home) == before and not lock.is_locked(home)


def test_an_unreadable_file_stops_unlock_before_anything_changes(home, unreadable, monkeypatch):
    monkeypatch.setenv("VOICECOACH_PASSPHRASE", PASSPHRASE)
    fill(count=1)
    target = kept_files(home)["plan"]
    assert invoke("lock").exit_code == 0
    before = snapshot(home)
    undo = unreadable(target)
    result = invoke("unlock")
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {target}: cannot be read (Permission denied); nothing was unlocked")
    undo()
    assert snapshot(home) == before and lock.is_locked(home)


@pytest.mark.parametrize("index", ["not-utf-8", "folder"])
def test_a_private_files_list_that_cannot_be_read_is_one_line(home, tmp_path, index):
    fill(count=1)
    listed = home / vault.INDEX
    if index == "folder":
        listed.mkdir()
    else:
        listed.write_bytes(b"plan.json\n\xff\xfe caf\xe9\n")
    before = snapshot(home)
    for args in (["export", "--all", str(tmp_path / "all.tar.gz")], ["lock"], ["plan", "add", "daily-check-in",
                                                                           "--at", "20:00"]):
        result = invoke(*args, env={"VOICECOACH_PASSPHRASE": PASSPHRASE})
        assert result.exit_code != 0, (args, result.output)
        (line,) = [line for line in result.output.splitlines() if "private-files.txt" in line]
        assert line.startswith(f"Error: {listed}: cannot be read (") and "Traceback" not in result.output
        assert result.stderr.strip() == line  # not after lock's warning about forgetting the passphrase
    assert snapshot(home) == before


def test_lock_seals_no_file_the_private_files_list_names_outside_its_folder(home, tmp_path):
    """The list is plain text: names leading out of the folder (or to the journal or the list
    itself) were sealed by lock, so a damaged or edited list encrypted a user's own files."""
    fill(count=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    precious = outside / "precious.txt"
    precious.write_text("mine")
    (home / "photos").symlink_to(outside)
    (home / "plan.json").write_text("{}")  # a private file of voicecoach's own
    (home / vault.INDEX).write_text(f"plan.json\n../{outside.name}/precious.txt\n{precious}\nphotos/precious.txt\n"
                                    f"{vault.INDEX}\njournal.sqlite3\n..\n\n")
    assert vault.private_files(home) == [home / "plan.json"]
    result = invoke("lock", env={"VOICECOACH_PASSPHRASE": PASSPHRASE})
    assert result.exit_code == 0, result.output
    assert precious.read_text() == "mine" and lock.is_sealed((home / "plan.json").read_bytes())
    assert invoke("unlock", env={"VOICECOACH_PASSPHRASE": PASSPHRASE}).exit_code == 0
    assert (home / "plan.json").read_text() == "{}" and precious.read_text() == "mine"
