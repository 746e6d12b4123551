"""The command line: parse, call the modules, print. No logic of its own."""

import importlib
import json
import os
import sys
from pathlib import Path

import click

from voicecoach import __version__
from voicecoach.cli.options import TIME_SCALE, one_writer, recordings
from voicecoach.errors import ExerciseError, VoicecoachError

INTERRUPTED = 130  # what a command exits with when a session was interrupted (128 + SIGINT)
JOURNAL_WARNING = "voicecoach.journal_warning"  # ctx.meta: the journal could not be opened before the command
CONTEXT = {"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "VOICECOACH"}


class _Group(click.Group):
    """Turns a user's mistake into one clear line and an exit status, never a traceback.

    Commands kept in their own modules are registered lazily: a module is imported only when its
    command runs, so a command pays for no other's imports (rich, cryptography, yaml...).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = {}  # name -> ("module:command", short help): --help lists it without importing

    def list_commands(self, ctx):
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx, name):
        if name in self.lazy_commands and name not in self.commands:
            module, attribute = self.lazy_commands[name][0].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return self.commands.get(name)

    def resolve_command(self, ctx, args):
        """A name that is no command loads them all first, so click's "Did you mean" knows every name."""
        if args and args[0] not in self.list_commands(ctx):
            for name in self.lazy_commands:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx, formatter):
        """As click lists commands, but a lazy one's line comes from its table entry."""
        names = [name for name in self.list_commands(ctx)
                 if name in self.lazy_commands or not self.commands[name].hidden]
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, self.lazy_commands[name][1] if name in self.lazy_commands
                 else self.commands[name].get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            _one_line(error)
            raise

    def invoke(self, ctx):
        try:
            result = super().invoke(ctx)
        except click.UsageError as error:  # a subcommand's options: a range, a choice, a missing value
            _one_line(error)
            raise
        except ExerciseError as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            ctx.exit(2)
        except VoicecoachError as error:
            click.echo(f"Error: {error}", err=True)  # the journal's problem too, said once (see _tidy_journal)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:  # before a session began, or in a command with none: one line, no "Aborted!"
            click.echo("\nInterrupted.", err=True)
            ctx.exit(INTERRUPTED)
        if ctx.meta.get(JOURNAL_WARNING):
            click.echo(f"Warning: {ctx.meta[JOURNAL_WARNING]}", err=True)
        return result


def _one_line(error: click.UsageError) -> None:
    """A usage mistake is said as click's one "Error: ..." line, which names the option and value,
    without the usage block above it (--help shows that); a bare group still shows its help."""
    if not isinstance(error, getattr(click.exceptions, "NoArgsIsHelpError", ())):
        error.ctx = None


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="voicecoach")
@click.option("--verbose", is_flag=True, help="Show the audio libraries' own messages (ALSA, JACK, PortAudio).")
@click.pass_context
def cli(ctx, verbose):
    """A voice-guided exercise assistant for couples.

    It reads an exercise aloud, gives each partner the floor in turn, listens
    for cues such as "next", "I'm done" or "stop", and keeps a private journal
    on this computer. Nothing leaves the machine.

    \b
    Examples:
      voicecoach list
      voicecoach show daily-check-in
      voicecoach start daily-check-in
      voicecoach config set partner-a Sam
      voicecoach history
    """
    os.umask(0o077)  # everything voicecoach writes is for its owner only
    if verbose:
        from voicecoach.voice import noise

        noise.shown = True
    if ctx.invoked_subcommand != "doctor":  # the doctor only looks: it changes no file
        _repair_modes()
        _tidy_journal()


def _settings():
    from voicecoach import config

    return config.load()


def _ask_names_once(settings):
    """On a first start at a terminal, ask the partners' names (kept in the settings) rather than
    greeting them as Partner A and Partner B."""
    from voicecoach import config

    if config.path().exists() or not _person_at_terminal():
        return settings
    click.echo("Welcome. ", nl=False)
    return _ask_names(settings)


def _ask_names(settings):
    """Ask both names and save them; Enter keeps the one shown."""
    from voicecoach import config
    from voicecoach.errors import BadInput

    click.echo("What names shall I use? (Press Enter to keep the one in brackets.)")
    for key in ("partner-a", "partner-b"):
        label = "First partner" if key == "partner-a" else "Second partner"
        while True:  # a name that cannot be used (blank, the other's) is said, and asked again
            answer = click.prompt(label, default=config.as_dict(settings)[key])
            try:
                settings = config.with_value(settings, key, answer.strip() or config.as_dict(settings)[key])
                break
            except BadInput as error:
                click.echo(f"  {error}; try another.")
    config.save(settings)
    click.echo("Saved. Change them any time with: voicecoach config set partner-a NAME\n")
    return settings


def _show_safety_note_once(settings, again=False):
    """Shown on screen, never asked aloud, until a person at a terminal has read it in this data folder
    (`again`: even if they have): it stays until they press Enter. A run with no terminal (a script,
    setup's check) shows it and does not count as seen."""
    from voicecoach import safety

    if safety.seen_here() and not again:
        return
    from rich.console import Console

    Console(highlight=False).print(safety.note(settings.helplines) + "\n", style="yellow", markup=False)
    if _person_at_terminal():
        click.prompt("Press Enter when you have both read this", default="", show_default=False,
                     prompt_suffix=" ")
        click.echo()
        safety.remember_seen()


def _person_at_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty()


def _repair_modes():
    """Files another program made readable to others are made owner-only again, and temporary copies
    a crash left are erased, each with one line."""
    from voicecoach.vault import privacy

    repaired = privacy.repair_modes()
    if repaired:
        click.echo(privacy.warning(repaired), err=True)
    removed = privacy.remove_stale_temporaries()
    if removed:
        click.echo(privacy.removed_note(removed), err=True)


def _tidy_journal():
    """Close sessions that a killed process left open; a broken journal must not block other commands."""
    from voicecoach import paths
    from voicecoach.journal import FILENAME, Journal

    if not (paths.data_dir(create=False) / FILENAME).exists():
        return  # nothing to tidy, and no reason to create anything
    try:
        Journal().close()
    except VoicecoachError as error:  # said after a command that did not need the journal, else as its error
        click.get_current_context().meta[JOURNAL_WARNING] = str(error)


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_exercises(as_json):
    """List the exercises: built-in ones and your own."""
    from voicecoach import exercise

    exercises, problems = exercise.all_exercises()
    rows = [{"id": e.id, "title": e.title, "minutes": e.minutes, "tags": list(e.tags),
             "solo": e.solo, "path": e.path} for e in exercises]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        table.add_column("id", no_wrap=True, min_width=max((len(row["id"]) for row in rows), default=0))
        for column in ("title", "minutes", "tags"):  # these wrap, so the ids people type are never cut short
            table.add_column(column, justify="right" if column == "minutes" else "left")
        from rich.text import Text

        from voicecoach.view import shown

        for row in rows:  # text from files is shown as text, never as markup or raw control codes
            table.add_row(*(Text(shown(cell)) for cell in (row["id"], row["title"], f"{row['minutes']:g}",
                                                           ", ".join(row["tags"]))))
        Console().print(table)
    for problem in problems:
        click.echo(f"Skipped: {problem}", err=True)


@cli.command(short_help="Print an exercise as it will be spoken.")
@click.argument("exercise_ref", metavar="ID_OR_FILE")
@click.option("--solo", is_flag=True, help="Show it as done alone.")
@click.option("--partner", type=click.Choice(["A", "B"], case_sensitive=False), default="A",
              help="With --solo: whose name to use.")
def show(exercise_ref, solo, partner):
    """Print an exercise as it will be spoken, with your names filled in."""
    from voicecoach import exercise
    from voicecoach.session import script

    found = exercise.find(exercise_ref)
    settings = _settings()
    click.secho(f"{found.title}  ({found.id}, about {found.minutes:g} minutes)", bold=True)
    for label, text in (("About", found.description), ("Based on", found.basis), ("Notes", found.notes)):
        if text:
            click.echo(click.wrap_text(f"{label}: {text}", subsequent_indent="  "))
    click.echo()
    names = settings.names()
    for marker, text in script.lines(found, names, partner.upper() if solo else None) + script.pool_lines(found, names):
        if marker == "":
            click.echo(click.wrap_text(text, initial_indent="  ", subsequent_indent="  "))
        elif marker == "item":  # one of a pool's items
            click.echo(click.wrap_text(text, initial_indent="  - ", subsequent_indent="    "))
        elif marker == "label":
            click.secho(text, fg="blue")
        elif marker == "wait":
            click.secho(f"  {text}", dim=True)
        else:
            click.secho(f"  {marker}: {text}", dim=True)


@cli.command(short_help="Check exercise and program files for mistakes.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(files):
    """Check exercise and program files; print file:line: problem for each mistake."""
    from voicecoach import exercise
    from voicecoach.schedule import programs

    problems = exercise.check_files([file for file in files if not programs.is_program_file(file)])
    problems += programs.check_files([file for file in files if programs.is_program_file(file)])
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        sys.exit(2)
    click.echo(f"{len(files)} file{'s' if len(files) != 1 else ''} OK")


@cli.command(short_help="Start your own exercise from a commented file.")
@click.argument("exercise_id", metavar="ID")
def new(exercise_id):
    """Start your own exercise: writes a commented file to edit, in your exercises folder."""
    from voicecoach import exercise

    path = exercise.new_file(exercise_id)
    click.echo(f"Wrote {path}\nEdit it, then: voicecoach check {path}  and  voicecoach start {exercise_id}")


@cli.command(short_help="Show the safety note again.")
def safety():
    """Show the safety note again: who these exercises are for, and where to turn."""
    from rich.console import Console

    from voicecoach import safety as safety_note

    Console(highlight=False).print(safety_note.note(_settings().helplines), markup=False)


@cli.command(short_help="Run an exercise: speak it, listen, keep a journal.")
@click.argument("exercise_ref", metavar="ID_OR_FILE")
@click.option("--text", "text_cues", is_flag=True,
              help="Read cues as typed lines (next, stop, 7, I'm done) instead of single keys.")
@click.option("--time-scale", type=TIME_SCALE, default=1.0, show_default=True,
              help="Multiply every wait by this, from 0 (no waits) to 100, to preview or test.")
@click.option("--log/--no-log", default=None,
              help="Keep this session in the journal, or not (default: kept, but a rehearsal, with "
              "--time-scale other than 1 or --audio-in, is not).")
@click.option("--solo", is_flag=True, help="Do a self-care exercise alone.")
@click.option("--partner", type=click.Choice(["A", "B"], case_sensitive=False), default="A",
              help="With --solo: who is doing it.")
@click.option("--audio-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Send all sound to this WAV file, in real time, instead of the speakers.")
@click.option("--audio-in", multiple=True, type=click.Path(path_type=Path),
              callback=recordings,
              help="Use a recording as the microphone (repeat it for a playlist: one clip a listening moment).")
@click.option("--listen/--no-listen", default=True, show_default=True,
              help="Listen for spoken cues through the microphone.")
def start(exercise_ref, text_cues, time_scale, log, solo, partner, audio_out, audio_in, listen):
    """Run an exercise: speak it, listen for cues, keep it in the journal."""
    from voicecoach import exercise

    found = exercise.find(exercise_ref)
    if solo and not found.solo:
        raise click.UsageError(f"{found.id} is for two; --solo works with self-care exercises "
                               "such as box-breathing")
    settings = _ask_names_once(_settings())
    _show_safety_note_once(settings)
    from voicecoach.cli.schedule import run_practice

    run_practice(found, settings, log=log, time_scale=time_scale, audio_in=audio_in, solo=solo, partner=partner,
                 text_cues=text_cues, audio_out=audio_out, listen=listen)


@cli.command()
@click.option("--language", "-l", help="Only voices for this language, e.g. en or en-us.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def voices(language, as_json):
    """List the voices this computer can speak with."""
    from voicecoach import voice

    found = voice.Synthesizer().voices()
    if language:
        found = [v for v in found if any(lang.lower().startswith(language.lower()) for lang in v.languages)]
        if not found:
            click.echo(f"No voices for language {language!r}; 'voicecoach voices' lists them all.", err=True)
            sys.exit(2)
    if as_json:
        click.echo(json.dumps([v._asdict() for v in found], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("id", "name", "languages", "gender"):
        table.add_column(column)
    for v in found:
        table.add_row(v.id, v.name, ", ".join(v.languages), v.gender or "-")
    Console().print(table)
    click.secho("Choose one with 'voicecoach config set voice ID'; try it with 'voicecoach say'.", dim=True)


@cli.command(short_help="Speak a line with the current voice.")
@click.argument("text", default="Hello {A} and {B}. This is how I sound.")
@click.option("--audio-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the speech to this WAV file instead of the speakers.")
def say(text, audio_out):
    """Speak a line with the current voice, rate and volume; {A} and {B} are your names."""
    from voicecoach import runner

    shown = runner.say_line(text, _settings(), audio_out)
    click.echo(shown)


@cli.command(short_help="Render a whole exercise to one sound file (WAV, FLAC, OGG).")
@click.argument("exercise_ref", metavar="ID_OR_FILE")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--turn-seconds", type=click.FloatRange(min=1, max=3600),
              help="How long each partner's turn lasts (default: each turn's own limit).")
@click.option("--answer-seconds", type=click.FloatRange(min=0, max=600), default=8, show_default=True,
              help="Silence left after each question and rating.")
@click.option("--solo", is_flag=True, help="Render a self-care exercise for one person.")
@click.option("--partner", type=click.Choice(["A", "B"], case_sensitive=False), default="A",
              help="With --solo: whose name to use.")
def render(exercise_ref, out, turn_seconds, answer_seconds, solo, partner):
    """Render a whole exercise to one sound file to play from a phone: WAV (16-bit, 22050 Hz mono),
    or FLAC, OGG or AIFF as OUT's name asks."""
    from rich.console import Console
    from rich.progress import Progress

    from voicecoach import exercise
    from voicecoach import render as rendering

    found = exercise.find(exercise_ref)
    if solo and not found.solo:
        raise click.UsageError(f"{found.id} is for two; --solo works with self-care exercises")
    found = rendering.with_limits(found, turn_seconds=turn_seconds)
    errors = Console(stderr=True)
    with Progress(console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task(f"Rendering {found.title}", total=len(found.steps))
        seconds = rendering.render(found, _settings(), out, solo=partner.upper() if solo else None,
                                   answer_seconds=answer_seconds,
                                   progress=lambda done, total: progress.update(task, completed=done))
    from voicecoach.voice.sinks import sound_format

    kind = {"WAV": "16-bit mono WAV", "FLAC": "16-bit mono FLAC", "OGG": "mono Ogg Vorbis",
            "AIFF": "16-bit mono AIFF"}[sound_format(out)]
    click.echo(f"Wrote {out}: {int(seconds // 60)} min {round(seconds % 60):02d} s of {kind} at 22050 Hz.")


@cli.command(short_help="Recognise cues in WAV files, one JSON line each.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--context", type=click.Choice(["navigation", "turn", "rating", "answer"]), default="navigation",
              show_default=True, help="What the recogniser listens for, as at that moment of a session: "
              "navigation (next, pause, stop...), turn (I'm done), rating (zero to ten), answer (yes, no). "
              "Digits are heard only as a rating.")
@click.option("--no-profile", is_flag=True, help="Ignore the enrolled voice profile (to compare).")
@click.option("--engine", "engine_name", type=click.Choice(["whisper", "pocketsphinx"]),
              help="The speech engine (default: the config's speech-engine, else Whisper when installed).")
def hear(files, context, no_profile, engine_name):
    """Recognise cues in WAV files, as a live session would; one JSON line per file.

    A file that cannot be read gets a line with "error" and the others are still heard;
    the exit status is then 2.
    """
    from voicecoach.hearing import recognizer
    from voicecoach.profile import enrolled

    if not no_profile:
        from voicecoach import profile

        try:  # hear shows how the couple's sessions hear: not so without the profile they enrolled
            profile.load()
        except VoicecoachError as error:  # damaged, newer, or locked with no passphrase given
            raise VoicecoachError(f"{error} (--no-profile hears without it)") from None
    engine, note = enrolled.couple_recognizer(use=not no_profile, engine=engine_name)
    if note:
        click.echo(note, err=True)
    unreadable = 0
    for file in files:
        heard = recognizer.hear_file(file, context, engine)
        unreadable += "error" in heard
        click.echo(json.dumps(heard))
    if unreadable:
        sys.exit(2)


@cli.command(short_help="Check the microphone: level, noise, words heard.")
@click.option("--seconds", type=click.FloatRange(min=2, max=300), default=15, show_default=True,
              help="How long to listen.")
@click.option("--audio-in", type=click.Path(path_type=Path),
              help="Listen to a recording instead of the microphone.")
def mic(seconds, audio_in):
    """Check the microphone: its level, the room's noise, and what it hears you say."""
    from voicecoach import hearing as ears
    from voicecoach.profile import enrolled

    source = ears.Recordings([audio_in]) if audio_in else ears.Microphone()
    engine, note = enrolled.couple_recognizer()  # hears as a session would, the couple's voices too
    if note:
        click.echo(note, err=True)
    click.echo("Listening. Say a few cue words: next, pause, stop, I'm done...")
    bar = {"last": -1.0}

    def on_level(level, elapsed):
        if sys.stdout.isatty() and elapsed - bar["last"] >= 0.1:
            bar["last"] = elapsed
            width = int(max(0, level + 60) / 60 * 40)
            click.echo(f"\r  level {level:6.1f} dB |{'#' * width:<40}|", nl=False)

    def on_heard(decision):
        what = decision.cue if decision.cue is not None else "not a cue"
        click.echo(f"\r  heard: {decision.text or '(nothing clear)'} -> {what}" + " " * 30)

    noise = ears.check_microphone(source, engine, seconds, on_level, on_heard)
    click.echo(f"\r  room noise: {noise:.0f} dBFS" + " " * 40)
    if noise > -35:
        click.echo("  The room is loud for listening: a quieter room, or a closer microphone, will help.")
    else:
        click.echo("  The room is quiet enough for listening.")


@cli.group("config")
def config_group():
    """Show or change settings: partner names, voice, pace."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def config_show(as_json):
    """Show the settings and where they are kept."""
    from voicecoach import config

    settings = _settings()
    if as_json:
        click.echo(json.dumps(config.as_dict(settings), indent=2))
        return
    values = config.as_text(settings)
    width = max(map(len, values))
    for key, value in values.items():
        click.echo(f"{key:{width}}  {value}".rstrip())
    click.secho(f"(kept in {config.path()})", dim=True)


class _SettingsHelp(click.Command):
    """Its help ends with every setting and what it takes, read from config only when help is asked."""

    def format_epilog(self, ctx, formatter):
        from voicecoach import config

        width = max(map(len, config.KEYS))
        self.epilog = "\b\nSettings:\n" + "\n".join(f"  {key:{width}}  {config.accepted(key)}"
                                                     for key in config.KEYS)
        super().format_epilog(ctx, formatter)


@config_group.command("set", cls=_SettingsHelp, short_help="Change one setting.")
@click.argument("key")
@click.argument("value")
@one_writer()
def config_set(key, value):
    """Change one setting (KEY, below) to VALUE.

    \b
    Example:
      voicecoach config set partner-a Sam
    """
    from voicecoach import config

    settings = config.with_value(_settings(), key, value)
    if key == "voice" and settings.voice:
        from voicecoach import voice

        try:
            settings = config.with_value(settings, key, voice.Synthesizer(settings.voice).voice_id)
        except voice.AudioUnavailable as error:
            click.echo(f"Warning: the voice could not be checked ({error}).", err=True)
    config.save(settings)
    click.echo(f"{key} = {config.as_text(settings)[key]}")


# Commands kept in their own modules, imported only when run (see _Group):
# name -> ("module:command", the line --help shows for it; a test checks it is the command's own).
LAZY_COMMANDS = {
    "history": ("voicecoach.cli.journal:history", "List past sessions, newest first."),
    "stats": ("voicecoach.cli.journal:stats", "How your practice is going, week by week."),
    "plan": ("voicecoach.cli.schedule:plan_group", "Plan practice at set times, with reminders."),
    "program": ("voicecoach.cli.schedule:program_group", "Multi-week programs that move on when you are ready."),
    "due": ("voicecoach.cli.schedule:due", "What is planned today, and what is done."),
    "today": ("voicecoach.cli.schedule:today", "Start the next exercise planned for today."),
    "next": ("voicecoach.cli.schedule:today", "Start the next exercise planned for today."),
    "remind": ("voicecoach.cli.schedule:remind", "Send the reminder due now (run by the timer)."),
    "doctor": ("voicecoach.cli.doctor:doctor", "What works on this computer, and how to fix what does not."),
    "export": ("voicecoach.cli.data:export", "Write out your journal, or everything (--all)."),
    "import": ("voicecoach.cli.data:import_", "Read an export or archive back in."),
    "forget": ("voicecoach.cli.data:forget", "Delete for good: all, before a date, or one session."),
    "lock": ("voicecoach.cli.data:lock_command", "Encrypt the journal and private files."),
    "unlock": ("voicecoach.cli.data:unlock_command", "Store the locked files unencrypted again."),
    "enroll": ("voicecoach.cli.enroll:enroll", "Teach voicecoach your voices, word by word."),
    "welcome": ("voicecoach.cli.welcome:welcome", "A first run: names, the safety note, a short exercise."),
}
cli.lazy_commands.update(LAZY_COMMANDS)


def main():
    """The command line (voicecoach.cli.entry runs it, having taken the signals first)."""
    cli(prog_name="voicecoach")
