"""PyAudio streams for the speakers and the microphone, opened quietly or refused in one line."""

from __future__ import annotations

from voicecoach.voice import noise
from voicecoach.voice.frames import AudioUnavailable


def open_stream(what: str, on_input=None, **options):
    """A PyAudio stream (16-bit mono) and its PyAudio, or AudioUnavailable saying `no {what}`.

    PyAudio is optional (`pip install voicecoach[audio]`); ALSA's and JACK's probe noise is kept off
    the screen unless --verbose, and a failure is said in one line. `on_input(data, time_info)`, if
    given, is called from PortAudio's thread with each captured buffer and its time stamps.
    """
    try:
        import pyaudio
    except ImportError:
        raise AudioUnavailable(f"no {what}: PyAudio is not installed") from None
    if on_input is not None:
        def captured(data, frames, time_info, status):
            on_input(data, time_info)
            return None, pyaudio.paContinue

        options["stream_callback"] = captured
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


def stream_time_offset(stream) -> float | None:
    """What to add to PortAudio's stream time (its time stamps) to have time.monotonic's; None
    when the stream tells no time."""
    import time

    before = time.monotonic()
    try:
        stream_time = float(stream.get_time())
    except Exception:  # noqa: BLE001 - without it, chunks are stamped as handed over
        return None
    return (before + time.monotonic()) / 2 - stream_time if stream_time > 0 else None
