"""Reminders: what they say and when, and the timers and crontab lines that run them, written
and removed in temporary places only."""

import os
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from crontab import CronTab

from voicecoach import schedule
from voicecoach.cli.commands import cli
from voicecoach.schedule import install, plans, reminders

BERLIN = ZoneInfo("Europe/Berlin")
FOREIGN_CRON = "15 4 * * * /usr/bin/backup --quiet # someone else's\n"


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.fixture
def plan():
    plan = plans.Plan()
    plan.add("daily-check-in", plans.rhythm("21:00", "weekdays", None, start=date(2026, 12, 7)))
    plan.add("closeness-without-pressure", plans.rhythm("21:30", "daily", None, start=date(2026, 12, 7)),
             touch=True)
    schedule.save_plan(plan)
    return plan


@pytest.fixture
def scheduler_env(tmp_path, monkeypatch):
    """Cron and systemd pointed at temporary places; a stand-in systemctl that logs its calls."""
    tab = tmp_path / "crontab"
    tab.write_text(FOREIGN_CRON)
    units = tmp_path / "systemd"
    units.mkdir()
    (units / "backup.timer").write_text("[Timer]\nOnCalendar=daily\n")
    calls = tmp_path / "systemctl.log"
    fake = tmp_path / "systemctl"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n")
    fake.chmod(0o700)
    monkeypatch.setenv("VOICECOACH_CRONTAB", str(tab))
    monkeypatch.setenv("VOICECOACH_SYSTEMD_DIR", str(units))
    monkeypatch.setenv("VOICECOACH_SYSTEMCTL", str(fake))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    monkeypatch.setenv("TZ", "Europe/Berlin")  # not carried: cron fires by the system's zone
    return {"tab": tab, "units": units, "calls": calls}


def test_a_reminder_is_discreet_and_comes_once(plan):
    sent = []
    assert reminders.remind(at("2026-12-08T21:02"), BERLIN, notify=sent.append) == [
        "voicecoach: practice planned at 21:00"]
    assert reminders.remind(at("2026-12-08T21:05"), BERLIN, notify=sent.append) == []
    assert sent == ["voicecoach: practice planned at 21:00"]


def test_no_reminder_when_the_slot_is_done_or_nothing_is_planned(plan):
    schedule.session_completed("daily-check-in", at("2026-12-08T20:30"), BERLIN)
    assert reminders.remind(at("2026-12-08T21:00"), BERLIN, notify=print) == []
    assert reminders.remind(at("2026-12-12T21:00"), BERLIN, notify=print) == []  # a Saturday
    assert reminders.remind(at("2026-12-09T23:00"), BERLIN, notify=print) == []  # long after


def test_closeness_is_reminded_only_when_both_opted_in(plan):
    assert reminders.remind(at("2026-12-08T21:30"), BERLIN, notify=print) == []
    plan.closeness_reminders = True
    schedule.save_plan(plan)
    assert reminders.remind(at("2026-12-08T21:30"), BERLIN, notify=print) == [
        "voicecoach: practice planned at 21:30"]


def test_without_notify_send_the_line_is_printed(plan, monkeypatch, capsys):
    monkeypatch.setattr(reminders.shutil, "which", lambda name: None)
    reminders.remind(at("2026-12-08T21:00"), BERLIN)
    assert capsys.readouterr().out == "voicecoach: practice planned at 21:00\n"


def test_spoken_only_when_asked(plan):
    spoken = []
    reminders.remind(at("2026-12-08T21:00"), BERLIN, notify=lambda line: None, speak=spoken.append)
    assert spoken == ["Practice planned at 21:00."]


def test_the_remind_command_is_silent_by_default(plan, monkeypatch):
    said = []
    monkeypatch.setattr("voicecoach.runner.say_line", lambda *args, **kwargs: said.append(args))
    monkeypatch.setattr(reminders.shutil, "which", lambda name: None)
    result = CliRunner().invoke(cli, ["remind"], env={"VOICECOACH_NOW": "2026-12-08T21:01", "TZ": "Europe/Berlin"})
    assert result.exit_code == 0 and result.output == "voicecoach: practice planned at 21:00\n"
    assert said == []


def test_reminders_work_while_the_plan_is_locked(plan, home):
    (home / "plan.json").write_bytes(b"\x00encrypted, unreadable without the key")
    assert reminders.remind(at("2026-12-08T21:00"), BERLIN, notify=lambda line: None) == [
        "voicecoach: practice planned at 21:00"]


def test_crontab_lines_carry_the_environment_and_leave_others_alone(plan, scheduler_env, home):
    record = install.install_here(["21:00", "21:30"], env={**os.environ, "VOICECOACH_SCHEDULER": "cron"})
    text = scheduler_env["tab"].read_text()
    assert FOREIGN_CRON.strip() in text
    ours = [line for line in text.splitlines() if "voicecoach" in line]
    assert [line.split()[:5] for line in ours] == [["0", "21", "*", "*", "*"], ["30", "21", "*", "*", "*"]]
    python = str(Path(sys.executable).absolute())
    for line in ours:
        assert f"VOICECOACH_HOME={home}" in line
        assert "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus" in line
        assert "XDG_RUNTIME_DIR=/run/user/1000" in line
        assert f"{python} -m voicecoach remind" in line
        assert "TZ=" not in line
    removed = install.uninstall_here(record)
    assert len(removed) == 2
    assert scheduler_env["tab"].read_text().strip() == FOREIGN_CRON.strip()


def test_uninstall_leaves_a_look_alike_line_that_is_not_ours(plan, scheduler_env):
    record = install.install_here(["21:00"], env={**os.environ, "VOICECOACH_SCHEDULER": "cron"})
    tab = CronTab(tabfile=str(scheduler_env["tab"]))
    tab.new(command="/usr/bin/voicecoach remind", comment="voicecoach-remind mine").setall("0 8 * * *")
    tab.write()
    install.uninstall_here(record)
    text = scheduler_env["tab"].read_text()
    assert "/usr/bin/voicecoach remind" in text and "backup" in text and "-m voicecoach" not in text


def test_systemd_units_written_and_removed(plan, scheduler_env, home, monkeypatch):
    monkeypatch.setenv("VOICECOACH_SCHEDULER", "systemd")
    record = install.install_here(["21:00", "21:30"])
    units = scheduler_env["units"]
    service = (units / "voicecoach-remind.service").read_text()
    timer = (units / "voicecoach-remind.timer").read_text()
    assert f'Environment="VOICECOACH_HOME={home}"' in service
    assert 'Environment="DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"' in service
    assert 'Environment="XDG_RUNTIME_DIR=/run/user/1000"' in service
    assert f"ExecStart={Path(sys.executable).absolute()} -m voicecoach remind" in service
    assert "OnCalendar=*-*-* 21:00:00\nOnCalendar=*-*-* 21:30:00" in timer
    assert "enable --now voicecoach-remind.timer" in scheduler_env["calls"].read_text()
    install.uninstall_here(record)
    assert sorted(p.name for p in units.iterdir()) == ["backup.timer"]
    assert "disable --now voicecoach-remind.timer" in scheduler_env["calls"].read_text()


def test_plan_install_follows_plan_changes_and_uninstall_removes_it(plan, scheduler_env, monkeypatch):
    monkeypatch.setenv("VOICECOACH_SCHEDULER", "cron")
    runner = CliRunner()
    result = runner.invoke(cli, ["plan", "install"])
    assert result.exit_code == 0, result.output
    assert "at 21:00." in result.output  # closeness (21:30) is not reminded: not opted in
    assert runner.invoke(cli, ["plan", "add", "box-breathing", "--at", "07:15"]).exit_code == 0
    text = scheduler_env["tab"].read_text()
    assert [line.split()[:2] for line in text.splitlines() if "voicecoach" in line] == [["15", "7"], ["0", "21"]]
    result = runner.invoke(cli, ["plan", "uninstall"])
    assert result.output == "Reminders removed (2 entries).\n"
    assert scheduler_env["tab"].read_text().strip() == FOREIGN_CRON.strip()
    assert runner.invoke(cli, ["plan", "uninstall"]).output == "No reminders are installed.\n"


def test_a_timer_systemd_refuses_leaves_nothing_behind(plan, scheduler_env, monkeypatch):
    failing = scheduler_env["units"].parent / "failing-systemctl"
    failing.write_text("#!/bin/sh\necho 'Failed to connect to bus' >&2\nexit 1\n")
    failing.chmod(0o700)
    monkeypatch.setenv("VOICECOACH_SYSTEMCTL", str(failing))
    monkeypatch.setenv("VOICECOACH_SCHEDULER", "systemd")
    result = CliRunner().invoke(cli, ["plan", "install"])
    assert result.exit_code == 2
    assert result.output == ("Error: systemctl --user enable --now voicecoach-remind.timer failed: "
                             "Failed to connect to bus\n")
    assert sorted(p.name for p in scheduler_env["units"].iterdir()) == ["backup.timer"]
    assert reminders.read()["installed"] is None


def test_systemd_also_wakes_where_a_clock_change_moves_a_skipped_time(plan, scheduler_env, monkeypatch):
    assert install.catch_up_times(["02:30", "21:00"], BERLIN, date(2026, 12, 1)) == ["03:00"]
    assert install.catch_up_times(["21:00"], BERLIN, date(2026, 12, 1)) == []
    monkeypatch.setenv("VOICECOACH_SCHEDULER", "systemd")
    install.install_here(["02:30"])
    timer = (scheduler_env["units"] / "voicecoach-remind.timer").read_text()
    assert "OnCalendar=*-*-* 02:30:00\nOnCalendar=*-*-* 03:00:00\n" in timer


def test_the_doctor_reports_what_plan_install_put_in_place(plan, scheduler_env, monkeypatch):
    from voicecoach import doctor
    from voicecoach.schedule import reminders

    monkeypatch.setenv("VOICECOACH_SCHEDULER", "systemd")
    assert reminders.installed() == []
    assert CliRunner().invoke(cli, ["plan", "install"]).exit_code == 0
    detail = doctor.check_reminders(None).detail
    assert detail.startswith("installed: systemd user timer in ") and detail.endswith("at 21:00")
    (scheduler_env["units"] / "voicecoach-remind.timer").unlink()
    assert "(missing: voicecoach-remind.timer)" in reminders.installed()[0]


def test_pausing_the_plan_keeps_the_reminders_for_when_it_resumes(plan, scheduler_env, monkeypatch):
    """'plan pause' promises no reminders until resume: the timer stays, finds nothing due, and is
    there again after 'plan resume'; the scheduler is not touched when the times stay the same."""
    monkeypatch.setenv("VOICECOACH_SCHEDULER", "cron")
    runner = CliRunner()
    assert runner.invoke(cli, ["plan", "install"]).exit_code == 0
    assert runner.invoke(cli, ["plan", "pause"]).exit_code == 0
    assert runner.invoke(cli, ["plan", "resume"]).exit_code == 0
    text = scheduler_env["tab"].read_text()
    assert [line.split()[:2] for line in text.splitlines() if "voicecoach" in line] == [["0", "21"]]
    assert reminders.read()["installed"]["times"] == ["21:00"]


def test_install_with_nothing_to_remind_of_leaves_what_is_installed(plan, scheduler_env, monkeypatch):
    monkeypatch.setenv("VOICECOACH_SCHEDULER", "cron")
    runner = CliRunner()
    assert runner.invoke(cli, ["plan", "install"]).exit_code == 0
    assert runner.invoke(cli, ["plan", "pause"]).exit_code == 0
    result = runner.invoke(cli, ["plan", "install"])
    assert result.exit_code == 2 and "nothing to remind of" in result.output
    assert "voicecoach" in scheduler_env["tab"].read_text()
    assert reminders.installed()  # and the doctor still finds it
