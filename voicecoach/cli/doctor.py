"""voicecoach doctor: what works on this computer, what does not, and how to fix it."""

import json
import sys
from pathlib import Path

import click

MARKS = {"pass": ("pass", "green"), "warn": ("warn", "yellow"), "fail": ("FAIL", "red")}


@click.command()
@click.option("--speak", is_flag=True, help="Say a test line with your voice settings.")
@click.option("--audio-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Say the test line into this WAV file instead of the speakers (implies --speak).")
@click.option("--listen", is_flag=True, help="Listen for five seconds: the room's noise, and cue words you say.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--timeout", "timeout_seconds", type=click.FloatRange(min=0.1, max=120),
              default=10, show_default=True, help="Seconds each check may take before it counts as failed.")
def doctor(speak, audio_out, listen, as_json, timeout_seconds):
    """What works on this computer, and how to fix what does not.

    Checks Python, settings, the journal, speech, sound, the microphone, the
    recogniser and reminders: each says pass, warn or fail, and how to fix a
    failure. The last line says what can run; the exit status is 0 for voice
    sessions, 1 for text and keyboard sessions only, 2 when no session can run.
    """
    from voicecoach import doctor as checks

    def on_heard(decision):
        if not as_json:
            what = decision.cue if decision.cue is not None else "not a cue"
            click.echo(f"  heard: {decision.text or '(nothing clear)'} -> {what}")

    if listen and not as_json:
        click.echo("Listening for five seconds. Say a few cue words: next, pause, stop, I'm done...")
    options = checks.Options(speak=speak or audio_out is not None, audio_out=audio_out, listen=listen, on_heard=on_heard,
                             timeout_seconds=timeout_seconds)
    results = checks.run(options)
    status, line = checks.verdict(results)
    if as_json:
        click.echo(json.dumps({"checks": [vars(r) for r in results], "verdict": line, "exit_status": status},
                              indent=2))
        sys.exit(status)
    width = max(len(r.name) for r in results)
    for result in results:
        mark, colour = MARKS[result.status]
        click.echo(f"{click.style(mark, fg=colour)}  {result.name:<{width}}  {result.detail}")
        if result.fix and result.status != "pass":
            click.echo(f"      {'':<{width}}  fix: {result.fix}")
    click.secho(line, bold=True, fg=("green", "yellow", "red")[status])
    sys.exit(status)
