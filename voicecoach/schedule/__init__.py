"""Practice that fits a week: plans, what is due, reminders, calendar export and programs.

May import: exercise, vault, paths, errors.
"""

from datetime import datetime

from voicecoach.schedule import due, plans, programs, reminders


def touch_ids() -> set:
    """Closeness exercises (tagged touch): reminded only when both partners opted in."""
    from voicecoach import exercise

    return {e.id for e in exercise.all_exercises()[0] if "touch" in e.tags}


def session_completed(exercise_id: str, now: datetime | None = None, zone=None) -> None:
    """A logged session finished: mark today's planned slot of it done, and count it for a program."""
    zone = zone or plans.local_zone()
    now = plans.now_in(zone, now)
    plan = plans.load()
    state = reminders.read()
    slot = due.slot_for_session(plan, state["done"], exercise_id, now, zone)
    if slot:
        reminders.mark_done(state, slot.entry.key, slot.day, now.date())
        reminders.write(state)
    progress = programs.load_state()
    if progress and programs.counted(progress, programs.of_state(progress), exercise_id):
        programs.save_state(progress)


def reminder_times(state: dict) -> list:
    return sorted({slot["rhythm"]["at"] for slot in state["slots"]})


def save_plan(plan: plans.Plan) -> dict:
    """Keep the plan, copy its times for the reminders, and bring installed reminders up to date."""
    from voicecoach.schedule import install

    plans.save(plan)
    state = reminders.sync(plan)
    times = reminder_times(state)
    record = state["installed"]
    # With no times (the plan paused) the reminders stay installed and simply find nothing due, so
    # 'plan resume' needs no reinstall; the scheduler is touched only when the times change.
    if record and times and times != record.get("times"):
        install.uninstall_here(record)
        state["installed"] = install.install_here(times)
        reminders.write(state)
    return state
