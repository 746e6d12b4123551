"""Sound files as --audio-in, hear, mic and enroll read them: any common encoding, and one plain line
for anything else (recognizer.audio.read_wav)."""

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile

from voicecoach.hearing.recognizer import AudioError, load_file


def tone(rate=16000, seconds=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * np.sin(2 * np.pi * 440 * t)


@pytest.mark.parametrize("suffix, fmt, subtype, rate", [
    (".wav", "WAV", "PCM_16", 16000), (".wav", "WAV", "PCM_24", 44100), (".wav", "WAV", "PCM_32", 48000),
    (".wav", "WAV", "FLOAT", 22050), (".wav", "WAV", "PCM_U8", 8000), (".wav", "WAVEX", "PCM_16", 16000),
    (".flac", "FLAC", "PCM_16", 16000), (".ogg", "OGG", "VORBIS", 16000), (".aiff", "AIFF", "PCM_16", 16000),
])
def test_common_sound_files_are_read_as_16_khz(tmp_path, suffix, fmt, subtype, rate):
    path = tmp_path / f"tone{suffix}"
    soundfile.write(path, np.stack([tone(rate)] * 2, axis=1), rate, format=fmt, subtype=subtype)  # stereo
    samples = load_file(path)
    assert samples.dtype == np.int16 and abs(len(samples) - 8000) <= 2
    assert 0.3 * 32767 < np.abs(samples).max() < 0.6 * 32767


def wav_header(rate, channels=1, data=b"\0\0" * 100):
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize("make, said", [
    (lambda p: p.write_text("BEGIN:VCALENDAR\n"), "not a sound file (WAV, FLAC, OGG or AIFF)"),
    (lambda p: p.write_bytes(b""), "empty file"),
    (lambda p: p.write_bytes(wav_header(1_092_676)), "sample rate 1,092,676 Hz is not a real one"),
    (lambda p: p.write_bytes(wav_header(8)), "sample rate 8 Hz is not a real one"),
    (lambda p: p.write_bytes(wav_header(16000, data=b"")), "the file holds no audio"),
    (lambda p: p.mkdir(), "is a directory, not a sound file"),
    (lambda p: os.mkfifo(p), "not a regular file (a pipe or a device); give a sound file"),
    (lambda p: None, "no such file"),
])
def test_what_is_not_a_usable_sound_file_is_said_in_one_plain_line(tmp_path, make, said):
    path = tmp_path / "take.wav"
    make(path)
    with pytest.raises(AudioError) as error:
        load_file(path)
    assert str(error.value).startswith(said) and "\n" not in str(error.value)


@pytest.mark.parametrize("rate_in", [8000, 22050, 44100, 48000, 11111])
def test_resampling_a_block_at_a_time_gives_the_whole_signals_result_exactly(rate_in):
    from voicecoach.hearing.recognizer.audio import Resampler, resample

    x = np.random.default_rng(rate_in).normal(0, 3000, rate_in * 2 + 7)
    resampler, parts, at = Resampler(rate_in, 16000), [], 0
    for size in np.random.default_rng(1).integers(1, 9000, 100):
        parts.append(resampler.feed(x[at:at + size]))
        at += size
    parts.append(resampler.finish())
    assert at >= len(x)
    assert np.array_equal(np.concatenate(parts), resample(x, rate_in, 16000))
    assert len(resample(x, rate_in, 16000)) == len(x) * 16000 // rate_in


def test_a_long_recording_is_read_in_blocks_of_bounded_memory(tmp_path):
    """An hour-long file once took gigabytes: reading it must cost what a block does, however long it is."""
    import tracemalloc

    from voicecoach.hearing.recognizer import stream_file

    path = tmp_path / "long.wav"
    rate, seconds = 48000, 40
    with soundfile.SoundFile(path, "w", rate, 2, subtype="PCM_16") as f:
        for _ in range(seconds):
            f.write(np.stack([tone(rate, 1.0)] * 2, axis=1))
    tracemalloc.start()
    try:
        heard = sum(len(block) for block in stream_file(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert heard == seconds * 16000
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MiB to read {seconds} s"  # all at once: over 100 MiB


SPEECH = Path(__file__).resolve().parent.parent.parent / "shared" / "speech" / "words"


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech is not here")
def test_hear_reading_a_file_in_blocks_hears_what_the_whole_file_gives(tmp_path):
    from voicecoach.hearing.recognizer import Recognizer, hear_stream, load_file, pad_stream, resample
    from voicecoach.hearing.recognizer.hearing import padded_file

    spoken, rate = soundfile.read(sorted((SPEECH / "seven").glob("*.wav"))[0])
    path = tmp_path / "seven-48k-stereo.wav"  # more than one block: read block by block
    soundfile.write(path, np.stack([resample(spoken, rate, 48000) / 2] * 2, axis=1), 48000)
    recognizer = Recognizer()
    whole = hear_stream(pad_stream(load_file(path)), "rating", recognizer)
    blocks = hear_stream(padded_file(path), "rating", recognizer)
    assert whole["text"]
    for field in ("cue", "text", "unsure", "speech_end_ms"):
        assert whole[field] == blocks[field]



def test_one_long_audio_in_file_is_read_as_it_plays(tmp_path):
    """--audio-in with one file streams it: ten minutes (19 MB at 16 kHz) must not be read whole first."""
    import hashlib
    import threading
    import tracemalloc

    from voicecoach.hearing import Recordings

    path = tmp_path / "long.wav"
    with soundfile.SoundFile(path, "w", 8000, 1, subtype="PCM_16") as f:
        for _ in range(600):
            f.write(tone(8000, 1.0))
    tracemalloc.start()
    try:
        source = Recordings([path])
        source.speed = 1e9  # as fast as it can be read
        played, size, stop = hashlib.sha256(), 0, threading.Event()
        for chunk in source.chunks(stop):
            played.update(chunk)
            size += len(chunk)
            if source.finished:
                break
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    whole = load_file(path).tobytes()
    assert size >= len(whole) == 600 * 16000 * 2
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MiB to play {len(whole) / 2**20:.0f} MiB"
    tail = size - len(whole)  # the silence after the last word, until it is known to be over
    assert played.digest() == hashlib.sha256(whole + bytes(tail)).digest()
