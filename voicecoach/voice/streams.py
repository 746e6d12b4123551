"""PyAudio streams for the speakers and the microphone, opened quietly or refused in one line."""

from __future__ import annotations

from voicecoach import noise
from voicecoach.voice.frames import AudioUnavailable


def open_stream(what: str, **options):
    """A PyAudio stream (16-bit mono) and its PyAudio, or AudioUnavailable saying `no {what}`.

    PyAudio is optional (`pip install voicecoach[audio]`); ALSA's and JACK's probe noise is kept off
    the screen unless --verbose, and a failure is said in one line.
    """
    try:
        import pyaudio
    except ImportError:
        raise AudioUnavailable(f"no {what}: PyAudio is not installed") from None
    with noise.muffled() as caught:
        audio = pyaudio.PyAudio()
        try:
            return audio, audio.open(format=pyaudio.paInt16, channels=1, **options)
        except Exception as error:
            audio.terminate()
            failure = error
    reason = failure.args[-1] if failure.args else failure
    hint = f"; {caught.hint()}" if caught.hint() else ""
    raise AudioUnavailable(f"no {what} (PortAudio: {reason}{hint})") from None


def close_stream(audio, stream) -> None:
    with noise.muffled():
        stream.stop_stream()
        stream.close()
        audio.terminate()


def stream_latency(stream, direction: str) -> float:
    """A stream's own latency estimate (PortAudio's, "input" or "output"), in seconds; 0 when it gives none."""
    try:
        return max(0.0, float(getattr(stream, f"get_{direction}_latency")()))
    except Exception:  # noqa: BLE001 - only a hint for lining up the echo canceller
        return 0.0
