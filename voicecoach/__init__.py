"""voicecoach: a voice-guided exercise assistant for couples."""

__version__ = "0.1.0"
