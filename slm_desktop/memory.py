"""Memory guard: refuse a model that will not fit in free RAM *before* loading it.

A model that does not fit is not a slow failure but a lost session: the kernel's OOM killer
ends the whole app mid-sentence. So every engine factory asks `ensure_fits` first, which
compares an estimate (the catalog's RAM figure when known, else the size on disk plus runtime
overhead) with MemAvailable from /proc/meminfo and raises a one-line ModelError.
"""

from __future__ import annotations

import logging
from pathlib import Path

from slm_desktop.errors import ModelError, UserError

log = logging.getLogger(__name__)

MEMINFO = Path("/proc/meminfo")
RUNTIME_OVERHEAD_MB = 48  # context/KV cache, decoder state, tokenizer: measured 30-45 MB on the defaults
SIZE_FACTOR = 1.1  # weights are mapped whole; a little extra for buffers built from them
RESERVE_MB = 64  # leave the desktop something to breathe with


def available_mb(meminfo: Path = MEMINFO) -> int | None:
    """MemAvailable in MB, or None where the kernel does not say (non-Linux): then nothing is refused."""
    try:
        text = meminfo.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name == "MemAvailable":
            try:
                return int(rest.split()[0]) // 1024
            except (IndexError, ValueError):
                return None
    return None


def size_on_disk(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return path.stat().st_size


def estimate_mb(path: Path, *, ram_mb: int = 0) -> int:
    """The catalog's figure when it is larger (it was measured), else size on disk x 1.1 + overhead."""
    from_size = int(size_on_disk(path) / 2**20 * SIZE_FACTOR) + RUNTIME_OVERHEAD_MB
    return max(ram_mb, from_size)


def ensure_fits(path: Path, *, ram_mb: int = 0, free_mb: int | None = None) -> None:
    """Raise ModelError when the model at `path` needs more RAM than is free (minus a small reserve).

    `ram_mb`: the catalog entry's RAM figure if there is one; `free_mb`: for tests, else MemAvailable.
    """
    try:
        needed = estimate_mb(path, ram_mb=ram_mb)
    except OSError as exc:
        raise ModelError(f"cannot read model {path.name}: {exc.strerror or exc}") from None
    free = available_mb() if free_mb is None else free_mb
    if free is None:
        return
    log.debug("memory check %s: needs ~%d MB, %d MB free", path.name, needed, free)
    if needed > free - RESERVE_MB:
        raise ModelError(
            f"{path.name} needs about {needed} MB of memory but only {free} MB is free; "
            "close other programs or choose a smaller model"
        )


def catalog_ram_mb(paths, filename: str) -> int:
    """The shipped/user catalog's RAM figure for an installed file name, 0 when unknown."""
    from slm_desktop.store.catalog import load_catalog

    try:
        catalog = load_catalog(paths)
    except (OSError, UserError):
        return 0
    entry = next((e for e in catalog.entries if e.filename == filename), None)
    return entry.ram_mb if entry else 0
