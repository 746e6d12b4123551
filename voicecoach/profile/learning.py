"""Learning from a session: a spoken cue that a partner confirmed joins their voice profile.

Voices drift from the day they enrolled, so a take that was read back ("I heard seven. Is that
right?", "Finished, Sam?") and answered with a yes, spoken or keyed, is added to the profile as a
learned take of that word (at most profile.LEARNED_PER_WORD a word per partner, oldest out;
enrolled takes stay). A "no", or anything else, drops it. The runner calls `cue()` with every
cue the session took; nothing is created when the session is not logged (`--no-log`).
"""

from __future__ import annotations

from voicecoach.cues import NUMBER_WORDS, Cue, Source
from voicecoach.errors import VoicecoachError


class SessionLearning:
    def __init__(self, spoken, names: dict, save=None):
        from voicecoach import profile

        self.spoken = spoken  # ears.SpokenCues: its last_take is the last utterance as the profile saw it
        self.slots = {name: slot for slot, name in names.items()}
        self.save = save or profile.save
        self.pending = None  # (partner, cue word, profile view of the take) awaiting a yes
        self.learned = 0

    def cue(self, heard, speaker: str | None) -> None:
        """A cue the session took; `speaker` is the name of whoever has the floor, if anyone."""
        if self.save is None:  # saving failed once this session: learn nothing more
            return
        pending, self.pending = self.pending, None
        if pending is not None and heard.cue is Cue.YES:
            self._learn(*pending)
            return
        asked_back = heard.cue is Cue.DONE or (heard.unsure and heard.cue in (Cue.NUMBER, Cue.YES, Cue.NO))
        take = getattr(self.spoken, "last_take", None)
        if heard.source is not Source.VOICE or not asked_back or take is None:
            return
        partner = self.slots.get(speaker) or take.partner
        word = NUMBER_WORDS[heard.number] if heard.cue is Cue.NUMBER else heard.word.lower()
        if partner is not None:
            self.pending = (partner, word, take)

    def _learn(self, partner, word, take) -> None:
        engine = self.spoken.recognizer
        said = take.word if take.means == word else word  # their own word for it, if that is what matched
        engine.profile.learn(partner, said, word, take.cepstra)
        try:
            self.save(engine.profile)
        except (OSError, VoicecoachError):  # a full disk, a locked journal: the session goes on unlearned
            self.save = None
            return
        engine.refresh()
        self.learned += 1
