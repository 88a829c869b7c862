"""`slm-desktop complete` in a subprocess, with the real default model."""

import json
import subprocess
import sys


def _cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "slm_desktop", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_complete_json(isolated_env):
    result = _cli(isolated_env, "complete", "Thank you for your", "--json", "--max-tokens", "6")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"text", "tokens", "ms", "model"}
    assert data["text"].strip() and data["model"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert 0 < data["tokens"] <= 6 + 4 and data["ms"] > 0


def test_complete_words(isolated_env):
    result = _cli(isolated_env, "complete", "The meeting has been moved to next", "--words")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 3


def test_corrupt_model_is_one_line_and_exit_2(isolated_env, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 64)
    result = _cli(isolated_env, "complete", "Hello", "--model", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "broken.gguf" in result.stderr and "Traceback" not in result.stderr


def test_self_test_includes_completion(isolated_env):
    result = _cli(isolated_env, "self-test", "--json")
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["completion"]["status"] == "ok", checks["completion"]


def test_bench_complete_reports_all_three_paths(isolated_env):
    result = _cli(isolated_env, "bench", "complete", "--repeat", "2", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["complete"]
    assert [row["path"] for row in report["table"]] == [
        "raw create_completion",
        "app worker+engine",
        "gui first words",
        "gui whole ghost",
    ]
    assert all(row["n"] == 2 for row in report["table"])
    assert report["gui_missed"] == 0 and report["peak_rss_mb"] > 0
    assert report["app_raw_ratio_per_token"] > 0
