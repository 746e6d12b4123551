"""Commands for practice plans, what is due, reminders and programs: parse, call, print."""

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from voicecoach.cli.options import TIME_SCALE, one_writer, recordings
from voicecoach.errors import ScheduleError, VoicecoachError


def _clock():
    """The local zone and now; VOICECOACH_NOW=2026-12-16T20:00 (local time) simulates a moment."""
    from voicecoach.schedule import plans

    zone = plans.local_zone()
    simulated = os.environ.get("VOICECOACH_NOW")
    if not simulated:
        return zone, plans.now_in(zone)
    try:
        moment = datetime.fromisoformat(simulated)
    except ValueError:
        raise ScheduleError(f"VOICECOACH_NOW={simulated!r} is not a date and time like 2026-12-16T20:00") from None
    return zone, moment if moment.tzinfo else moment.replace(tzinfo=zone)


@one_writer()
def practice_done(exercise_id: str) -> None:
    """A completed, logged session fulfils today's planned slot of it and counts for a program."""
    from voicecoach import schedule

    try:
        zone, now = _clock()
        schedule.session_completed(exercise_id, now, zone)
    except VoicecoachError as error:
        click.echo(f"Warning: the plan could not be updated ({error}).", err=True)


def run_practice(found, settings, *, log, time_scale, audio_in, solo, partner, **options) -> None:
    """`start` and `today`: run the session, kept in the journal unless it is a rehearsal (another
    pace, recordings for a microphone) nobody asked to keep (--log); a completed session that was kept
    ticks off today's plan. Exits with the session's status (130 when it was interrupted)."""
    from voicecoach import runner
    from voicecoach.cli import rehearsal

    log, note = rehearsal.kept(log, time_scale, audio_in)
    if note:
        click.secho(note, dim=True)
    outcome = runner.run_exercise(found, settings, time_scale=time_scale, log=log,
                                  solo=partner.upper() if solo else None, audio_in=audio_in, **options)
    if log and outcome == "completed":
        practice_done(found.id)
    sys.exit(0 if outcome in ("completed", "declined", "stopped") else 130)


def _at_terminal() -> bool:
    return bool(sys.stdin and sys.stdin.isatty())


def _titles() -> dict:
    from voicecoach import exercise

    return {e.id: e.title for e in exercise.all_exercises()[0]}


@click.group("plan", short_help="Plan practice at set times, with reminders.")
def plan_group():
    """Plan practice at set times; 'voicecoach due' shows what is planned."""


@plan_group.command("add", short_help="Plan an exercise at set times and days.")
@click.argument("exercise_id", metavar="ID")
@click.option("--at", "at", required=True, metavar="HH:MM", help="Local time, e.g. 21:00.")
@click.option("--days", metavar="DAYS", help="daily (default), weekdays, weekends, or a list like mon,thu.")
@click.option("--every", metavar="N-days|N-weeks", help="Every 2-days, or every 2-weeks on --days.")
@one_writer()
def plan_add(exercise_id, at, days, every):
    """Plan an exercise, e.g. 'voicecoach plan add daily-check-in --at 21:00 --days weekdays'."""
    from voicecoach import exercise, schedule
    from voicecoach.schedule import plans

    found = exercise.find(exercise_id)
    zone, now = _clock()
    rhythm = plans.rhythm(at, days, every, start=now.date())
    plan = plans.load()
    already = [(number, entry) for number, entry in enumerate(plan.entries, 1) if entry.exercise == found.id]
    plan.add(found.id, rhythm, touch="touch" in found.tags)
    schedule.save_plan(plan)
    click.echo(f"Planned: {found.title}, {rhythm.describe()}.")
    for number, entry in already:  # never a silent second one
        click.echo(f"It is also planned {entry.rhythm.describe()} (entry {number}); "
                   f"'voicecoach plan remove {number}' if one is enough.")
    if "touch" in found.tags and not plan.closeness_reminders:
        click.echo("Closeness exercises are not reminded unless you both ask for it "
                   "('voicecoach plan closeness-reminders on').")


@plan_group.command("list", short_help="The plan, numbered.")
def plan_list():
    """The plan, numbered (the numbers are what 'plan remove' takes)."""
    from voicecoach.schedule import plans, text

    plan = plans.load()
    titles = _titles()
    if not plan.entries:
        click.echo("Nothing is planned yet. Try: voicecoach plan add daily-check-in --at 21:00")
    for number, entry in enumerate(plan.entries, 1):
        notes = [f"program {entry.program}"] if entry.program else []
        notes += ["paused"] if entry.paused else []
        extra = f"  ({', '.join(notes)})" if notes else ""
        line = f"{titles.get(entry.exercise, entry.exercise)}, {entry.rhythm.describe()}{extra}"
        click.echo(text.wrapped(line, " " * 5, f"{number:3}  "))
    if plan.paused:
        click.echo("The whole plan is paused; 'voicecoach plan resume' brings it back.")


@plan_group.command("remove")
@click.argument("number", type=int)
@one_writer()
def plan_remove(number):
    """Remove entry N of 'plan list'."""
    from voicecoach import schedule
    from voicecoach.schedule import plans

    plan = plans.load()
    entry = plan.entry(number)
    plan.entries.remove(entry)
    schedule.save_plan(plan)
    click.echo(f"Removed: {_titles().get(entry.exercise, entry.exercise)}, {entry.rhythm.describe()}.")


def _pause(number, paused: bool):
    from voicecoach import schedule
    from voicecoach.schedule import plans

    plan = plans.load()
    if number is None:
        plan.paused = paused
        what = "The plan"
    else:
        entry = plan.replace(plan.entry(number), paused=paused)
        what = _titles().get(entry.exercise, entry.exercise)
    schedule.save_plan(plan)
    click.echo(f"{what} is {'paused: no reminders until you resume' if paused else 'back on'}.")


def _resume_all():
    """'plan resume' undoes every 'plan pause', the whole plan's and each entry's, and says what it
    brought back; a paused program's entries wait for 'program resume', and it says so."""
    from voicecoach import schedule
    from voicecoach.schedule import plans, programs

    plan = plans.load()
    running = programs.load_state()
    held = running["id"] if running and running["paused"] and not running["finished"] else None
    titles = _titles()
    lines = ["The plan is back on."] if plan.paused else []
    plan.paused = False
    for number, entry in enumerate(plan.entries, 1):
        if entry.paused and not (held and entry.program == held):
            plan.replace(entry, paused=False)
            lines.append(f"Entry {number}, {titles.get(entry.exercise, entry.exercise)}, "
                         f"{entry.rhythm.describe()}, is back on.")
    if held and any(entry.program == held for entry in plan.entries):
        title = {program.id: program.title for program in programs.all_programs()[0]}.get(held, held)
        lines.append(f"{title} stays paused, with its entries: 'voicecoach program resume' brings them back.")
    schedule.save_plan(plan)
    click.echo("\n".join(lines or ["Nothing was paused; the plan is on."]))


@plan_group.command("pause", short_help="Pause the whole plan, or entry N.")
@click.argument("number", type=int, required=False)
@one_writer()
def plan_pause(number):
    """Pause the whole plan, or entry N: nothing is due or reminded until 'plan resume'."""
    _pause(number, True)


@plan_group.command("resume", short_help="Resume entry N, or everything paused.")
@click.argument("number", type=int, required=False)
@one_writer()
def plan_resume(number):
    """Resume entry N, or without N everything 'plan pause' paused (the plan and each entry)."""
    if number is None:
        _resume_all()
    else:
        _pause(number, False)


CLOSENESS_QUESTION = ("{speaker}, would reminders for the closeness exercises be welcome? Answer yes or no; "
                      "no reason is needed. {listener}, please look away.")
CLOSENESS_DECLINED = "That's fine. Closeness exercises stay without reminders."


@plan_group.command("closeness-reminders", short_help="Reminders for closeness exercises, if you both agree.")
@click.argument("switch", type=click.Choice(["on", "off"]))
@click.option("--text", "text_cues", is_flag=True, help="Answer by typing yes or no instead of keys.")
@click.option("--time-scale", type=TIME_SCALE, default=1.0, hidden=True)
def plan_closeness_reminders(switch, text_cues, time_scale):
    """Reminders for closeness exercises: on only if you both say yes, each privately; off at once."""
    from voicecoach import config, runner, schedule
    from voicecoach import exercise as ex
    from voicecoach.schedule import plans

    if switch == "on":
        question = ex.Exercise(id="closeness-reminders", title="Reminders for closeness", minutes=1, steps=(
            ex.Consent(question=CLOSENESS_QUESTION, decline=CLOSENESS_DECLINED),))
        outcome = runner.run_exercise(question, config.load(), text_cues=text_cues, time_scale=time_scale,
                                      log=False, listen=False, closing_line=False)
        if outcome != "completed":
            if outcome != "declined":  # a no has had its word already
                click.echo("Closeness exercises stay without reminders.")
            return
    with one_writer():  # read after the question: a change made meanwhile is kept
        plan = plans.load()
        plan.closeness_reminders = switch == "on"
        schedule.save_plan(plan)
    click.echo(f"Reminders for closeness exercises are {switch}.")


@plan_group.command("install", short_help="Remind you at the planned times.")
@one_writer()
def plan_install():
    """Remind you at the planned times: a systemd user timer, or crontab lines."""
    from voicecoach import schedule
    from voicecoach.schedule import install, plans, reminders

    state = reminders.sync(plans.load())
    times = schedule.reminder_times(state)
    if not times:  # before anything is taken down: what is installed stays as it is
        raise ScheduleError("nothing to remind of: the plan has no active practice times")
    if state["installed"]:
        install.uninstall_here(state["installed"])
        state["installed"] = None
    record = install.install_here(times)
    state["installed"] = record
    reminders.write(state)
    where = record["folder"] if record["kind"] == "systemd" else (record["tab"] or "your crontab")
    click.echo(f"Reminders installed ({record['kind']}, in {where}) at {', '.join(times)}.")


@plan_group.command("uninstall", short_help="Remove the reminders 'plan install' put in place.")
@one_writer()
def plan_uninstall():
    """Remove the reminders 'plan install' put in place, and nothing else."""
    from voicecoach.schedule import install, reminders

    state = reminders.read()
    if not state["installed"]:
        click.echo("No reminders are installed.")
        return
    removed = install.uninstall_here(state["installed"])
    state["installed"] = None
    reminders.write(state)
    click.echo(f"Reminders removed ({len(removed)} {'entry' if len(removed) == 1 else 'entries'}).")


@plan_group.command("export", short_help="Write the plan as a calendar file.")
@click.option("--ics", "ics_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write an iCalendar file here.")
@click.option("--titles", is_flag=True, help="Name the exercises (default: a discreet 'Practice time').")
def plan_export(ics_file, titles):
    """Write the plan as a calendar file with repeating events, for a phone's calendar."""
    from voicecoach import exercise, vault
    from voicecoach.schedule import ics, plans

    zone, now = _clock()
    found = exercise.all_exercises()[0]
    cal = ics.calendar(plans.load(), zone, now.date(), {e.id: e.minutes for e in found},
                       {e.id: e.title for e in found} if titles else None)
    vault.write_private(ics_file, cal.to_ical())
    count = len(cal.walk("VEVENT"))
    click.echo(f"Wrote {ics_file}: {count} repeating event{'s' * (count != 1)}.")


@click.command(short_help="What is planned today, and what is done.")
def due():
    """What is planned now and today, what is done, and what is not yet done this week."""
    from voicecoach.schedule import due as due_
    from voicecoach.schedule import plans, reminders

    zone, now = _clock()
    for line in due_.report(plans.load(), reminders.read()["done"], now, zone, _titles()):
        click.echo(line)


@click.command(short_help="Start the next exercise planned for today.")
@click.option("--text", "text_cues", is_flag=True, help="Read cues as typed lines instead of single keys.")
@click.option("--time-scale", type=TIME_SCALE, default=1.0, show_default=True,
              help="Multiply every wait by this, from 0 (no waits) to 100.")
@click.option("--log/--no-log", default=None,
              help="Keep this session in the journal and the plan, or not (default: kept, but a rehearsal, "
              "with --time-scale other than 1 or --audio-in, is not).")
@click.option("--audio-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Send all sound to this WAV file instead of the speakers.")
@click.option("--listen/--no-listen", default=True, show_default=True, help="Listen for spoken cues.")
@click.option("--audio-in", multiple=True, type=click.Path(path_type=Path),
              callback=recordings,
              help="Use a recording as the microphone (repeat it for a playlist: one clip a listening moment).")
@click.option("--solo", is_flag=True, help="Do a planned self-care exercise alone.")
@click.option("--partner", type=click.Choice(["A", "B"], case_sensitive=False), default="A",
              help="With --solo: who is doing it.")
def today(text_cues, time_scale, log, audio_out, listen, audio_in, solo, partner):
    """Start the next exercise planned for today, after a moment to get comfortable."""
    from voicecoach import config, exercise
    from voicecoach.schedule import due as due_
    from voicecoach.schedule import plans, prepare, reminders

    zone, now = _clock()
    plan = plans.load()
    done = reminders.read()["done"]
    slot = due_.next_slot(plan, done, now, zone)
    if slot is None:
        later = due_.coming(plan, done, now, zone)
        click.echo("Nothing more is planned for today." +
                   (f" Next: {_titles().get(later.entry.exercise, later.entry.exercise)}, "
                    f"{later.when.strftime('%A %H:%M')}." if later else ""))
        return
    planned = exercise.find(slot.entry.exercise)
    if solo and not planned.solo:
        raise click.UsageError(f"{planned.id}, planned now, is for two; --solo works with self-care "
                               "exercises such as box-breathing")
    settings = config.load()
    found = prepare.with_lead_in(planned, settings.prepare_seconds, partner.upper() if solo else None)
    run_practice(found, settings, log=log, time_scale=time_scale, audio_in=audio_in, solo=solo, partner=partner,
                 text_cues=text_cues, audio_out=audio_out, listen=listen)


@click.command(short_help="Send the reminder due now (run by the timer).")
def remind():
    """Send the reminder due now, if any (run by the timer or crontab 'plan install' writes)."""
    from voicecoach import config, runner
    from voicecoach.schedule import reminders

    zone, now = _clock()
    settings = config.load()
    speak = (lambda line: runner.say_line(line, settings)) if settings.spoken_reminders else None
    reminders.remind(now, zone, speak=speak)


@click.group("program", short_help="Multi-week programs that move on when you are ready.")
def program_group():
    """Multi-week programs: weeks of practice that move on when you are both ready."""


@program_group.command("list")
def program_list():
    """The programs you can start."""
    from voicecoach.schedule import programs

    found, problems = programs.all_programs()
    for program in found:
        click.echo(f"{program.id:20} {program.title} ({len(program.weeks)} week{'s' * (len(program.weeks) > 1)})")
        click.echo(click.wrap_text(program.description, initial_indent="    ", subsequent_indent="    "))
    for problem in problems:
        click.echo(f"Skipped: {problem}", err=True)


@program_group.command("start")
@click.argument("program_id", metavar="ID")
@one_writer()
def program_start(program_id):
    """Start a program: its first week's practice goes into your plan."""
    from voicecoach import schedule
    from voicecoach.schedule import plans, programs

    zone, now = _clock()
    program = programs.find(program_id)
    plan = plans.load()
    state = programs.start(plan, program, now.date(), schedule.touch_ids())
    schedule.save_plan(plan)
    programs.save_state(state)
    click.echo(f"{program.title}: week 1, {program.weeks[0].title}, is in your plan. "
               "'voicecoach program status' shows where you are.")
    _say_entries_used(plan, program, 1)


def _say_entries_used(plan, program, week: int, what="is already planned; the program uses it"):
    """A practice the couple planned already is used, not doubled: say so, so nothing is a surprise."""
    from voicecoach.schedule import programs, text

    titles = _titles()
    for entry in programs.entries_used(plan, program, week):
        click.echo(text.wrapped(f"Your {titles.get(entry.exercise, entry.exercise)}, {entry.rhythm.describe()}, "
                                f"{what}.", "  "))


def _running():
    from voicecoach.schedule import programs

    state = programs.load_state()
    if not state:
        raise ScheduleError("no program is under way; 'voicecoach program list' shows them")
    return state, programs.of_state(state)


@program_group.command("status")
def program_status():
    """Which week you are in, what is done, and what comes next."""
    from voicecoach.schedule import plans, programs, reminders

    zone, now = _clock()
    state, program = _running()
    for line in programs.status(state, program, plans.load(), reminders.read()["done"], now, zone, _titles()):
        click.echo(line)


@program_group.command("continue", short_help="Move on to the next week, if you both are ready.")
@click.option("--text", "text_cues", is_flag=True, help="Answer by typing yes or no instead of keys.")
@click.option("--time-scale", type=TIME_SCALE, default=1.0, hidden=True)
def program_continue(text_cues, time_scale):
    """When a week's sessions are done: each of you says privately whether you are ready to move on."""
    from voicecoach import config, runner, schedule
    from voicecoach.schedule import plans, programs

    zone, now = _clock()
    state, program = _running()
    if state["finished"] or state["paused"]:
        raise ScheduleError(f"{program.title} is {'complete' if state['finished'] else 'paused'}")
    left = programs.sessions_left(state, program)
    ready = False
    if not left:
        asked = programs.readiness_exercise(program, state["week"])
        ready = runner.run_exercise(asked, config.load(), text_cues=text_cues, time_scale=time_scale,
                                     log=False, listen=False, closing_line=False) == "completed"
    with one_writer():  # read again after the question: a change made meanwhile is kept
        state, program = _running()
        plan = plans.load()
        result = programs.move_on(state, plan, program, now.date(), ready, schedule.touch_ids())
        if result in ("moved", "finished"):
            schedule.save_plan(plan)
            programs.save_state(state)
    click.echo({
        "not-yet": f"This week asks for {left} more session{'s' * (left > 1)} first. Take your time.",
        "staying": f"You'll stay with week {state['week']} for now. Ask again whenever you like.",
        "moved": f"Week {state['week']}, {program.weeks[state['week'] - 1].title}, is in your plan.",
        "finished": f"{program.title} is complete. Your practice times stay in your plan.",
    }[result])
    if result == "moved":
        _say_entries_used(plan, program, state["week"])


@one_writer()
def _program_pause(paused: bool):
    from voicecoach import schedule
    from voicecoach.schedule import plans, programs

    state, program = _running()
    plan = plans.load()
    programs.set_paused(state, plan, paused)
    schedule.save_plan(plan)
    programs.save_state(state)
    click.echo(f"{program.title} is paused, with its reminders. 'voicecoach program resume' picks it up again."
               if paused else f"{program.title} is back on, at week {state['week']}.")
    if paused:
        _say_entries_used(plan, program, state["week"], "is your own and stays on")


@program_group.command("pause")
def program_pause():
    """Pause the program and its reminders; nothing is lost."""
    _program_pause(True)


@program_group.command("resume")
def program_resume():
    """Pick the program up again where you left it."""
    _program_pause(False)


@program_group.command("stop", short_help="End the program and remove its practice times.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask first (needed without a terminal).")
def program_stop(yes):
    """End the program: its practice times and reminders are removed from your plan. Asks first."""
    from voicecoach import schedule
    from voicecoach.schedule import plans, programs

    state, program = _running()
    if not yes:  # weeks of practice deserve a question; asked before the plan is held for writing
        if not _at_terminal():
            click.echo("The program goes on: to stop it without a terminal, add --yes.", err=True)
            sys.exit(2)
        if not click.confirm(f"Stop {program.title} at week {state['week']} of {len(program.weeks)}? "
                             "Its practice times leave your plan", default=False):
            click.echo(f"{program.title} goes on.")
            return
    with one_writer():
        state, program = _running()
        plan = plans.load()
        removed = programs.stop(state, plan)
        schedule.save_plan(plan)
        programs.save_state(None)
    click.echo(f"{program.title} is stopped; its {removed} practice time{'s' * (removed != 1)} left your plan. "
               "You can start it again whenever it feels right.")
    _say_entries_used(plan, program, state["week"], "is your own and stays in your plan")
