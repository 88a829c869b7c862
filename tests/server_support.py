"""Servers for the server tests, all on 127.0.0.1: llama-cpp-python's own OpenAI-compatible server
(`python -m llama_cpp.server`, its `server` extra) on the default SmolLM2 GGUF, a proxy in front of it that
records who closed each connection, a server that stalls, and a small Whisper-style transcription server.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

API_KEY = "test-key-7c1e"
READY_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    """One llama_cpp.server process; ready once /v1/models answers (polled; the wait between polls is a wait
    on the process itself, which also notices a server that died)."""

    def __init__(self, model: Path, *, api_key: str = API_KEY, log_path: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = api_key
        command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_threads",
            "1",
            "--n_ctx",
            "1024",
        ]
        if api_key:
            command += ["--api_key", api_key]
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()
        self._warm_up()

    def _wait_ready(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/v1/models", headers=headers, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            try:
                code = self.process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"llama_cpp.server exited with {code} before answering")
        self.stop()
        raise RuntimeError("llama_cpp.server did not answer /v1/models in time")

    def _warm_up(self) -> None:
        """The first completion pays for llama.cpp's first evaluation (seconds on a busy machine): not a test's."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        payload = {"prompt": "Warm up the model", "max_tokens": 4, "temperature": 0, "stream": True}
        url = f"{self.url}/v1/completions"
        with httpx.stream("POST", url, json=payload, headers=headers, timeout=READY_TIMEOUT_S) as response:
            response.read()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not subprocess.DEVNULL:
            self._log.close()


# ---------------------------------------------------------------- a recording proxy


@dataclass
class ProxiedConnection:
    to_server: bytearray = field(default_factory=bytearray)
    to_client: bytearray = field(default_factory=bytearray)
    client_closed: threading.Event = field(default_factory=threading.Event)
    server_finished: threading.Event = field(default_factory=threading.Event)
    client_closed_first: bool = False  # the client hung up while the server was still sending


class RecordingProxy:
    """TCP proxy: each connection is piped both ways and recorded, so a test can see that the app closed
    a stream itself (the server is told: its socket gets EOF) before the server was done."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.connections: list[ProxiedConnection] = []
        self.refuse = False  # True: connections are accepted and closed at once (a server that is "down")
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            record = ProxiedConnection()
            self.connections.append(record)
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pipe_up, args=(client, upstream, record), daemon=True).start()
            threading.Thread(target=self._pipe_down, args=(upstream, client, record), daemon=True).start()

    def _pipe_up(self, client: socket.socket, upstream: socket.socket, record: ProxiedConnection) -> None:
        try:
            while data := client.recv(65536):
                record.to_server += data
                upstream.sendall(data)
        except OSError:
            pass
        record.client_closed_first = not record.server_finished.is_set()
        record.client_closed.set()
        _close(upstream)

    def _pipe_down(self, upstream: socket.socket, client: socket.socket, record: ProxiedConnection) -> None:
        try:
            while data := upstream.recv(65536):
                record.to_client += data
                client.sendall(data)
        except OSError:
            pass
        if not record.client_closed.is_set():
            record.server_finished.set()
        _close(client)

    def close(self) -> None:
        self._stopping = True
        self._listener.close()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


# ---------------------------------------------------------------- small HTTP servers


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send_json(self, data: dict, status: int = 200) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


class _Loopback:
    """A ThreadingHTTPServer on a free 127.0.0.1 port, serving in a daemon thread."""

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class StallingServer(_Loopback):
    """Answers /v1/models at once and then sends nothing for any POST until released: a server slower than
    every timeout. `requests` counts POSTs received; `hung_up` is set when a client closed a stalled request."""

    def __init__(self):
        outer = self
        self.release = threading.Event()
        self.requests = 0
        self.hung_up = threading.Event()

        class Handler(_Quiet):
            def do_GET(self):
                self._send_json({"object": "list", "data": [{"id": "stalled-model", "object": "model"}]})

            def do_POST(self):
                self._body()
                outer.requests += 1
                self.connection.settimeout(0.02)
                while not outer.release.is_set():
                    try:
                        if self.connection.recv(1) == b"":  # the client closed its side
                            outer.hung_up.set()
                            return
                    except TimeoutError:
                        continue
                    except OSError:
                        outer.hung_up.set()
                        return

        self._serve(Handler)

    def close(self) -> None:
        self.release.set()
        super().close()


class FloodingServer(_Loopback):
    """A broken server that never stops sending: a JSON reply without end (with or without a Content-Length
    that says so), an event stream whose one line never ends, or a 500 whose error body never ends.
    `sent` counts the bytes it got out; `hung_up` is set once the client closed the connection."""

    def __init__(self, mode: str):
        outer = self
        self.sent = 0
        self.hung_up = threading.Event()

        class Handler(_Quiet):
            def do_GET(self):
                self._flood(b'{"object": "list", "data": [', b'{"id": "m", "object": "model"},')

            def do_POST(self):
                self._body()
                if mode == "stream":
                    self._flood(b'data: {"choices": [{"text": "', b"x" * 1024, "text/event-stream")
                else:
                    self._flood(b'{"text": "', b"y" * 1024)

            def _flood(self, start: bytes, repeat: bytes, kind: str = "application/json") -> None:
                self.send_response(500 if mode == "error" else 200)
                self.send_header("Content-Type", kind)
                if mode == "declared":
                    self.send_header("Content-Length", str(1 << 40))
                self.end_headers()
                try:
                    self.wfile.write(start)
                    while True:
                        self.wfile.write(repeat * 64)
                        outer.sent += len(repeat) * 64
                except OSError:
                    outer.hung_up.set()

        self._serve(Handler)


class TranscriptionServer(_Loopback):
    """`/v1/audio/transcriptions` (OpenAI's multipart form) answered by a real local speech engine, the way a
    Whisper server answers; records each upload's fields."""

    def __init__(self, transcribe, *, api_key: str = ""):
        outer = self
        self.uploads: list[dict] = []

        class Handler(_Quiet):
            def do_POST(self):
                if api_key and self.headers.get("Authorization") != f"Bearer {api_key}":
                    self._send_json({"error": {"message": "invalid api key"}}, 401)
                    return
                if self.path != "/v1/audio/transcriptions":
                    self._send_json({"error": {"message": "not found"}}, 404)
                    return
                fields = _multipart(self.headers.get("Content-Type", ""), self._body())
                outer.uploads.append(fields)
                self._send_json({"text": transcribe(fields["file"])})

        self._serve(Handler)


def _multipart(content_type: str, body: bytes) -> dict:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[name] = payload if name == "file" else payload.decode()
    return fields
