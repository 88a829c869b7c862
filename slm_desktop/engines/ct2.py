"""Neural translation with CTranslate2 (int8 on CPU) and SentencePiece.

Two layouts load: an OPUS-MT model converted to CTranslate2 (model.bin, shared_vocabulary.*,
source.spm, target.spm in one folder) and an unpacked Argos Translate package
(metadata.json, model/, sentencepiece.model). `.argosmodel` archives are unpacked once with the
store's safe extractor. The language pair comes from metadata.json (from_code/to_code) or the
folder name's last two codes (opus-mt-en-es).
"""

from __future__ import annotations

import logging
import os
import re
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.cancel import CancelToken
from slm_desktop.engines.base import LanguagePair, Translation
from slm_desktop.errors import ModelError
from slm_desktop.jsonfile import MAX_JSON_BYTES, parse_json, read_json
from slm_desktop.store.extract import ZIP_READ_ERRORS, safe_extract

log = logging.getLogger(__name__)

_PAIR_IN_NAME = re.compile(r"(?:^|[-_.])([a-z]{2,3})[-_]([a-z]{2,3})$")
ARGOS_SUFFIX = ".argosmodel"


@dataclass(frozen=True)
class CT2Config:
    threads: int = 0  # 0: every core
    beam_size: int = 1  # 1-4; greedy is the measured default (see docs/translation.md)
    compute_type: str = "int8"
    max_batch: int = 16
    length_ratio: float = 2.0  # decoding stops at ratio * source tokens + 8: no runaway loops

    def __post_init__(self) -> None:
        if not 1 <= self.beam_size <= 4:
            raise ModelError(f"beam size must be 1-4, not {self.beam_size}")
        if self.threads < 0:
            raise ModelError(f"threads must be 0 (auto) or more, not {self.threads}")


@dataclass(frozen=True)
class ModelLayout:
    model_dir: Path
    source_spm: Path
    target_spm: Path
    append_eos: bool = False  # Transformers-converted OPUS-MT expects "</s>" the converter did not add


def _needs_eos(model_dir: Path) -> bool:
    """OPUS-MT converted from Transformers (ct2-transformers-converter) leaves add_source_eos off,
    and Hugging Face's Marian tokenizer appends "</s>"; the Marian/OPUS-MT converter sets it on."""
    config = read_json(model_dir / "config.json")
    return isinstance(config, dict) and not config.get("add_source_eos", False)


def _pair_from_metadata(folder: Path) -> tuple[str, str] | None:
    metadata = folder / "metadata.json"
    if not metadata.is_file():
        return None
    data = read_json(metadata)
    try:
        return str(data["from_code"]), str(data["to_code"])
    except (KeyError, TypeError):
        return None


def _pair_from_name(name: str) -> tuple[str, str] | None:
    match = _PAIR_IN_NAME.search(name.removesuffix(ARGOS_SUFFIX).lower())
    return (match.group(1), match.group(2)) if match else None


def _argos_pair(archive: Path) -> tuple[str, str] | None:
    """Reads metadata.json inside the zip without unpacking it."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            names = [n for n in bundle.namelist() if n.count("/") <= 1 and n.endswith("metadata.json")]
            if not names:
                return _pair_from_name(archive.name)
            if bundle.getinfo(names[0]).file_size > MAX_JSON_BYTES:  # read whole otherwise: a bomb's size
                return None
            data = parse_json(bundle.read(names[0]))
            return str(data["from_code"]), str(data["to_code"])
    except (OSError, ValueError, KeyError, TypeError, *ZIP_READ_ERRORS):
        return None


def _is_model_folder(folder: Path) -> bool:
    return (folder / "model.bin").is_file() or (folder / "model" / "model.bin").is_file()


def find_ct2_models(search_path: Sequence[Path]) -> list[LanguagePair]:
    """CT2 folders and .argosmodel files one level inside each models folder; earlier folders win."""
    pairs: dict[tuple[str, str], LanguagePair] = {}
    for folder in search_path:
        for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
            if entry.is_dir() and _is_model_folder(entry):
                found = _pair_from_metadata(entry) or _pair_from_name(entry.name)
            elif entry.is_file() and entry.name.endswith(ARGOS_SUFFIX):
                found = _argos_pair(entry)
            else:
                continue
            if found and found not in pairs:
                pairs[found] = LanguagePair(found[0], found[1], "ct2", str(entry))
    return list(pairs.values())


def prepare_model_folder(path: Path, unpack_dir: Path) -> Path:
    """A folder as is; an .argosmodel unpacked (once, safely) under unpack_dir, keyed by size+mtime."""
    if path.is_dir():
        return path
    if not path.name.endswith(ARGOS_SUFFIX):
        raise ModelError(f"{path.name} is neither a CTranslate2 model folder nor an {ARGOS_SUFFIX} package")

    info = path.stat()
    dest = unpack_dir / f"{path.name.removesuffix(ARGOS_SUFFIX)}-{info.st_size}-{int(info.st_mtime)}"
    if not dest.is_dir():
        safe_extract(path, dest)
    return dest


def resolve_layout(folder: Path) -> ModelLayout:
    """OPUS-MT folder or unpacked Argos package (possibly under one top-level folder)."""
    if not folder.is_dir():
        raise ModelError(f"translation model {folder} is missing")
    children = [c for c in folder.iterdir() if c.is_dir()]
    if not _is_model_folder(folder) and len(children) == 1 and _is_model_folder(children[0]):
        folder = children[0]  # an Argos zip has one top-level folder
    if (folder / "model.bin").is_file():
        return ModelLayout(folder, _spm(folder, "source.spm"), _spm(folder, "target.spm"), _needs_eos(folder))
    if (folder / "model" / "model.bin").is_file():
        shared = _spm(folder, "sentencepiece.model")
        return ModelLayout(folder / "model", shared, shared)
    raise ModelError(f"{folder.name} is not a CTranslate2 model (no model.bin)")


def _spm(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ModelError(f"{folder.name}: {name} (SentencePiece model) is missing")
    return path


class CT2Engine:
    """One CTranslate2 model = one language pair; loads in the constructor, frees in close()."""

    name = "ct2"

    def __init__(self, folder: Path, config: CT2Config = CT2Config(), *, pair: tuple[str, str] | None = None):
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:  # core, but a bundle built with `build.sh --exclude ctranslate2` lacks it
            raise ModelError(f"{folder.name}: the CTranslate2 runtime is not installed ({exc.name} missing)") from exc

        self.config = config
        self.folder = folder
        layout = resolve_layout(folder)
        self._eos = ["</s>"] if layout.append_eos else []
        found = pair or _pair_from_metadata(folder) or _pair_from_name(folder.name) or ("", "")
        self._pair = LanguagePair(found[0], found[1], self.name, str(folder))
        threads = config.threads or os.cpu_count() or 1
        try:
            self._source = sentencepiece.SentencePieceProcessor(model_file=str(layout.source_spm))
            self._target = sentencepiece.SentencePieceProcessor(model_file=str(layout.target_spm))
            self._translator = ctranslate2.Translator(
                str(layout.model_dir),
                device="cpu",
                compute_type=config.compute_type,
                inter_threads=1,
                intra_threads=threads,
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelError(f"{folder.name}: the model could not be loaded ({_first_line(exc)})") from exc

    def pairs(self) -> list[LanguagePair]:
        return [self._pair]

    def translate(
        self,
        sentences: Sequence[str],
        *,
        source: str,
        target: str,
        cancel: CancelToken | None = None,
    ) -> Iterator[Translation]:
        """Batches of config.max_batch sentences; the token is checked between batches."""
        if (source, target) != (self._pair.source, self._pair.target) and self._pair.source:
            raise ModelError(
                f"{self.folder.name} translates {self._pair.source}→{self._pair.target}, not {source}→{target}"
            )
        for start in range(0, len(sentences), self.config.max_batch):
            if cancel is not None:
                cancel.raise_if_cancelled()
            batch = list(sentences[start : start + self.config.max_batch])
            began = time.perf_counter()
            outputs = self.translate_batch(batch)
            ms = (time.perf_counter() - began) * 1000 / len(batch)
            for offset, (text, out) in enumerate(zip(batch, outputs, strict=True)):
                yield Translation(start + offset, text, out, ms)

    def tokenize(self, text: str) -> list[str]:
        return [*self._source.encode(text, out_type=str), *self._eos] if text.strip() else []

    def translate_batch(self, batch: list[str]) -> list[str]:
        tokens = [self.tokenize(text) for text in batch]
        limit = int(self.config.length_ratio * max((len(t) for t in tokens), default=1)) + 8
        results = self._translator.translate_batch(
            tokens,
            beam_size=self.config.beam_size,
            max_decoding_length=limit,
            max_batch_size=self.config.max_batch,
        )
        return [
            self._target.decode_pieces(result.hypotheses[0]) if t else ""
            for t, result in zip(tokens, results, strict=True)
        ]

    def close(self) -> None:
        translator = getattr(self, "_translator", None)
        if translator is not None:
            translator.unload_model()
            self._translator = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__
