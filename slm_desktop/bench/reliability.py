"""`slm-desktop bench reliability`: what the safety nets cost.

Autosave (recovery file) and atomic document save at three document sizes; the memory check;
and a model's first load run raw in this process beside the app's path for a new model
(probe in a child process, then the real load) -- the one-time price of fault isolation.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from slm_desktop.bench import summary
from slm_desktop.document import Document, write_document
from slm_desktop.errors import UserError
from slm_desktop.isolation import load_gguf, probe_first_load
from slm_desktop.memory import ensure_fits
from slm_desktop.recovery import RecoveryStore

SIZES = (1_000, 10_000, 100_000)
DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _times_ms(action, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _row(what: str, times: list[float]) -> dict:
    return {"what": what, **summary(times)}


def _save_rows(folder: Path, repeat: int) -> list[dict]:
    rows = []
    store = RecoveryStore(folder / "recovery")
    for size in SIZES:
        text = ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]
        rows.append(_row(f"autosave {size} chars", _times_ms(lambda t=text: store.write(t, None), repeat)))
        doc = Document("", folder / "doc.txt")
        rows.append(_row(f"atomic save {size} chars", _times_ms(lambda t=text, d=doc: write_document(d, t), repeat)))
    return rows


def _first_load_rows(paths, folder: Path, repeat: int) -> list[dict]:
    model = paths.find_model(DEFAULT_GGUF)
    if model is None:
        raise UserError(f"bench reliability: {DEFAULT_GGUF} not found on the model search path")
    raw = _times_ms(lambda: load_gguf(model).close(), repeat)

    def app_path(i: list[int] = [0]) -> None:  # noqa: B006 - a fresh cache file each time: always a first load
        i[0] += 1
        ensure_fits(model)
        probe_first_load(load_gguf, model, cache_file=folder / f"probed-{i[0]}.json")
        load_gguf(model).close()

    app = _times_ms(app_path, repeat)
    ratio = summary(app)["p50_ms"] / summary(raw)["p50_ms"]
    return [
        _row("raw llama.cpp load (in process)", raw),
        _row("app first load: memory check + probe + load", app),
        {"what": "first-load ratio app/raw (p50)", "n": repeat, "p50_ms": ratio, "p95_ms": ratio, "mean_ms": ratio},
        _row("memory check alone", _times_ms(lambda: ensure_fits(model), 50)),
    ]


def run(args) -> dict:
    repeat = args.repeat or 20
    with tempfile.TemporaryDirectory(prefix="slm-bench-rel-") as tmp:
        folder = Path(tmp)
        rows = _save_rows(folder, repeat) + _first_load_rows(args.paths, folder, max(3, repeat // 4))
    return {"table": rows}
