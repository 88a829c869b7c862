"""`slm-desktop transcribe / command / live` with Whisper (the real tiny.en and base models): audio files of
every common format, subtitles, JSON, one hour of audio in bounded memory, spoken commands, es -> en live."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from speech_support import LIBRIVOX, librivox_references, need_program, synthesize

from slm_desktop.audio.wav import read_pcm16k
from slm_desktop.bench.file import read_aloud
from slm_desktop.bench.wer import word_error_rate

CLIP = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0930.wav"  # "he might even have been made amiable himself"
REFERENCE = "he might even have been made amiable himself"
RSS_PROBE = (
    "import resource, runpy, sys; sys.argv = ['slm-desktop', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('slm_desktop', run_name='__main__')\n"
    "finally:\n    print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def cli(env, *args, timeout=600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "slm_desktop", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def clip() -> Path:
    librivox_references()
    return CLIP


def _encode_with_pyav(source: Path, target: Path, codec: str) -> Path:
    """MP3 / M4A without an ffmpeg binary: PyAV (which faster-whisper brings) encodes them."""
    import av

    with wave.open(str(source)) as wav:
        rate, pcm = wav.getframerate(), np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    with av.open(str(target), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return target


@pytest.mark.parametrize("kind", ["ogg", "flac", "mp3", "m4a"])
def test_transcribe_reads_ogg_flac_mp3_and_m4a(isolated_env, clip, tmp_path, kind):
    target = tmp_path / f"clip.{kind}"
    if kind in ("ogg", "flac"):
        need_program("sox", "sox")
        subprocess.run(["sox", str(clip), str(target)], check=True)
    else:
        _encode_with_pyav(clip, target, {"mp3": "libmp3lame", "m4a": "aac"}[kind])
    done = cli(isolated_env, "transcribe", str(target), "--engine", "whisper", "--model", "whisper-tiny-en", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert word_error_rate(REFERENCE, report["text"]) <= 0.15, report["text"]
    assert report["language"] == "en" and report["engine"] == "whisper" and report["rtf"] > 0
    assert all({"word", "start", "end", "conf"} <= set(w) for w in report["words"]) and report["words"]


def test_srt_and_vtt_have_timed_cues(isolated_env, clip):
    srt = cli(isolated_env, "transcribe", str(clip), "--model", "whisper-tiny-en", "--srt")
    vtt = cli(isolated_env, "transcribe", str(clip), "--model", "whisper-tiny-en", "--vtt")
    assert srt.returncode == 0 and vtt.returncode == 0, srt.stderr + vtt.stderr
    assert re.match(r"1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\n\S", srt.stdout), srt.stdout
    assert vtt.stdout.startswith("WEBVTT\n\n00:00:0") and " --> " in vtt.stdout
    assert "amiable" in srt.stdout.lower() and "amiable" in vtt.stdout.lower()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"ID3\x03\x00garbage" * 20, "not a readable audio file")],
)
def test_a_bad_audio_file_is_one_line_exit_2_and_no_traceback(isolated_env, tmp_path, content, message):
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(content)
    done = cli(isolated_env, "transcribe", str(bad), "--engine", "whisper")
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_recording_without_speech_says_so_on_stderr_and_prints_no_made_up_text(isolated_env, tmp_path):
    """Ten seconds of room hiss: Whisper alone likes to hear "Thank you." in it; the VAD keeps it out, and the
    user is told why the transcript is empty instead of getting a bare blank line."""
    hiss = tmp_path / "hiss.wav"
    rng = np.random.default_rng(7)
    with wave.open(str(hiss), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes((rng.standard_normal(16000 * 10) * 60).astype("<i2").tobytes())
    done = cli(isolated_env, "transcribe", str(hiss), "--model", "whisper-tiny-en")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout
    assert done.stderr.strip().splitlines()[-1] == f"slm-desktop: no speech heard in {hiss}", done.stderr


def test_a_passage_read_four_times_is_transcribed_four_times(isolated_env, tmp_path):
    """A recording that really repeats itself (a refrain, a passage read again) makes faster-whisper report a
    high compression ratio for the whole 30 s window; every segment of such a window used to be dropped as a
    loop, and 61 s of three clips read four times came out as 2.3 readings."""
    librivox_references()
    clips = [LIBRIVOX / f"sense_and_sensibility_01_austen_64kb-{n}.wav" for n in ("0870", "0880", "0890")]
    four = read_aloud(clips, tmp_path / "four.wav", times=4)
    done = cli(isolated_env, "transcribe", str(four), "--model", "whisper-tiny-en")
    assert done.returncode == 0, done.stderr
    text = done.stdout.lower()
    assert text.count("dashwood") == 4 and text.count("young man") == 4, text
    assert text.count("selfish") == 4, text


def test_a_passage_read_again_is_not_skipped_under_the_previous_windows_words(isolated_env, tmp_path):
    """Each 28 s window is decoded with the previous window's words as its prompt; when the new window says
    those same words again, base skipped them (25 s of speech came out as its last sentence). Such a decode
    is made again without the prompt."""
    refs = librivox_references()
    twice = read_aloud(sorted(refs), tmp_path / "twice.wav", times=2)
    done = cli(isolated_env, "transcribe", str(twice), "--model", "whisper-base")
    assert done.returncode == 0, done.stderr
    text = done.stdout.lower()
    assert text.count("dashwood") == 2 and text.count("respectable") == 2, text


def test_plain_text_output_starts_a_paragraph_where_the_speaker_paused_after_a_sentence(isolated_env, tmp_path):
    first = read_pcm16k(synthesize("The committee meets again on Thursday.", tmp_path / "a.wav"))
    second = read_pcm16k(synthesize("Please water the plants while I am away.", tmp_path / "b.wav"))
    pause = bytes(16000 * 2 * 4)  # four seconds of silence between the two
    both = tmp_path / "memo.wav"
    with wave.open(str(both), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes(first + pause + second)
    done = cli(isolated_env, "transcribe", str(both), "--model", "whisper-tiny-en")
    assert done.returncode == 0, done.stderr
    paragraphs = done.stdout.strip().split("\n\n")
    assert len(paragraphs) == 2, done.stdout
    assert "thursday" in paragraphs[0].lower() and "away" in paragraphs[1].lower(), paragraphs


def _long_wav(path: Path, clip: Path, seconds: int) -> Path:
    """`seconds` of audio written in 1-minute blocks (the test never holds it): the clip at the start and
    near the end, low room hiss elsewhere."""
    with wave.open(str(clip)) as source:
        speech = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    rng = np.random.default_rng(3)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        for minute in range(seconds // 60):
            block = (rng.standard_normal(16000 * 60) * 20).astype("<i2")
            if minute in (0, seconds // 60 - 1):
                block[16000 : 16000 + speech.size] = speech
            out.writeframes(block.tobytes())
    return path


def _max_rss_mb(env, wav: Path) -> tuple[float, dict]:
    args = ["transcribe", str(wav), "--model", "whisper-tiny-en", "--json"]
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, *args], env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr
    kb = int(re.search(r"maxrss_kb (\d+)", done.stderr).group(1))
    return kb / 1024, json.loads(done.stdout)


def test_one_hour_of_audio_is_transcribed_in_bounded_memory(isolated_env, clip, tmp_path):
    """The hour is streamed in windows: peak RSS stays within 80 MB of a 1-minute file's (the hour
    itself is 115 MB as int16, 230 MB as float32)."""
    hour = _long_wav(tmp_path / "hour.wav", clip, 3600)
    minute = _long_wav(tmp_path / "minute.wav", clip, 60)
    small_mb, _ = _max_rss_mb(isolated_env, minute)
    big_mb, report = _max_rss_mb(isolated_env, hour)
    assert big_mb - small_mb < 80, (small_mb, big_mb)
    assert 3599 < report["audio_seconds"] < 3601
    assert report["text"].lower().count("amiable") == 2, report["text"]  # the clip at 0:01 and at 59:01
    late = [w for w in report["words"] if w["word"].lower().startswith("amiable")][-1]
    assert 3540 < late["start"] < 3550


def test_progress_bar_on_stderr_for_long_files(isolated_env, clip, tmp_path):
    wav = _long_wav(tmp_path / "long.wav", clip, 180)
    done = cli(isolated_env, "transcribe", str(wav), "--model", "whisper-tiny-en")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("transcribing [")]
    assert lines and lines[-1].endswith("100% 0:03:00 / 0:03:00"), done.stderr
    assert "amiable" in done.stdout.lower()


def test_a_spoken_command_in_free_phrasing_goes_whisper_then_the_intent_model(isolated_env, tmp_path):
    wav = synthesize("could you make the writing a bit larger please", tmp_path / "command.wav")
    done = cli(isolated_env, "command", str(wav), "--engine", "whisper", "--model", "whisper-tiny-en", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["intent"] == "zoom_in", report["transcript"]["text"]
    assert report["transcript"]["engine"] == "whisper"


def test_a_spoken_command_is_classified_over_the_beams_five_readings(isolated_env, tmp_path):
    """`command` decodes as push-to-talk does: Whisper base's beam keeps five readings, each with its average
    log-probability, and the intent is weighed over them (commands/intents.parse_heard; the weighing itself
    is tested with chosen readings in tests/unit/test_intents.py and tests/gui/test_commands.py). Which
    example a close second reading rescues depends on the CPU's kernels: "Save it under a different name
    now" was rescued on the development machine and not on one without AVX2, so none is asserted here."""
    wav = synthesize("Save it under a different name now", tmp_path / "command.wav", speed=150)
    done = cli(isolated_env, "command", str(wav), "--engine", "whisper", "--model", "whisper-base", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    readings = report["transcript"]["hypotheses"]
    assert len(readings) == 5
    assert readings[0][0].strip() == report["transcript"]["text"].strip()  # the best reading is the text
    assert [score for _, score in readings] == sorted((score for _, score in readings), reverse=True)
    assert report["heard_as"] in [text for text, _ in readings]
    assert report["intent"] in {name for name, _ in report["alternatives"]}


def test_a_grammar_given_to_whisper_is_reported_as_a_prompt_not_a_restriction(isolated_env, tmp_path):
    wav = synthesize("please undo that", tmp_path / "command.wav")
    args = ["transcribe", str(wav), "--model", "whisper-tiny-en", "--grammar", "undo", "redo", "--json"]
    done = cli(isolated_env, *args)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["grammar"] == "prompt (biases Whisper, does not restrict it)"
    assert "undo" in report["text"].lower()


def test_live_translates_spanish_speech_into_english_through_apertium(isolated_env, tmp_path):
    if shutil.which("apertium") is None:
        pytest.skip("apertium not installed (Debian package apertium-eng-spa; scripts/setup.sh installs it)")
    speech = synthesize("Hoy hace mucho calor en la ciudad.", tmp_path / "speech.wav", voice="es")
    padded = tmp_path / "es.wav"  # a microphone hears the room before the first word
    subprocess.run(["sox", str(speech), str(padded), "pad", "0.6", "0.8"], check=True)
    done = cli(isolated_env, "live", "--from", "auto", "--to", "en", "--file", str(padded), "--fast", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    phrases = [e for e in events if e["type"] == "phrase"]
    translations = [e["text"].lower() for e in events if e["type"] == "translation"]
    assert phrases and all(p["language"] == "es" for p in phrases), events
    assert any("today" in t and "heat" in t for t in translations), events  # "Hoy hace mucho calor"
