"""`bench suggest`: bad input is one line, and a short run through the real model adds up."""

import json
import subprocess
import sys

import pytest

from tests.conftest import DEFAULT_GGUF

CLI = [sys.executable, "-m", "slm_desktop", "bench", "suggest"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"\x00\x01GGUF\x00binary", "binary file"),
        (b"  \n\n ", "empty"),
        (b"word" * 3000 + b"\n", "a single word"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    done = subprocess.run([*CLI, "--text", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in done.stderr


def test_a_short_run_through_the_real_model_is_consistent(tmp_path):
    text = tmp_path / "note.txt"
    text.write_text("Thank you for your email. I will send the report to you tomorrow morning.\n")
    done = subprocess.run(
        [*CLI, "--text", str(text), "--model", str(DEFAULT_GGUF), "--limit", "6", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["suggest"]
    assert report["word_positions"] == 6
    for mode in ("chips", "ghost", "both"):
        assert 0 <= report[f"savings_{mode}"] <= 1
        saved = report["characters"] - report[f"keys_{mode}"]
        assert report[f"savings_{mode}"] == pytest.approx(saved / report["characters"])
    assert report["keys_both"] <= min(report["keys_chips"], report["keys_ghost"])
    for key in ("top3_next_word", "ghost_first_word", "ghost_first_two_words", "raw_first_word"):
        assert 0 <= report[key] <= 1
    assert report["ghost_first_two_words"] <= report["ghost_first_word"]
    assert report["requests"] >= report["word_positions"]
    rows = {row["path"]: row for row in report["table"]}
    assert rows["raw create_completion (word starts)"]["n"] == 6
    # per-token app/raw compares like with like: the raw engine writes as many tokens as the app's ghost
    assert 0 < report["raw_tokens_at_word_starts"] <= report["app_tokens_at_word_starts"]
    assert rows["app first ghost words"]["p50_ms"] <= rows["app chips (job end)"]["p50_ms"]
