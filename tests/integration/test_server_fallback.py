"""The server killed mid-stream: the ghost it had begun is kept and the real local model finishes it."""

from __future__ import annotations

import pytest
from server_support import LlamaServer

from slm_desktop.config import ServerSettings
from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig
from slm_desktop.server_select import FallbackCompletionEngine, ServerSwitch
from tests.conftest import DEFAULT_GGUF


@pytest.fixture
def doomed_server(tmp_path):
    """A server of its own: this test kills it."""
    server = LlamaServer(DEFAULT_GGUF, api_key="", log_path=tmp_path / "server.log")
    yield server
    server.stop()


def test_the_server_killed_mid_stream_falls_back_to_the_local_model_without_losing_text(doomed_server):
    messages: list[str] = []
    switch = ServerSwitch(notify=messages.append)
    switch.set(ServerSettings(enabled=True, url=doomed_server.url, first_token_timeout_s=30.0))
    engine = FallbackCompletionEngine(lambda: LlamaCompletionEngine(LlamaConfig(DEFAULT_GGUF, n_threads=1)), switch)
    shown: list[str] = []

    def kill_after_the_first_piece(piece: str) -> None:
        shown.append(piece)
        if doomed_server.process.poll() is None:
            doomed_server.kill()

    try:
        before = "Once upon a time, in a small village by the sea, there lived"
        result = engine.complete(before, max_tokens=12, stop=(), on_token=kill_after_the_first_piece)
        assert doomed_server.process.returncode is not None
        assert result.model == DEFAULT_GGUF.name, "the local model did not take over"
        assert result.text == "".join(shown), "what was shown is not what the suggestion holds"
        assert len(shown) >= 2 and result.text.startswith(shown[0])
        assert len(messages) == 1
        assert messages[0].startswith(f"server 127.0.0.1:{doomed_server.port} dropped the connection")
        assert "completion uses the local engine, server retried in 5 s" in messages[0]
        again = engine.complete("Thank you for your", max_tokens=4)  # inside the backoff: straight to local
        assert again.model == DEFAULT_GGUF.name and len(messages) == 1
    finally:
        engine.close()
