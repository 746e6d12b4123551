"""Several cue sources heard at once, so keys or typed lines work beside a voice."""


class AnyOf:
    """Several sources at once (keys or typed lines, and a voice): the first cue that comes wins."""

    def __init__(self, *sources):
        self.sources = sources

    @property
    def ended(self):
        return all(source.ended for source in self.sources)

    @property
    def failure(self):
        """Why a source stopped listening mid-session (None: none did)."""
        return next((source.failure for source in self.sources if getattr(source, "failure", None)), None)

    @property
    def exhausted(self):
        return all(source.exhausted for source in self.sources)

    @property
    def settling(self):
        return any(getattr(source, "settling", False) for source in self.sources)

    def start(self, wake):
        for source in self.sources:
            source.start(wake)

    def take(self, accepted, waiting=True):
        for source in self.sources:
            heard = source.take(accepted, waiting)
            if heard is not None:
                return heard
        return None

    def moment_began(self, kind):
        for source in self.sources:
            if hasattr(source, "moment_began"):
                source.moment_began(kind)

    def drop_stuck(self, accepted):
        for source in self.sources:
            source.drop_stuck(accepted)

    def hide_typing(self, hidden):
        for source in self.sources:
            if hasattr(source, "hide_typing"):
                source.hide_typing(hidden)

    def close(self):
        for source in self.sources:
            source.close()
