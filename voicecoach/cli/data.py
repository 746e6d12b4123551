"""Commands that carry, lock and erase what voicecoach keeps: thin, the logic is in the modules."""

import sys
from pathlib import Path

import click

from voicecoach.cli.journal import day_option
from voicecoach.errors import JournalDamaged, TransferError


def _interactive() -> bool:
    return bool(sys.stdin and sys.stdin.isatty())


def _confirm(question: str, yes: bool) -> None:
    """--yes, or a 'y' at a terminal; anywhere else, refuse rather than guess (exit 2)."""
    if yes:
        return
    if not _interactive():
        click.echo("Nothing was forgotten: to confirm without a terminal, add --yes.", err=True)
        sys.exit(2)
    if not click.confirm(question, default=False):
        click.echo("Nothing was forgotten.")
        sys.exit(1)


@click.command("export", short_help="Write out your journal, or everything (--all).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="The journal's layout (see docs/JOURNAL.md).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (owner-only) instead of the screen.")
@click.option("--all", "archive", type=click.Path(dir_okay=False, path_type=Path), metavar="ARCHIVE",
              help="Write everything voicecoach holds into one .tar.gz archive, for another computer.")
def export(fmt, output, archive):
    """Write your journal out, or everything voicecoach holds with --all ARCHIVE."""
    from voicecoach.journal import transfer

    if archive:
        if output:
            raise click.UsageError("--all writes an archive; leave out --output")
        names = transfer.export_archive(archive)
        click.echo(transfer.WARNING, err=True)
        click.echo(f"Wrote {archive} ({len(names)} files, readable by you only). "
                   f"On the other computer: voicecoach import {archive.name}")
        return
    try:
        sessions, damage = transfer.journal_sessions(layout=fmt), None
    except JournalDamaged as error:  # write what can still be read, and say the export is not whole
        sessions, damage = transfer.journal_sessions(layout=fmt, damaged=True), error
    text = transfer.as_json(sessions) if fmt == "json" else transfer.as_csv(sessions)
    if output is None:
        sys.stdout.write(text)  # as it is: click.echo would scan 20 MB for colour codes to strip
    else:
        transfer.write_export(output, text)
        click.echo(f"Wrote {len(sessions)} session{'s' if len(sessions) != 1 else ''} to {output} "
                   "(readable by you only, not encrypted).")
    if damage:
        click.echo(f"Warning: {str(damage).split(';')[0]}: the {len(sessions)} session"
                   f"{'s' if len(sessions) != 1 else ''} that could still be read "
                   f"{'were' if len(sessions) != 1 else 'was'} written, "
                   "perhaps not all of them", err=True)
        sys.exit(1)


@click.command("import", short_help="Read an export or archive back in.")
@click.argument("source", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
def import_(source):
    """Read an export or archive back in; sessions you already have are not doubled."""
    from voicecoach.journal import transfer

    try:
        result = transfer.import_file(source)
    except TransferError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    click.echo(f"Imported {result.added} session{'s' if result.added != 1 else ''}"
               + (f" ({result.present} already in your journal)" if result.present else "") + ".")
    for path in result.files_added:
        click.echo(f"  added {path}")
    for path in result.files_kept:
        click.echo(f"  kept this computer's {path} (the archive's differs)")
    if result.todo:
        click.echo("Still to do here:")
        for line in result.todo:
            click.echo(f"  - {line}")


@click.command(short_help="Delete for good: all, before a date, or one session.")
@click.option("--all", "everything", is_flag=True,
              help="Everything: the journal and its backups, the voice profile, plans and program state, "
                   "and the history of private questions. Your settings and own exercises are kept.")
@click.option("--before", callback=day_option, metavar="DATE",
              help="Sessions that started before this day (YYYY-MM-DD, local time).")
@click.option("--session", "session_ref", metavar="ID", help="One session (its id, or the start of it).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def forget(everything, before, session_ref, yes):
    """Delete for good: everything, what is older than a date, or one session."""
    from voicecoach.journal import forget as forgetting

    if sum(bool(x) for x in (everything, before, session_ref)) != 1:
        raise click.UsageError("say what to forget: --all, --before DATE or --session ID")
    if everything:
        _confirm("Delete your whole journal, its backups, voice profile, plans and program for good?", yes)
        result = forgetting.forget_all()
    else:
        from voicecoach.cli.history import described

        def confirm(session):
            what = described(session) if session else f"every session before {before.date()}"
            _confirm(f"Delete {what} for good?", yes)

        cutoff = forgetting.start_of(before.date()) if before else None
        result = forgetting.forget_sessions(before=cutoff, session_ref=session_ref, confirm=confirm)
        if cutoff and not result.sessions:
            click.echo(f"Nothing older than {before.date()} to forget.")
            return
        click.echo(f"Forgot {result.sessions} session{'s' if result.sessions != 1 else ''}.")
    for path in result.rewritten:
        click.echo(f"  rewrote {path}")
    for path in result.removed:
        click.echo(f"  removed {path}")
    if everything:
        click.echo(f"Removed {len(result.removed)} file{'s' if len(result.removed) != 1 else ''}. "
                   "Kept: " + (", ".join(str(p) for p in result.kept) or "nothing") + ".")
        click.echo("Reminders you installed stay until 'voicecoach plan uninstall'.")


@click.command("lock", short_help="Encrypt the journal and private files.")
def lock_command():
    """Encrypt the journal and private files with a passphrase (asked twice, never as an argument)."""
    from voicecoach import paths, vault
    from voicecoach.journal import FILENAME, locking
    from voicecoach.vault import lock

    folder = paths.data_dir()
    if lock.is_locked(folder) and not (folder / FILENAME).exists():
        click.echo("The journal is already locked.")
        return
    if not lock.is_locked(folder):
        locking.journal_image(folder, image=False)  # a broken journal or a running session: said before any question
    vault.private_files(folder)  # so is an unreadable list of private files
    click.secho(lock.WARNING, fg="yellow", err=True)
    passphrase = None if lock.is_locked(folder) else lock.new_passphrase()
    sealed = locking.lock_folder(folder, passphrase)
    click.echo(f"Locked: {len(sealed)} file{'s' if len(sealed) != 1 else ''} encrypted. Sessions will ask for "
               "the passphrase at the start (or read VOICECOACH_PASSPHRASE).")


@click.command("unlock", short_help="Store the locked files unencrypted again.")
def unlock_command():
    """Remove the lock: the journal and private files are stored unencrypted again."""
    from voicecoach import paths
    from voicecoach.journal import locking

    opened = locking.unlock_folder(paths.data_dir())
    click.echo(f"Unlocked: {len(opened)} file{'s' if len(opened) != 1 else ''} stored unencrypted again.")
