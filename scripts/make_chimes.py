"""Make the chimes in audio/ from code, so they can be changed and re-made (stdlib only).

Usage: python scripts/make_chimes.py [OUT_DIR]
"""

import math
import sys
import wave
from array import array
from pathlib import Path

RATE = 22050
# Peak level of each chime in dBFS, chosen so each sounds about as loud as the voice on average:
# the bell decays at once; the steady tones of turn and start need less peak (measured: their mean
# level was 6-7 dB above speech at -6 dBFS).
PEAK_DBFS = {"bell": -6.0, "turn": -12.5, "start": -12.5}
OUT_DIR = Path(__file__).resolve().parent.parent / "audio"


def tone(freq, seconds, amp=1.0, decay=None, glide_to=None):
    """A sine, optionally decaying exponentially (time constant in s) or gliding to another pitch."""
    n = int(seconds * RATE)
    out, phase = [], 0.0
    for i in range(n):
        f = freq if glide_to is None else freq + (glide_to - freq) * (i / n)
        phase += 2 * math.pi * f / RATE
        env = math.exp(-i / RATE / decay) if decay else 1.0
        out.append(amp * env * math.sin(phase))
    return out


def mix(*parts):
    out = [0.0] * max(len(p) for p in parts)
    for p in parts:
        for i, x in enumerate(p):
            out[i] += x
    return out


def fade(samples, in_s=0.005, out_s=0.05):
    """Short ramps at both ends: an abrupt start or end is heard as a click."""
    n_in, n_out, n = int(in_s * RATE), int(out_s * RATE), len(samples)
    for i in range(n_in):
        samples[i] *= i / n_in
    for i in range(n_out):
        samples[n - 1 - i] *= i / n_out
    return samples


def soft(samples):
    """Raised-cosine envelope for tones that should swell and fade rather than strike."""
    n = len(samples)
    return [x * 0.5 * (1 - math.cos(2 * math.pi * i / n)) for i, x in enumerate(samples)]


def bell():
    """A soft bell: fundamental plus inharmonic partials, upper ones dying sooner."""
    f0 = 528.0
    partials = [(1.0, 1.0, 0.9), (2.0, 0.45, 0.5), (2.76, 0.25, 0.35), (5.4, 0.1, 0.2)]
    return fade(mix(*(tone(f0 * r, 1.8, a, d) for r, a, d in partials)), in_s=0.004, out_s=0.1)


def turn():
    """Two gentle descending notes: the floor passes to the other partner."""
    first = soft(tone(659.25, 0.3)) + [0.0] * int(0.3 * RATE)
    second = [0.0] * int(0.25 * RATE) + soft(tone(523.25, 0.35))
    return fade(mix(first, second))


def start():
    """A gentle rising tone: the exercise begins."""
    return fade(soft(mix(tone(392.0, 0.8, glide_to=587.33), tone(784.0, 0.8, 0.2, glide_to=1174.66))))


def write(path, samples, peak_dbfs):
    top = max(abs(x) for x in samples)
    peak = 10 ** (peak_dbfs / 20)
    pcm = array("h", (int(round(x / top * peak * 32767)) for x in samples))
    if sys.byteorder == "big":
        pcm.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


CHIMES = {"bell": bell, "turn": turn, "start": start}


def main(out_dir=OUT_DIR):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, make in CHIMES.items():
        write(out_dir / f"{name}.wav", make(), PEAK_DBFS[name])
        print(out_dir / f"{name}.wav")


if __name__ == "__main__":
    main(*sys.argv[1:2])
