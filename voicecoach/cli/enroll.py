"""`voicecoach enroll`: teach voicecoach each partner's voice saying the cue words."""

import sys
from pathlib import Path

import click


def _cue_word(ctx, param, value):
    from voicecoach.profile import CUE_WORDS

    if value is None:
        return None
    word = " ".join(value.lower().replace("\u2019", "'").split())
    if word in ("im done", "i am done", "done"):
        word = "i'm done"
    if word not in CUE_WORDS:
        raise click.BadParameter(f"{value!r} is not a cue word; one of: {', '.join(CUE_WORDS)}")
    return word


def _own_word(ctx, param, value):
    if value is None:
        return None
    word = " ".join(value.lower().split())
    if not word or len(word) > 30 or not all(ch.isalpha() or ch in " '-" for ch in word):
        raise click.BadParameter(f"{value!r}: a word or two of letters, at most 30 characters")
    return word


@click.command(short_help="Teach voicecoach your voices, word by word.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--partner", type=click.Choice(["A", "B"], case_sensitive=False),
              help="Whose voice: A or B (as in the settings). Default: both, one after the other.")
@click.option("--word", callback=_cue_word, help="Only this cue word (to redo it), e.g. --word seven.")
@click.option("--as", "own", callback=_own_word, metavar="WORD",
              help="Teach a word of your own for the cue, e.g. --word next --as weiter.")
@click.option("--show", is_flag=True, help="List what is enrolled, and change nothing.")
@click.option("--audio-in", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use recordings as the microphone, one clip a take (for testing).")
def enroll(files, partner, word, own, show, audio_in):
    """Teach voicecoach your voices: each cue word and number, three times each.

    Only the sound's features are kept (no audio), owner-only, in your data folder.

    \b
    Examples:
      voicecoach enroll                       both partners, every word, guided
      voicecoach enroll --partner A --word seven
      voicecoach enroll --partner B --word seven take1.wav take2.wav take3.wav
      voicecoach enroll --partner A --word next --as weiter
      voicecoach enroll --show
    """
    from voicecoach import config, profile

    names = config.load().names()
    if show:
        _show(profile.load(), names)
        return
    if own and not word:
        raise click.UsageError("--as needs --word: the cue your word stands for")
    stored = profile.load() or profile.Profile()  # a newer or damaged profile stops here, untouched
    if files:
        _from_files(stored, files, partner, word, own, names)
    else:
        _live(stored, audio_in, partner, word, own, names)


def _from_files(stored, files, partner, word, own, names):
    from voicecoach import profile
    from voicecoach.profile import enrolment

    if not partner or not word:
        raise click.UsageError("with files, say whose and which word: --partner A --word seven FILE.wav...")
    try:
        takes = enrolment.takes_from_files(files)
    except enrolment.TakeError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    partner = partner.upper()
    stored.enrol(partner, own or word, word, takes)
    where = profile.save(stored)
    said = f"'{own}' for {word}" if own else f"'{word}'"
    click.echo(f"Enrolled {len(takes)} take{'s' if len(takes) != 1 else ''} of {said} for {names[partner]} "
               f"(only their features, in {where}).")
    if own and len(takes) < enrolment.TAKES_OWN_WORD:
        click.echo(f"A word of your own is heard through these takes alone: {enrolment.TAKES_OWN_WORD} "
                   "takes catch it more often than fewer.")


def _live(stored, audio_in, partner, word, own, names):
    from voicecoach import profile
    from voicecoach.hearing import Microphone, Recordings
    from voicecoach.profile import enrolment
    from voicecoach.voice import AudioUnavailable

    try:
        source = Recordings(audio_in) if audio_in else Microphone()
    except AudioUnavailable as error:
        click.echo(f"Error: {error}. Enrol from recordings instead: voicecoach enroll --partner A "
                   "--word seven FILE.wav...", err=True)
        sys.exit(1)
    partners = [partner.upper()] if partner else list(profile.PARTNERS)
    words = [word] if word else list(profile.CUE_WORDS)
    meter = _Meter()
    try:
        for who in partners:
            click.echo(f"\n{names[who]}, it is your turn. Say each word as you would in a session, "
                       "after the prompt, once a prompt.")
            for cue in words:
                said = own or cue
                wanted = enrolment.TAKES_OWN_WORD if own else enrolment.TAKES
                takes = []
                while len(takes) < wanted:
                    take = _one_take(source, said, len(takes) + 1, wanted, meter)
                    if take is None:
                        break
                    takes.append(take)
                if len(takes) < wanted:
                    click.echo(f"  Skipped '{said}': no good take. Redo it later with --partner {who} --word {cue}.")
                    continue
                stored.enrol(who, said, cue, takes)
                profile.save(stored)  # word by word: stopping half-way keeps what is done
                click.echo(f"  '{said}': learned.")
    except KeyboardInterrupt:
        click.echo("\nStopped. The words finished so far are kept.")
    finally:
        source.close()
    click.echo("Done. 'voicecoach enroll --show' lists what is enrolled.")


def _one_take(source, said, number, wanted, meter, tries=3):
    """A good take of a word, asking again when one is too quiet, clipped or cut off; None after `tries`."""
    from voicecoach.profile import enrolment

    for _ in range(tries):
        click.echo(f"  Say '{said}' ({number} of {wanted})...", nl=not meter.live)
        try:
            take = enrolment.listen_for_take(source, meter.show)
        except enrolment.TakeError as error:
            meter.clear()
            click.echo(f"  Not kept: {error}. Once more.")
            continue
        meter.clear()
        return take
    return None


class _Meter:
    """A level bar on one terminal line while listening; nothing when output is not a terminal."""

    def __init__(self):
        self.live = sys.stdout.isatty()

    def show(self, level):
        if self.live:
            width = int(max(0.0, level + 60) / 60 * 30)
            click.echo(f"\r    level {level:6.1f} dB |{'#' * width:<30}|", nl=False)

    def clear(self):
        if self.live:
            click.echo("\r" + " " * 50 + "\r", nl=False)


def _show(stored, names):
    from voicecoach import profile

    if stored is None or not stored.takes:
        click.echo("Nobody has enrolled yet. 'voicecoach enroll' teaches voicecoach your voices.")
        return
    for partner in profile.PARTNERS:
        rows = [r for r in stored.summary() if r["partner"] == partner]
        click.echo(f"{names[partner]} ({partner}): " + ("nothing enrolled" if not rows else f"{len(rows)} word{'s' if len(rows) != 1 else ''}"))
        for r in rows:
            word = r["word"] if r["word"] == r["means"] else f"{r['word']} (for {r['means']})"
            learned = f", {r['learned']} learned in sessions" if r["learned"] else ""
            click.echo(f"  {word:24} {r['enrolled']} takes{learned}")
    missing = {p: [w for w in profile.CUE_WORDS if w not in {r['means'] for r in stored.summary()
                                                             if r['partner'] == p}] for p in profile.PARTNERS}
    for partner, words in missing.items():
        if words and len(words) < len(profile.CUE_WORDS):
            click.echo(f"Not yet enrolled for {names[partner]}: {', '.join(words)}")
    click.echo(f"Audio kept: no (only sound features, owner-only, in {profile.path()})")
