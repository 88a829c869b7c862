"""The server engines against a real llama-cpp-python server (python -m llama_cpp.server) on 127.0.0.1."""

from __future__ import annotations

import threading

import pytest
from server_support import API_KEY, RecordingProxy, StallingServer, free_port

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines.openai_server import ServerClient, ServerConfig, ServerError
from slm_desktop.engines.server_completion import ServerCompletionEngine


def _config(url: str, **kw) -> ServerConfig:
    """A generous first-token timeout against the real server: the test machine is shared and busy; the
    timeout itself is tested against a server that stalls."""
    kw.setdefault("first_token_timeout_s", 30.0)
    return ServerConfig(url, api_key=kw.pop("api_key", API_KEY), **kw)


@pytest.fixture
def proxy(llama_server):
    found = RecordingProxy(llama_server.port)
    yield found
    found.close()


def test_streamed_completion_continues_the_text(llama_server):
    engine = ServerCompletionEngine(_config(llama_server.url))
    pieces: list[str] = []
    try:
        result = engine.complete("The meeting has been moved to next", max_tokens=8, on_token=pieces.append)
    finally:
        engine.close()
    assert result.text.strip(), "the server gave no continuation"
    assert "".join(pieces) == result.text
    assert len(pieces) >= 2, "the text did not stream in pieces"
    assert "\n" not in result.text
    assert result.model.startswith("server:127.0.0.1:")


def test_text_after_the_cursor_falls_back_from_infill_on_a_server_without_it(llama_server, proxy):
    engine = ServerCompletionEngine(_config(proxy.url))
    try:
        result = engine.complete("Thank you for your", after=" We will reply soon.", max_tokens=6)
    finally:
        engine.close()
    assert result.text.strip()
    sent = b"".join(bytes(c.to_server) for c in proxy.connections)
    assert b"POST /infill" in sent and b"POST /v1/completions" in sent
    assert engine._infill_unknown is False and engine._infill is False


def test_word_chips_come_from_the_servers_top_log_probabilities(llama_server):
    engine = ServerCompletionEngine(_config(llama_server.url))
    try:
        words = engine.next_words("The meeting has been moved to next")
    finally:
        engine.close()
    assert engine.logprobs_offered is True
    assert 1 <= len(words) <= 3
    assert all(w.word and " " not in w.word and 0 < w.probability <= 1 for w in words)


def test_cancelling_mid_stream_closes_the_connection_the_server_sees_it(llama_server, proxy):
    engine = ServerCompletionEngine(_config(proxy.url))
    token = CancelToken()
    pieces: list[str] = []

    def first_piece_cancels(piece: str) -> None:
        pieces.append(piece)
        threading.Thread(target=token.cancel).start()  # from another thread, as the worker does

    try:
        with pytest.raises(Cancelled):
            engine.complete(
                "Once upon a time, in a land far away, there lived",
                max_tokens=60,
                stop=(),
                cancel=token,
                on_token=first_piece_cancels,
            )
    finally:
        engine.close()
    streamed = proxy.connections[-1]
    assert streamed.client_closed.wait(5), "the app never closed the stream"
    assert streamed.client_closed_first, "the server had finished before the app closed the stream"
    assert b"[DONE]" not in streamed.to_client
    assert len(pieces) >= 1


def test_cancel_while_waiting_for_the_first_token_hangs_up_at_once():
    stalling = StallingServer()
    engine = ServerCompletionEngine(_config(stalling.url, first_token_timeout_s=30.0))
    token = CancelToken()
    done = threading.Event()
    outcome: list[BaseException] = []

    def run():
        try:
            engine.complete("The meeting has been moved to next", cancel=token)
        except BaseException as exc:
            outcome.append(exc)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    try:
        for _ in range(500):
            if stalling.requests:
                break
            done.wait(0.01)
        assert stalling.requests == 1
        token.cancel()
        assert done.wait(10), "cancel did not end the blocked read (the read timeout is 30 s)"
        assert isinstance(outcome[0], Cancelled)
        assert stalling.hung_up.wait(10), "the server never saw the connection close"
    finally:
        engine.close()
        stalling.close()


def test_a_server_slower_than_the_first_token_timeout_is_one_error_line():
    stalling = StallingServer()
    engine = ServerCompletionEngine(_config(stalling.url, first_token_timeout_s=0.3))
    try:
        with pytest.raises(ServerError) as caught:
            engine.complete("The meeting has been moved to next")
    finally:
        engine.close()
        stalling.close()
    assert caught.value.kind == "timeout"
    assert "sent nothing for 0.3 s" in str(caught.value) and "\n" not in str(caught.value)


def test_wrong_url_is_one_line_naming_the_host():
    port = free_port()  # nothing listens there
    with pytest.raises(ServerError) as caught:
        ServerCompletionEngine(_config(f"http://127.0.0.1:{port}"))
    assert caught.value.kind == "down"
    assert str(caught.value) == f"server 127.0.0.1:{port} cannot be reached (connection refused)"


def test_wrong_key_is_refused_by_the_auth_checking_server(llama_server):
    with pytest.raises(ServerError) as caught:
        ServerCompletionEngine(_config(llama_server.url, api_key="not-the-key"))
    assert caught.value.kind == "auth" and caught.value.status == 401
    assert "refused the API key (401" in str(caught.value)


def test_a_missing_route_is_404(llama_server):
    client = ServerClient(_config(llama_server.url))
    try:
        with pytest.raises(ServerError) as caught:
            client.get_json("/v1/no-such-route")
    finally:
        client.close()
    assert caught.value.kind == "missing" and caught.value.status == 404


def test_models_and_round_trip(llama_server):
    client = ServerClient(_config(llama_server.url + "/v1/"))
    try:
        models, ms = client.round_trip()
    finally:
        client.close()
    assert any(m.endswith("SmolLM2-135M-Instruct.Q4_1.gguf") for m in models)
    assert ms > 0


def test_word_chips_from_a_stalling_server_are_held_to_the_first_token_timeout():
    stalling = StallingServer()
    engine = ServerCompletionEngine(_config(stalling.url, first_token_timeout_s=0.3, request_timeout_s=60.0))
    try:
        with pytest.raises(ServerError) as caught:
            engine.next_words("The meeting has been moved to next")
    finally:
        engine.close()
        stalling.close()
    assert caught.value.kind == "timeout"
