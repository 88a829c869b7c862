"""`slm-desktop bench models`: the store's own costs, each beside the raw library doing the same job.

- download: plain urllib + file copy vs the app's download (hashing, fsync, progress), over loopback;
- archive extraction: zipfile/tarfile `extractall` (tar with the `data` filter) vs the app's safe_extract
  (plan through links, bomb and disk checks) on a Vosk-shaped archive;
- sha256 of the default model; GGUF checks (header-only vs full `gguf` parse); listing installed models;
- memory of the first-run measurement: RSS on the completion lane with the suggestion engine loaded, then
  measuring through that engine (the app) vs a second llama.cpp copy of the model (the old store-lane way).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from slm_desktop.bench import summary
from slm_desktop.errors import UserError
from slm_desktop.paths import AppPaths

DOWNLOAD_MB = 64


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _serve(folder: Path) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _raw_download(url: str, target: Path) -> None:
    with urllib.request.urlopen(url) as response, open(target, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 16)


def _download_rows(repeat: int) -> list[dict]:
    from slm_desktop.store import download as dl

    with tempfile.TemporaryDirectory(prefix="slm-bench-") as tmp:
        root = Path(tmp)
        (root / "www").mkdir()
        payload = os.urandom(DOWNLOAD_MB << 20)
        (root / "www" / "blob.bin").write_bytes(payload)
        sha = dl.sha256_of(root / "www" / "blob.bin")
        server = _serve(root / "www")
        url = f"http://127.0.0.1:{server.server_address[1]}/blob.bin"
        raw, app = [], []
        try:
            for i in range(repeat):
                raw.append(_timed(lambda i=i: _raw_download(url, root / f"raw{i}")))
                dest = root / f"app{i}.bin"
                app.append(_timed(lambda dest=dest: dl.download([url], dest, sha256=sha, size_hint=len(payload))))
        finally:
            server.shutdown()
            server.server_close()
    mb = DOWNLOAD_MB * 1.048576
    return [
        {"case": "download raw urllib copy", **summary(raw), "MB/s": mb / (summary(raw)["p50_ms"] / 1000)},
        {"case": "download app (sha256+fsync)", **summary(app), "MB/s": mb / (summary(app)["p50_ms"] / 1000)},
    ]


EXTRACT_FILES = 400  # a Vosk-shaped tree: a few big graph files and many small ones


def _vosk_shaped(root: Path) -> tuple[Path, Path]:
    """A zip and a tar.gz of ~48 MB in 400 files under am/ conf/ graph/ ivector/ (mildly compressible)."""
    import tarfile
    import zipfile

    rng = __import__("random").Random(7)
    files = {f"model/graph/big{i}.fst": os.urandom(10 << 20) for i in range(4)}
    for i in range(EXTRACT_FILES - 4):
        words = " ".join(str(rng.randrange(10_000)) for _ in range(2000))
        files[f"model/{('am', 'conf', 'graph', 'ivector')[i % 4]}/f{i}.txt"] = words.encode()
    zpath, tpath = root / "m.zip", root / "m.tar.gz"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    with tarfile.open(tpath, "w:gz", compresslevel=1) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, __import__("io").BytesIO(data))
    return zpath, tpath


def _extract_rows(repeat: int) -> list[dict]:
    import tarfile
    import zipfile

    from slm_desktop.store.extract import safe_extract

    with tempfile.TemporaryDirectory(prefix="slm-bench-") as tmp:
        root = Path(tmp)
        zpath, tpath = _vosk_shaped(root)

        def raw_zip(out: Path) -> None:
            with zipfile.ZipFile(zpath) as zf:
                zf.extractall(out)

        def raw_tar(out: Path) -> None:
            with tarfile.open(tpath) as tf:
                tf.extractall(out, filter="data")

        cases = {
            "zip raw zipfile.extractall": raw_zip,
            "zip app safe_extract": lambda out: safe_extract(zpath, out),
            "tar.gz raw tarfile.extractall(filter=data)": raw_tar,
            "tar.gz app safe_extract": lambda out: safe_extract(tpath, out),
        }
        rows = []
        for name, fn in cases.items():
            samples = []
            for i in range(repeat):
                out = root / f"out-{len(rows)}-{i}"
                samples.append(_timed(lambda out=out, fn=fn: fn(out)))
                shutil.rmtree(out)
            rows.append({"case": f"extract {name} ({EXTRACT_FILES} files)", **summary(samples), "MB/s": ""})
    return rows


def _model_rows(paths: AppPaths, repeat: int) -> list[dict]:
    from slm_desktop.store.download import sha256_of
    from slm_desktop.store.manager import ModelManager
    from slm_desktop.store.validate import check_gguf

    model = ModelManager(paths).default_path("completion")
    if model is None:
        raise UserError("bench models: the default completion model is not installed (run scripts/setup.sh)")
    manager = ModelManager(paths)
    cases = {
        "sha256 default model": lambda: sha256_of(model),
        "GGUF header check (listing, engine load)": lambda: check_gguf(model),
        "GGUF full check (gguf package)": lambda: check_gguf(model, full=True),
        "list installed models": manager.list_installed,
    }
    rows = []
    for name, fn in cases.items():
        samples = [_timed(fn) for _ in range(repeat if "full" not in name else max(1, repeat // 3))]
        rows.append({"case": name, **summary(samples), "MB/s": ""})
    size_mb = model.stat().st_size / 1e6
    rows[0]["MB/s"] = size_mb / (rows[0]["p50_ms"] / 1000)
    return rows


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so each case reports its own peak."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def _on_lane(worker, lane: str, fn) -> object:
    """Run fn(ctx) as a job on `lane` and wait for it on this thread (no event loop needed)."""
    done, out = threading.Event(), {}

    def job(ctx):
        try:
            out["value"] = fn(ctx)
        finally:
            done.set()

    worker.submit("bench-memory", job, lane=lane)
    if not done.wait(300):
        raise UserError("bench models: the memory case did not finish in 300 s")
    return out.get("value")


def _memory(paths: AppPaths) -> dict[str, float]:
    from slm_desktop.completion import choose
    from slm_desktop.config import CompletionSettings
    from slm_desktop.store import recommend as rec
    from slm_desktop.store.manager import ModelManager
    from slm_desktop.worker import Worker

    model = ModelManager(paths).default_path("completion")
    if model is None:
        raise UserError("bench models: the default completion model is not installed (run scripts/setup.sh)")
    choice, worker, out = choose(model, CompletionSettings()), Worker(), {"rss_mb_start": _status_mb("VmRSS")}

    def case(name: str, lane: str, fn) -> None:
        _reset_peak()
        _on_lane(worker, lane, fn)
        out[f"peak_mb_{name}"], out[f"rss_mb_after_{name}"] = _status_mb("VmHWM"), _status_mb("VmRSS")

    def engine(ctx):
        return ctx.engine(choice.key, choice.factory)

    try:  # app first: what the old way leaves behind in the allocator would inflate the app's figures
        case("engine_loaded", "completion", engine)
        case("app_measure", "completion", lambda ctx: rec.measure_engine_speed(engine(ctx), model, seconds=2.0))
        case("raw_second_copy_measure", "store", lambda ctx: rec.measure_tokens_per_second(model, seconds=2.0))
    finally:
        worker.shutdown()
    return out


def run(args) -> dict:
    repeat = args.repeat or 5
    extract = _extract_rows(repeat)
    rows = _download_rows(repeat) + extract + _model_rows(args.paths, repeat)
    return {
        "download_overhead_ratio": rows[1]["p50_ms"] / rows[0]["p50_ms"],
        "extract_zip_ratio": extract[1]["p50_ms"] / extract[0]["p50_ms"],
        "extract_tar_ratio": extract[3]["p50_ms"] / extract[2]["p50_ms"],
        "download_mb": DOWNLOAD_MB,
        **_memory(args.paths),
        "table": rows,
    }
