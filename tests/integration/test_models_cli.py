"""`slm-desktop models ...` in a subprocess: --json output, one-line errors with exit 2, progress bar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import catalog_toml, gguf_entry, tiny_gguf_bytes


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "slm_desktop", "models", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def env(isolated_env, tmp_path):
    isolated_env["SLM_DESKTOP_MODELS"] = str(tmp_path / "models")
    return isolated_env


def test_install_list_verify_remove_with_json(server, env, tmp_path):
    data = tiny_gguf_bytes(tmp_path)
    config = Path(env["SLM_DESKTOP_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "catalog.toml").write_text(catalog_toml([gguf_entry("tiny", data, [server.add("t.gguf", data)])]))

    installed = _cli(env, "install", "tiny", "--json")
    assert installed.returncode == 0, installed.stderr
    assert json.loads(installed.stdout)["installed"]["name"] == "tiny.gguf"

    listing = json.loads(_cli(env, "list", "--catalog", "--json").stdout)
    names = [m["name"] for m in listing["installed"]]
    assert "tiny.gguf" in names and "SmolLM2-135M-Instruct.Q4_1.gguf" in names
    assert {"tiny", "smollm2-135m-instruct-q4_1"} <= {e["id"] for e in listing["catalog"]}

    verified = json.loads(_cli(env, "verify", "tiny", "--json").stdout)
    assert verified["ok"] and verified["results"][0]["detail"].startswith("sha256 ok")

    assert _cli(env, "default", "completion", "tiny.gguf", "--json").returncode == 0
    assert json.loads(_cli(env, "default", "--json").stdout)["defaults"] == {"completion": "tiny.gguf"}

    removed = _cli(env, "remove", "tiny", "--json")
    assert removed.returncode == 0 and json.loads(removed.stdout)["removed"]["name"] == "tiny.gguf"


def test_progress_bar_on_a_plain_install(server, env, tmp_path):
    data = tiny_gguf_bytes(tmp_path, elements=1 << 20)
    config = Path(env["SLM_DESKTOP_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "catalog.toml").write_text(catalog_toml([gguf_entry("tiny", data, [server.add("t.gguf", data)])]))
    result = _cli(env, "install", "tiny")
    assert result.returncode == 0, result.stderr
    assert "100.0%" in result.stderr and "MB/s" in result.stderr and "ETA" in result.stderr
    assert result.stdout.startswith("installed tiny.gguf")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("install", "no-such-model"), "no catalog entry 'no-such-model'"),
        (("install", "vosk-small-de"), "--trust-unverified"),
        (("remove", "nothing"), "'nothing' is not installed"),
        (("import", "/nonexistent/x.gguf"), "does not exist"),
        (("import", "/dev/null"), "is not a regular file or folder"),
    ],
)
def test_expected_failures_are_one_line_and_exit_2(env, args, message):
    result = _cli(env, *args)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_importing_a_pipe_is_refused_instead_of_waiting_for_a_writer(env, tmp_path):
    pipe = tmp_path / "model.gguf"
    os.mkfifo(pipe)
    result = _cli(env, "import", str(pipe))
    assert result.returncode == 2 and "is not a regular file or folder" in result.stderr


def test_importing_a_fake_gguf_fails_cleanly(env, tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"\x89PNG fake image data" * 10)
    result = _cli(env, "import", str(fake), "--json")
    assert result.returncode == 2 and "not a GGUF model" in result.stderr
    assert not (tmp_path / "models" / "model.gguf").exists()


def test_recommend_json_without_measuring(env):
    result = _cli(env, "recommend", "--no-measure", "--languages", "en,es", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["hardware"]["cores"] >= 1 and data["speed"] is None
    recommended = {m["catalog_id"] for m in data["models"] if m["verdict"] == "recommended"}
    assert {"vosk-small-en-us", "vosk-small-es", "argos-en-es", "argos-es-en"} <= recommended
