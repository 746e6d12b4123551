"""Sound files as --audio-in, hear, mic and enroll read them: any common encoding, and one plain line
for anything else (recognizer.audio.read_wav)."""

import os
import struct

import numpy as np
import pytest
import soundfile

from voicecoach.recognizer import AudioError, load_file


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
