"""A broken server that never stops sending is one line, and the client hangs up instead of filling memory."""

from __future__ import annotations

import pytest
from server_support import FloodingServer

from slm_desktop.engines.openai_server import MAX_REPLY_BYTES, ServerClient, ServerConfig, ServerError


@pytest.fixture
def flood(request):
    server = FloodingServer(request.param)
    yield server
    server.close()


def _client(server: FloodingServer) -> ServerClient:
    return ServerClient(ServerConfig(server.url, connect_timeout_s=5.0, first_token_timeout_s=10.0))


@pytest.mark.parametrize("flood", ["endless", "declared"], indirect=True)
def test_a_reply_without_end_is_one_line_and_the_client_hangs_up(flood):
    client = _client(flood)
    try:
        with pytest.raises(ServerError, match=r"sent a reply over 16 MB from /v1/models; closed") as caught:
            client.models()
    finally:
        client.close()
    assert caught.value.kind == "reply" and "\n" not in str(caught.value)
    assert flood.hung_up.wait(10), "the client kept the connection open"
    assert flood.sent < 4 * MAX_REPLY_BYTES


@pytest.mark.parametrize("flood", ["stream"], indirect=True)
def test_a_streamed_line_without_end_is_one_line(flood):
    client = _client(flood)
    try:
        with pytest.raises(ServerError, match=r"sent a streamed line over 1 MB from /v1/completions; closed"):
            list(client.stream("/v1/completions", {"prompt": "x", "stream": True}))
    finally:
        client.close()
    assert flood.hung_up.wait(10), "the client kept the connection open"


@pytest.mark.parametrize("flood", ["error"], indirect=True)
def test_an_error_reply_without_end_is_read_only_for_its_message(flood):
    client = _client(flood)
    try:
        with pytest.raises(ServerError, match=r"failed on /v1/audio/transcriptions \(500\)") as caught:
            client.post_json("/v1/audio/transcriptions", {"model": "m"})
    finally:
        client.close()
    assert caught.value.kind == "failed"
    assert flood.hung_up.wait(10), "the client kept the connection open"
