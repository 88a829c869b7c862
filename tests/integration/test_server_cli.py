"""`complete/translate/transcribe --server URL` and `doctor` against real servers on 127.0.0.1."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import wave

import pytest
import tomli_w
from server_support import API_KEY, TranscriptionServer, free_port
from speech_support import librivox_references


def _cli(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "slm_desktop", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def env(isolated_env):
    return {**isolated_env, "SLM_TEST_KEY": API_KEY}


def test_complete_on_the_server(env, llama_server):
    done = _cli(
        env,
        "complete",
        "--server",
        llama_server.url,
        "--api-key-env",
        "SLM_TEST_KEY",
        "--first-token-timeout",
        "30",
        "--json",
        "The meeting has been moved to next",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["text"].strip() and data["model"].startswith(f"server:127.0.0.1:{llama_server.port}")


def test_complete_words_on_the_server(env, llama_server):
    args = ["--server", llama_server.url, "--api-key-env", "SLM_TEST_KEY", "--first-token-timeout", "30"]
    done = _cli(env, "complete", *args, "--words", "The meeting has been moved to next")
    assert done.returncode == 0, done.stderr
    assert 1 <= len(done.stdout.split()) <= 3


def test_complete_with_a_wrong_key_or_url_is_one_line_and_exit_2(env, llama_server):
    wrong_key = _cli(
        {**env, "SLM_TEST_KEY": "nope"},
        "complete",
        "--server",
        llama_server.url,
        "--api-key-env",
        "SLM_TEST_KEY",
        "Hello",
    )
    assert wrong_key.returncode == 2
    assert wrong_key.stderr.startswith(f"slm-desktop: server 127.0.0.1:{llama_server.port} refused the API key (401")
    assert wrong_key.stderr.count("\n") == 1 and "Traceback" not in wrong_key.stderr
    port = free_port()
    down = _cli(env, "complete", "--server", f"http://127.0.0.1:{port}", "Hello")
    assert down.returncode == 2
    assert down.stderr == f"slm-desktop: server 127.0.0.1:{port} cannot be reached (connection refused)\n"
    unset = _cli(env, "complete", "--server", llama_server.url, "--api-key-env", "NOT_SET_ANYWHERE", "Hello")
    assert unset.returncode == 2 and "NOT_SET_ANYWHERE is not set" in unset.stderr


def test_translate_on_the_servers_chat_model(env, llama_server):
    """The 135M model is no translator: this checks the route (the chat prompt reaches the server and its
    answer comes back as the translation), not the quality."""
    args = ["--server", llama_server.url, "--api-key-env", "SLM_TEST_KEY", "--first-token-timeout", "30"]
    done = _cli(env, "translate", *args, "--from", "en", "--to", "es", "--json", "Hello world. Good morning.")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["engine"] == "server" and data["sentences"] == 2
    assert data["model"] == f"127.0.0.1:{llama_server.port}"
    assert data["text"].strip()


def _sphinx_server():
    from slm_desktop.engines.sphinx_engine import SphinxConfig, SphinxEngine

    engine = SphinxEngine(SphinxConfig())

    def transcribe(wav: bytes) -> str:
        with wave.open(io.BytesIO(wav)) as clip:
            assert (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) == (16000, 1, 2)
            pcm = clip.readframes(clip.getnframes())
        utterance = engine.start()
        utterance.accept(pcm)
        return utterance.finish().text

    return engine, TranscriptionServer(transcribe, api_key=API_KEY)


def test_transcribe_on_a_whisper_style_server(env, tmp_path):
    wav = next(w for w in librivox_references() if w.name.endswith("0880.wav"))
    engine, server = _sphinx_server()
    try:
        args = ["--server", server.url, "--api-key-env", "SLM_TEST_KEY", "--first-token-timeout", "30"]  # busy machine
        remote = _cli(env, "transcribe", str(wav), *args, "--json")
        local = _cli(env, "transcribe", str(wav), "--engine", "pocketsphinx", "--json")
    finally:
        server.close()
        engine.close()
    assert remote.returncode == 0, remote.stderr
    got = json.loads(remote.stdout)
    assert got["text"] == json.loads(local.stdout)["text"] and got["text"]
    assert got["engine"] == f"server:{server.url[7:]}" and got["model"] == "whisper-1"
    assert server.uploads[0]["model"] == "whisper-1"


def test_doctor_shows_the_configured_server_and_whether_it_answers(env, llama_server, tmp_path):
    settings = tmp_path / "config" / "settings.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    server = {"enabled": True, "url": llama_server.url, "api_key": API_KEY}
    settings.write_text(tomli_w.dumps({"server": server}))
    on = json.loads(_cli(env, "doctor", "--json").stdout)["server"]
    assert on["answers"] is True and on["detail"].startswith("answers in")
    assert any(m.endswith("SmolLM2-135M-Instruct.Q4_1.gguf") for m in on["models"])
    text = _cli(env, "doctor").stdout
    assert f"server: {llama_server.url} (completion, translation): answers in" in text
    settings.write_text(tomli_w.dumps({"server": {**server, "api_key": "wrong"}}))
    refused = json.loads(_cli(env, "doctor", "--json").stdout)["server"]
    assert refused["answers"] is False and "refused the API key (401" in refused["detail"]
    settings.write_text(tomli_w.dumps({"server": {**server, "enabled": False}}))
    off = json.loads(_cli(env, "doctor", "--json").stdout)["server"]
    assert off["answers"] is None and off["detail"] == "off: not contacted"


def test_bench_complete_against_the_server_smoke(env, llama_server):
    args = ["--server", llama_server.url, "--api-key-env", "SLM_TEST_KEY", "--first-token-timeout", "30"]
    done = _cli(env, "bench", "complete", *args, "--repeat", "2", "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["complete"]
    assert report["app_fell_back"] == 0 and report["gui_missed"] == 0
    assert report["app_raw_ratio_per_token"] > 0
    assert [row["path"] for row in report["table"]] == [
        "raw httpx stream",
        "app worker+engine",
        "gui first words",
        "gui whole ghost",
    ]
