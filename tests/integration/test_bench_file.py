"""`slm-desktop bench file`: faster-whisper alone beside the app's file path, on real recordings."""

import json
import subprocess
import sys

from speech_support import librivox_references


def test_bench_file_reports_both_paths_for_each_whisper_model_with_low_error(isolated_env):
    librivox_references()
    done = subprocess.run(
        [sys.executable, "-m", "slm_desktop", "bench", "file", "--repeat", "1", "--json"],
        env=isolated_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["file"]["table"]
    assert [r["model"] for r in rows] == ["whisper-tiny-en", "whisper-base"]
    for row in rows:
        assert 49 < row["audio s"] < 50 and row["raw p50 ms"] > 0 and row["app p50 ms"] > 0 and row["app/raw"] > 0
        assert row["app WER"] <= 0.1 and row["raw WER"] <= 0.1, row
