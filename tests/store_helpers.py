"""Test support for the model store: a real HTTP server on 127.0.0.1 and real model-shaped files.

The server serves bytes from memory with configurable misbehaviour per path: drop the connection
after N bytes, ignore Range, answer 404, or throttle. Every request is logged so tests can check
that a resume really sent a Range header. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np


@dataclass
class Route:
    data: bytes
    status: int = 200
    drop_after: int | None = None  # close the connection after this many body bytes...
    drops_left: int = 0  # ...this many times
    ignore_range: bool = False
    delay_s: float = 0.0  # per 64 KiB chunk, to make a download slow enough to cancel
    gate: threading.Event | None = None  # hold the body until set


@dataclass
class LoopbackServer:
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[tuple[str, str | None]] = field(default_factory=list)
    bytes_sent: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def add(self, path: str, data: bytes, **options) -> str:
        self.routes["/" + path.lstrip("/")] = Route(data, **options)
        return self.url(path)


def _handler(state: LoopbackServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            state.log.append((self.path, self.headers.get("Range")))
            route = state.routes.get(self.path)
            if route is None or route.status != 200:
                self.send_response(route.status if route else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = self._range_start(route)
            body = route.data[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(route.data) - 1}/{len(route.data)}")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "none" if route.ignore_range else "bytes")
            self.end_headers()
            self._send_body(route, body)

        def _range_start(self, route: Route) -> int:
            header = self.headers.get("Range", "")
            if route.ignore_range or not header.startswith("bytes="):
                return 0
            start = int(header.removeprefix("bytes=").split("-")[0])
            return start if start < len(route.data) else 0

        def _send_body(self, route: Route, body: bytes) -> None:
            if route.gate is not None:
                route.gate.wait(10)
            limit = len(body)
            if route.drop_after is not None and route.drops_left > 0:
                route.drops_left -= 1
                limit = min(limit, route.drop_after)
            for offset in range(0, limit, 1 << 16):
                chunk = body[offset : min(offset + (1 << 16), limit)]
                try:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                state.bytes_sent += len(chunk)
                if route.delay_s:
                    time.sleep(route.delay_s)
            if limit < len(body):
                self.close_connection = True
                self.connection.shutdown(2)

    return Handler


def start_server() -> LoopbackServer:
    state = LoopbackServer()
    state.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.server.daemon_threads = True
    threading.Thread(target=state.server.serve_forever, args=(0.05,), daemon=True).start()
    return state


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tiny_gguf_bytes(tmp: Path, elements: int = 1 << 18, name: str = "tiny") -> bytes:
    """A real, valid GGUF (llama architecture, one float tensor); ~1 MB by default."""
    import gguf

    path = tmp / f"{name}-build.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(name)
    rng = np.random.default_rng(7)
    writer.add_tensor("weights", rng.standard_normal(elements).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    data = path.read_bytes()
    path.unlink()
    return data


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def doctored_zip(files: dict[str, bytes], *, encrypted: bool = False, method: int | None = None) -> bytes:
    """A zip whose every member claims to be encrypted, or packed with another compression method (in the
    local and the central headers): zipfile cannot write either, and a hostile or odd archive may hold them."""
    data = bytearray(zip_bytes(files))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            if encrypted:
                data[at + flags_at] |= 0x1
            if method is not None:
                data[at + flags_at + 2 : at + flags_at + 4] = method.to_bytes(2, "little")
            at = data.find(signature, at + 4)
    return bytes(data)


def vosk_layout(top: str) -> dict[str, bytes]:
    """The file layout of a Vosk small model (contents are placeholders: layout checks only)."""
    names = ["am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLr.fst", "graph/Gr.fst", "README"]
    return {f"{top}/{n}": f"{n}\n".encode() * 64 for n in names}


def argos_layout(top: str, src: str, tgt: str) -> dict[str, bytes]:
    """The layout of an unpacked .argosmodel (CTranslate2 model + SentencePiece + metadata)."""
    meta = f'{{"package_version": "1.0", "from_code": "{src}", "to_code": "{tgt}"}}'.encode()
    return {
        f"{top}/metadata.json": meta,
        f"{top}/sentencepiece.model": b"spm" * 100,
        f"{top}/model/model.bin": b"\0" * 4096,
        f"{top}/model/shared_vocabulary.json": b'["<s>", "</s>"]',
    }


def catalog_toml(entries: list[dict]) -> str:
    import tomli_w

    return tomli_w.dumps({"model": entries})


def gguf_entry(model_id: str, data: bytes, urls: list[str], **extra) -> dict:
    entry = {
        "id": model_id,
        "name": model_id,
        "kind": "completion",
        "languages": ["en"],
        "engine": "llama.cpp",
        "format": "gguf",
        "filename": f"{model_id}.gguf",
        "size": len(data),
        "sha256": sha256(data),
        "license": "Apache-2.0",
        "ram_mb": 50,
        "urls": urls,
    }
    entry.update(extra)
    return entry


def outside_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}
