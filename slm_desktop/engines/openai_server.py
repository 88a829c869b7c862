"""HTTP client for an OpenAI-compatible server the user runs (llama-server, Ollama, vLLM, LM Studio, a Whisper server).

Built on httpx (pinned in pyproject.toml): a synchronous streaming API that fits the worker lanes' threads,
timeouts per phase (connect, read = the wait for the first token and between tokens), about 1 MB with
httpcore/h11/anyio, and well kept. The openai package would add pydantic and 10 MB for the same calls.

Every failure becomes one ServerError line naming the host; nothing here retries or falls back: that
policy lives outside the engines (slm_desktop/server_select.py).

Cancellation closes the stream at once: a watcher thread shuts the request's socket down when the
CancelToken is set, which wakes the blocked read and sends the server a FIN. Connections are not kept
alive, so every request's socket is known (httpcore reports it through the "trace" extension).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.errors import UserError

log = logging.getLogger(__name__)

CANCEL_POLL_S = 0.005
# what a sane server sends is small (a model list, a transcription, one streamed token per event); a broken
# or hostile one must not fill the memory: more than this is one line, and the connection is closed
MAX_REPLY_BYTES = 16 << 20
MAX_EVENT_CHARS = 1 << 20
MAX_ERROR_BYTES = 64 << 10  # an error reply is read this far for its message
LINE_BREAK = re.compile(r"\r\n|\r|\n")
LAN_SUFFIXES = (".local", ".lan", ".home.arpa", ".internal")


@dataclass(frozen=True)
class ServerConfig:
    url: str  # http(s)://host:port, with or without a trailing /v1
    api_key: str = ""
    model: str = ""  # "" = the server's first model (llama-server and llama_cpp.server serve one)
    connect_timeout_s: float = 2.0
    first_token_timeout_s: float = 3.0  # also the longest wait between two streamed chunks
    request_timeout_s: float = 30.0  # a whole non-streamed call (a transcription, a model list)
    fim: str = "auto"  # auto | on | off: llama-server's /infill when there is text after the cursor


class ServerError(UserError):
    """One line for the status bar; `kind` says what happened (down, timeout, auth, missing, failed, dropped, reply)."""

    def __init__(self, message: str, kind: str, status: int = 0):
        super().__init__(message)
        self.kind = kind
        self.status = status


def base_url(url: str) -> str:
    """The server's root: '/v1' and trailing slashes removed, so routes can be joined the same way for all."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url.removesuffix("/v1").rstrip("/")


def host_of(url: str) -> str:
    """host[:port] for status lines ("server: gpu-box:8080")."""
    return urlsplit(base_url(url)).netloc


def is_local_network(url: str) -> bool:
    """Loopback, private or link-local addresses, and LAN names (no dot, .local, .lan, .home.arpa, .internal).
    http:// to anything else crosses networks in clear text, so the settings ask before using it."""
    host = (urlsplit(base_url(url)).hostname or "").lower()
    if host in ("localhost", "") or "." not in host or host.endswith(LAN_SUFFIXES):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def needs_confirmation(url: str) -> bool:
    return base_url(url).startswith("http://") and not is_local_network(url)


class _SocketWatch:
    """Shuts the request's socket down as soon as the token is cancelled (see the module docstring)."""

    def __init__(self, cancel: CancelToken | None):
        self._cancel = cancel
        self._sock: socket.socket | None = None
        self._done = threading.Event()
        self.fired = False
        self._thread: threading.Thread | None = None

    def trace(self, name: str, info: dict[str, Any]) -> None:
        if name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                self._sock = sock
                if self.fired:
                    self._shutdown()

    def __enter__(self) -> _SocketWatch:
        if self._cancel is not None:
            self._thread = threading.Thread(target=self._watch, name="slm-server-cancel", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(CANCEL_POLL_S):
            if self._cancel.cancelled:
                self.fired = True
                self._shutdown()
                return

    def _shutdown(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the other side
                sock.shutdown(socket.SHUT_RDWR)


class ServerClient:
    """A few calls on one server; each returns parsed JSON or yields streamed events."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.base = base_url(config.url)
        self.host = host_of(config.url)
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._timeout = httpx.Timeout(
            config.request_timeout_s, connect=config.connect_timeout_s, read=config.first_token_timeout_s
        )
        self._http = httpx.Client(
            base_url=self.base,
            headers=headers,
            timeout=self._timeout,
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,  # a proxy from the environment must not see the user's text
            follow_redirects=False,
        )

    # ------------------------------------------------------------ calls

    def models(self) -> list[str]:
        data = self.get_json("/v1/models")
        return [str(m.get("id", "")) for m in data.get("data", []) if isinstance(m, dict)]

    def round_trip(self) -> tuple[list[str], float]:
        """The model list and the time it took (ms): the settings' Test button."""
        start = time.perf_counter()
        found = self.models()
        return found, (time.perf_counter() - start) * 1000

    def get_json(self, path: str) -> dict[str, Any]:
        with self._errors(path):
            request = self._http.build_request("GET", path, timeout=self._whole_call())
            return self._reply(self._http.send(request, stream=True), path)

    def post_json(
        self,
        path: str,
        payload: dict[str, Any],
        *,
        read_timeout_s: float | None = None,
        cancel: CancelToken | None = None,
        **kwargs,
    ) -> dict[str, Any]:
        """One request, one JSON reply. read_timeout_s: the longest wait for the reply (default: the whole-call
        limit); a cancel hangs up at once, as for streams."""
        watch = _SocketWatch(cancel)
        timeout = self._whole_call(read_timeout_s)
        with watch, self._errors(path, watch):
            request = self._http.build_request(
                "POST", path, json=payload or None, timeout=timeout, extensions={"trace": watch.trace}, **kwargs
            )
            return self._reply(self._http.send(request, stream=True), path)

    def stream(self, path: str, payload: dict[str, Any], cancel: CancelToken | None = None) -> Iterator[dict]:
        """POST with stream=true; yields each server-sent event's JSON until [DONE] or the end of the body.
        Leaving the loop early (a stop condition) closes the connection."""
        watch = _SocketWatch(cancel)
        with watch, self._errors(path, watch):
            request = self._http.build_request("POST", path, json=payload, extensions={"trace": watch.trace})
            response = self._http.send(request, stream=True)
            try:
                self._check(response, path)
                for line in self._lines(response, path):
                    if cancel is not None and cancel.cancelled:
                        raise Cancelled()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    yield self._event(data, path)
            finally:
                response.close()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------ errors

    def _whole_call(self, read_s: float | None = None) -> httpx.Timeout:
        c = self.config
        return httpx.Timeout(c.request_timeout_s if read_s is None else read_s, connect=c.connect_timeout_s)

    def _reply(self, response: httpx.Response, path: str) -> dict[str, Any]:
        try:
            self._check(response, path)
            return self._json(self._body(response, path), path)
        finally:
            response.close()

    def _body(self, response: httpx.Response, path: str, limit: int = MAX_REPLY_BYTES) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(path, limit)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise self._too_large(path, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def _lines(self, response: httpx.Response, path: str) -> Iterator[str]:
        """The body's lines, as httpx's iter_lines splits them, but never one longer than MAX_EVENT_CHARS."""
        pending = ""
        for text in response.iter_text():
            *lines, pending = LINE_BREAK.split(pending + text)
            yield from lines
            if len(pending) > MAX_EVENT_CHARS:
                raise self._too_large(path, MAX_EVENT_CHARS, "a streamed line")
        if pending:
            yield pending

    def _too_large(self, path: str, limit: int, what: str = "a reply") -> ServerError:
        return ServerError(f"server {self.host} sent {what} over {limit >> 20} MB from {path}; closed", "reply")

    def _check(self, response: httpx.Response, path: str) -> None:
        code = response.status_code
        if code < 400:
            return
        detail = _error_detail(_head(response, MAX_ERROR_BYTES))
        if code in (401, 403):
            raise ServerError(f"server {self.host} refused the API key ({code}{detail})", "auth", code)
        if code in (404, 405, 501):
            raise ServerError(f"server {self.host} has no {path} ({code}{detail})", "missing", code)
        raise ServerError(f"server {self.host} failed on {path} ({code}{detail})", "failed", code)

    def _json(self, body: bytes, path: str) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except ValueError:
            raise ServerError(f"server {self.host} sent no JSON from {path}", "reply") from None
        if not isinstance(data, dict):
            raise ServerError(f"server {self.host} sent an unexpected reply from {path}", "reply")
        return data

    def _event(self, data: str, path: str) -> dict:
        try:
            event = json.loads(data)
        except ValueError:
            raise ServerError(f"server {self.host} sent a broken stream from {path}", "reply") from None
        if isinstance(event, dict) and "error" in event:
            raise ServerError(f"server {self.host} failed on {path}: {_message(event['error'])}", "failed")
        return event if isinstance(event, dict) else {}

    @contextmanager
    def _errors(self, path: str, watch: _SocketWatch | None = None):
        """httpx's exceptions -> one ServerError line; a cancelled stream -> Cancelled."""
        try:
            yield
        except (Cancelled, ServerError):
            raise
        except httpx.HTTPError as exc:
            if watch is not None and watch.fired:
                raise Cancelled() from None
            raise self._translate(exc, path) from None
        except OSError as exc:
            if watch is not None and watch.fired:
                raise Cancelled() from None
            raise ServerError(f"server {self.host}: {exc.strerror or exc}", "down") from None

    def _translate(self, exc: httpx.HTTPError, path: str) -> ServerError:
        c = self.config
        if isinstance(exc, httpx.ConnectTimeout):
            return ServerError(f"server {self.host} did not answer within {c.connect_timeout_s:g} s", "timeout")
        if isinstance(exc, httpx.ConnectError):
            return ServerError(f"server {self.host} cannot be reached ({_reason(exc)})", "down")
        if isinstance(exc, httpx.ReadTimeout):
            return ServerError(
                f"server {self.host} sent nothing for {c.first_token_timeout_s:g} s on {path}", "timeout"
            )
        if isinstance(exc, httpx.TimeoutException):
            return ServerError(f"server {self.host} timed out on {path}", "timeout")
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
            return ServerError(f"server {self.host} dropped the connection on {path}", "dropped")
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return ServerError(f"server URL {c.url!r} is not an http:// or https:// address", "down")
        return ServerError(f"server {self.host}: {exc.__class__.__name__} on {path}", "failed")


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "resolution" in text:
        return "unknown host name"
    return str(exc).splitlines()[0][:80] if str(exc) else exc.__class__.__name__


def _message(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message", error))[:120]
    return str(error)[:120]


def _head(response: httpx.Response, limit: int) -> bytes:
    """The start of a body, for an error's message; the rest is never read (the connection is closed)."""
    if response.is_stream_consumed:
        return response.content[:limit]
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= limit:
            break
    return head[:limit]


def _error_detail(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if isinstance(data, dict) and "error" in data:
        return ": " + _message(data["error"])
    if isinstance(data, dict) and "detail" in data:
        return ": " + str(data["detail"])[:120]
    return ""
