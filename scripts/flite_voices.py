"""Speech from flite's voices, for the benchmarks' plumbing checks of cue phrases nobody recorded.

espeak's formant voice is far from a person's: "I'm done" in it is not heard at all, while the same
words from flite's voices (awb, rms and slt are statistical voices trained on recordings of real
speakers; kal16 is a diphone voice cut from one) are. flite is not a dependency of voicecoach; it is
used here only when it is installed (`apt install flite`). Still synthetic: no figure from it says
what a person would get.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

VOICES = ("awb", "kal16", "rms", "slt")
STRETCHES = (0.85, 1.0, 1.25)  # speaking rates: brisk, flite's own, unhurried


def available() -> bool:
    return shutil.which("flite") is not None


def render(text: str, voice: str, stretch: float = 1.0):
    """`text` said by flite's `voice` as 16 kHz float samples."""
    import numpy as np

    from voicecoach.hearing.recognizer import read_wav, to_mono_16k

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "said.wav"
        subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}", "-t", text, "-o", str(path)],
                       check=True, capture_output=True)
        pcm, rate, channels = read_wav(path)
    return to_mono_16k(pcm, rate, channels).astype(np.float64)
