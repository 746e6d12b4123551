"""Template matching: how far a spoken word is from each enrolled take, by dynamic time warping.

All templates are compared at once: they are padded to one length and the DTW recursion runs
row by row over the utterance, vectorised across templates and template frames. The step
pattern is Sakoe and Chiba's symmetric one with slope limited to 1/2..2 (each step uses only the
two previous rows, so a row is one numpy expression), inside a band around the diagonal. The
distance is the path cost divided by the sum of both lengths: comparable across words.
"""

from __future__ import annotations

import numpy as np

BAND = 0.4  # how far (as a share of the longer sequence) the path may stray from the diagonal
MAX_RATIO = 2.0  # a template more than twice as long or short as the utterance cannot match
PRESELECT = 48  # with more templates than this, only the nearest by a linear stretch get DTW
STRETCH = 24  # frames of the linear stretch


class Bank:
    """Templates stacked once (padded to one length), so each utterance costs a few array operations."""

    def __init__(self, templates: list[np.ndarray]):
        self.lengths = np.array([len(t) for t in templates], dtype=np.int64)
        width = int(self.lengths.max()) if len(templates) else 0
        dims = templates[0].shape[1] if templates else 0
        self.stacked = np.zeros((len(templates), width, dims), dtype=np.float32)
        for row, t in enumerate(templates):
            self.stacked[row, :len(t)] = t
        self.norms = (self.stacked ** 2).sum(axis=2)
        self.stretched = np.stack([_stretch(t) for t in templates]) if templates else None

    def distances(self, query: np.ndarray) -> np.ndarray:
        """DTW distance from query (n, d) to each template; inf where none was computed or fits."""
        out = np.full(len(self.lengths), np.inf)
        n = len(query)
        if n < 2 or not len(self.lengths):
            return out
        ratio = self.lengths / n
        rows = np.nonzero((self.lengths >= 2) & (ratio >= 1 / MAX_RATIO) & (ratio <= MAX_RATIO))[0]
        if len(rows) > PRESELECT:
            rough = ((self.stretched[rows] - _stretch(query)[None]) ** 2).sum(axis=(1, 2))
            rows = rows[np.argsort(rough)[:PRESELECT]]
        if not len(rows):
            return out
        lengths = self.lengths[rows]
        width = int(lengths.max())
        stacked = self.stacked[rows, :width]
        cross = np.matmul(query[None], stacked.transpose(0, 2, 1))  # (templates, n, width)
        cross *= -2
        cross += self.norms[rows, :width][:, None, :]
        cross += (query ** 2).sum(axis=1)[None, :, None]
        squared = cross
        cost = np.sqrt(np.maximum(squared, 0.0))  # (templates, n, width)
        i = np.arange(n, dtype=np.float32)[None, :, None]
        centre = i * ((lengths - 1) / max(n - 1, 1)).astype(np.float32)[:, None, None]
        band = np.maximum(BAND * np.maximum(n, lengths), 2).astype(np.float32)[:, None, None]
        j = np.arange(width, dtype=np.float32)[None, None, :]
        cost[(np.abs(j - centre) > band) | (j >= lengths[:, None, None])] = np.inf
        total = _accumulate(cost)
        out[rows] = total[np.arange(len(rows)), lengths - 1] / (n + lengths)
        return out


def _stretch(t: np.ndarray) -> np.ndarray:
    """A sequence linearly resampled to STRETCH frames: a cheap first guess of what is near."""
    at = np.linspace(0, len(t) - 1, STRETCH)
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, len(t) - 1)
    frac = (at - low)[:, None].astype(np.float32)
    return t[low] * (1 - frac) + t[high] * frac


def distances(query: np.ndarray, templates: list[np.ndarray]) -> np.ndarray:
    """DTW distance from query (n, d) to each template (m_t, d); inf where no path fits."""
    return Bank(templates).distances(query)


def _accumulate(cost: np.ndarray) -> np.ndarray:
    """Last row of the symmetric P=1 recursion, weights 2 on diagonal steps:
    D[i,j] = min(D[i-1,j-1] + 2c[i,j], D[i-2,j-1] + 2c[i-1,j] + c[i,j], D[i-1,j-2] + 2c[i,j-1] + c[i,j]).
    Rows carry two columns of inf on the left, so j-1 and j-2 are plain slices."""
    count, n, width = cost.shape
    padded = np.full((count, n, width + 2), np.inf, dtype=cost.dtype)
    padded[:, :, 2:] = cost
    total = np.full((count, n, width + 2), np.inf, dtype=cost.dtype)
    total[:, 0, 2] = 2 * cost[:, 0, 0]  # the path starts at (0, 0)
    for i in range(1, n):
        c = padded[:, i, 2:]
        best = total[:, i - 1, 1:-1] + 2 * c
        np.minimum(best, total[:, i - 1, :-2] + 2 * padded[:, i, 1:-1] + c, out=best)
        if i >= 2:
            np.minimum(best, total[:, i - 2, 1:-1] + 2 * padded[:, i - 1, 2:] + c, out=best)
        total[:, i, 2:] = best
    return total[:, n - 1, 2:]


LOOSE = 1.7  # a word matches a template set when within this many times its takes' own spread
TIGHT = 1.25  # ... and is trusted without the grammar's agreement within this many
DECISIVE = 0.95  # the best word must be this much nearer than the next best word


class Matcher:
    """All of a profile's takes as templates, with a distance threshold for each partner's word.

    A word's spread is the mean distance from each of its takes to the nearest other take of the
    same word and partner (leave one out); a partner's word with a single take uses the median
    spread of the whole profile.
    """

    def __init__(self, takes):
        from voicecoach.profile import features

        self.takes = list(takes)
        self.channel = features.channel([t.cepstra.astype(np.float32) for t in self.takes])
        self.frames = [features.frames(t.cepstra, self.channel) for t in self.takes]
        self.bank = Bank(self.frames)
        self.spread = self._spreads()

    def _spreads(self) -> dict:
        groups: dict[tuple[str, str], list[int]] = {}
        for i, take in enumerate(self.takes):
            groups.setdefault((take.partner, take.word), [])
            if take.enrolled:  # thresholds come from the enrolled takes only: session takes vary more
                groups[(take.partner, take.word)].append(i)
        spread = {}
        for key, members in groups.items():
            if len(members) < 2:
                continue
            nearest = []
            for i in members:
                d = distances(self.frames[i], [self.frames[j] for j in members if j != i])
                if np.isfinite(d.min()):
                    nearest.append(d.min())
            if nearest:
                spread[key] = float(np.mean(nearest))
        fallback = float(np.median(list(spread.values()))) if spread else 35.0
        return {key: spread.get(key, fallback) for key in groups}

    def match(self, cepstra: np.ndarray, words=None) -> list[Match]:
        """The nearest take of each (partner, word), nearest first; only `words` if given."""
        from voicecoach.profile import features

        if not self.takes or len(cepstra) < features.MIN_FRAMES:
            return []
        found = self.bank.distances(features.frames(cepstra, self.channel))
        best: dict[tuple[str, str], float] = {}
        for i, d in enumerate(found):
            if words is not None and self.takes[i].word not in words:
                continue
            key = (self.takes[i].partner, self.takes[i].word)
            if d < best.get(key, np.inf):
                best[key] = float(d)
        means = {(t.partner, t.word): t.means for t in self.takes}
        return sorted((Match(p, w, means[(p, w)], d, d / self.spread[(p, w)]) for (p, w), d in best.items()),
                      key=lambda m: m.distance)


class Match:
    """How near an utterance came to one partner's takes of one word."""

    __slots__ = ("partner", "word", "means", "distance", "relative")

    def __init__(self, partner, word, means, distance, relative):
        self.partner, self.word, self.means = partner, word, means
        self.distance, self.relative = distance, relative  # relative: in units of the word's spread

    def __repr__(self):
        return f"Match({self.partner}, {self.word!r}, {self.distance:.1f}, x{self.relative:.2f})"


def verdict(matches: list[Match]) -> tuple[Match | None, str]:
    """The best match and how far it can be trusted: "tight", "loose" or "none".

    The second best must be another word (the same word by the other partner does not compete).
    """
    if not matches:
        return None, "none"
    best = matches[0]
    rival = next((m for m in matches[1:] if m.means != best.means), None)
    decisive = rival is None or best.distance <= DECISIVE * rival.distance
    if best.relative <= TIGHT and decisive:
        return best, "tight"
    if best.relative <= LOOSE and decisive:
        return best, "loose"
    return best, "none"
