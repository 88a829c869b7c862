"""Is this file or folder what it claims to be? Cheap structural checks, no inference library.

GGUF: one check_gguf (magic, version, tensor count; with full=True the metadata parsed by the
`gguf` package). Vosk: the Kaldi folder layout. Whisper (faster-whisper): model.bin, config.json with
language ids, tokenizer.
CTranslate2 / Argos: model.bin, a vocabulary, and a SentencePiece model.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.errors import ModelError
from slm_desktop.jsonfile import read_json

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
GGUF_STRING = 8


@dataclass(frozen=True)
class ModelInfo:
    """What inspection found: enough to list the model and pick an engine."""

    kind: str  # completion | stt | translation | intent
    format: str  # gguf | vosk | ctranslate2 | argosmodel | onnx
    engine: str
    languages: tuple[str, ...] = ()
    detail: str = ""


def _gguf_string(reader, key: str) -> str:
    field = reader.fields.get(key)
    if field is None or not field.data:
        return ""
    try:
        return bytes(field.parts[field.data[0]]).decode("utf-8", "replace")
    except (IndexError, TypeError, ValueError):
        return ""


def check_gguf(path: Path, *, full: bool = False) -> ModelInfo:
    """The one GGUF check, for the store, the engines and the listing alike.

    Always, from the first 64 KiB: the file exists, starts with the magic (a clear message for a renamed
    file), has a version llama.cpp reads (2 to the `gguf` package's GGUF_VERSION) and at least one tensor.
    That is fast enough for listing many files and for every engine load. full=True (install, import,
    verify) also parses every field and the tensor table with the `gguf` package, which takes seconds on
    a tokenizer-heavy model.
    """
    import gguf

    if not path.is_file():
        raise ModelError(f"GGUF model not found: {path}")
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if head[:4] != GGUF_MAGIC:
        raise ModelError(f"{path.name} is not a GGUF model file (it starts with {head[:4]!r}, not b'GGUF')")
    if len(head) < 8:
        raise ModelError(f"{path.name}: GGUF header is damaged or truncated")
    (version,) = struct.unpack_from("<I", head, 4)
    if not 2 <= version <= gguf.GGUF_VERSION:
        raise ModelError(f"{path.name}: unsupported GGUF version {version}")
    if len(head) < 24:
        raise ModelError(f"{path.name}: GGUF header is damaged or truncated")
    tensors, kvs = struct.unpack_from("<QQ", head, 8)
    if tensors == 0:
        raise ModelError(f"{path.name}: GGUF file holds no tensors")
    if full:
        return _parse_gguf(path)
    arch = _first_string_value(head, 24, min(kvs, 8), "general.architecture")
    return ModelInfo("completion", "gguf", "llama.cpp", (), f"{path.stem} ({arch or '?'}, {tensors} tensors)")


# GGUF value types -> bytes per value (8 string and 9 array have their own layout)
_GGUF_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_ARRAY = 9
_GGUF_MAX_DIMS = 4  # GGML_MAX_DIMS


class _GGUFLayout:
    """Walks a GGUF header's lengths and counts against the file's size before the `gguf` package parses it:
    that package builds Python lists element by element, so a 150-byte file declaring an array of 2**61
    bytes made it allocate until the kernel killed the process (measured 2026-12-07). Here every declared
    length must fit in what is left of the file; nothing is allocated by a declared size."""

    def __init__(self, view: memoryview, name: str):
        self.view, self.name, self.at = view, name, 24

    def check(self) -> None:
        tensors, kvs = struct.unpack_from("<QQ", self.view, 8)
        self._fits(kvs * 13, f"{kvs} metadata entries")  # the smallest entry: key length, 1-byte key, type
        for _ in range(kvs):
            self._string("a metadata key")
            self._value(self._u32(), depth=0)
        self._fits(tensors * 25, f"{tensors} tensors")  # name length, 1-byte name, dims, type, offset
        for _ in range(tensors):
            self._string("a tensor name")
            dims = self._u32()
            if dims > _GGUF_MAX_DIMS:
                raise self._damaged(f"a tensor with {dims} dimensions")
            self._skip(8 * dims + 12, "a tensor's shape")

    def _value(self, kind: int, depth: int) -> None:
        if kind in _GGUF_FIXED:
            self._skip(_GGUF_FIXED[kind], "a value")
        elif kind == GGUF_STRING:
            self._string("a string value")
        elif kind == _GGUF_ARRAY and depth < 2:
            element = self._u32()
            (count,) = self._unpack("<Q")
            if element in _GGUF_FIXED:
                self._skip(count * _GGUF_FIXED[element], f"an array of {count} values")
                return
            self._fits(count * 8, f"an array of {count} values")  # each string or array: at least a length
            for _ in range(count):
                self._value(element, depth + 1)
        else:
            raise self._damaged(f"a metadata value of unknown type {kind}")

    def _string(self, what: str) -> None:
        (length,) = self._unpack("<Q")
        self._skip(length, what)

    def _u32(self) -> int:
        return self._unpack("<I")[0]

    def _unpack(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        self._fits(size, "a header field")
        values = struct.unpack_from(fmt, self.view, self.at)
        self.at += size
        return values

    def _skip(self, size: int, what: str) -> None:
        self._fits(size, what)
        self.at += size

    def _fits(self, size: int, what: str) -> None:
        if size > len(self.view) - self.at:
            raise self._damaged(f"{what} declared larger than the file")

    def _damaged(self, why: str) -> ModelError:
        return ModelError(f"{self.name}: GGUF header is damaged or truncated ({why})")


def _check_layout(path: Path) -> None:
    import mmap

    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        view = memoryview(mapped)
        try:
            _GGUFLayout(view, path.name).check()
        finally:
            view.release()


def _parse_gguf(path: Path) -> ModelInfo:
    from gguf import GGUFReader

    _check_layout(path)
    try:
        reader = GGUFReader(path, "r")
    except (ValueError, KeyError, IndexError, OSError, EOFError) as exc:
        raise ModelError(f"{path.name}: GGUF header is damaged or truncated ({exc.__class__.__name__})") from exc
    arch = _gguf_string(reader, "general.architecture")
    if not arch:
        raise ModelError(f"{path.name}: GGUF metadata has no general.architecture")
    if not reader.tensors:
        raise ModelError(f"{path.name}: GGUF file holds no tensors")
    name = _gguf_string(reader, "general.name")
    detail = f"{name or path.stem} ({arch}, {len(reader.tensors)} tensors)"
    return ModelInfo("completion", "gguf", "llama.cpp", (), detail)


def _first_string_value(head: bytes, offset: int, count: int, wanted: str) -> str:
    """Walk the leading string-valued key/value pairs; stop at the first other type."""
    try:
        for _ in range(count):
            (klen,) = struct.unpack_from("<Q", head, offset)
            key = head[offset + 8 : offset + 8 + klen].decode("utf-8", "replace")
            offset += 8 + klen
            (vtype,) = struct.unpack_from("<I", head, offset)
            if vtype != GGUF_STRING:
                return ""
            (vlen,) = struct.unpack_from("<Q", head, offset + 4)
            value = head[offset + 12 : offset + 12 + vlen].decode("utf-8", "replace")
            offset += 12 + vlen
            if key == wanted:
                return value
    except struct.error:
        return ""
    return ""


def is_vosk_folder(folder: Path) -> bool:
    graph = folder / "graph"
    has_graph = (graph / "HCLG.fst").is_file() or ((graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file())
    has_graph = has_graph or (folder / "HCLG.fst").is_file()
    has_conf = (folder / "conf" / "model.conf").is_file() or (folder / "conf" / "mfcc.conf").is_file()
    return (folder / "am" / "final.mdl").is_file() and has_conf and has_graph


def check_vosk(folder: Path) -> ModelInfo:
    if not is_vosk_folder(folder):
        raise ModelError(f"{folder.name} is not a Vosk model folder (needs am/final.mdl, conf/model.conf and graph/)")
    lang = _vosk_language(folder.name)
    return ModelInfo("stt", "vosk", "vosk", (lang,) if lang else (), "Kaldi/Vosk model folder")


def _vosk_language(name: str) -> str:
    """'vosk-model-small-en-us-0.15' -> 'en'; '' when the name does not say."""
    parts = name.lower().replace("_", "-").split("-")
    words = [p for p in parts if p not in ("vosk", "model", "small", "big") and not p[:1].isdigit()]
    return {"cn": "zh"}.get(words[0], words[0]) if words and len(words[0]) == 2 else ""


WHISPER_VOCAB_EN = 51864  # English-only Whisper vocabularies; multilingual ones have 51865+


def is_whisper_folder(folder: Path) -> bool:
    """A CTranslate2 Whisper conversion: model.bin, config.json with lang_ids, tokenizer, vocabulary."""
    if not ((folder / "model.bin").is_file() and (folder / "tokenizer.json").is_file()):
        return False
    if not any((folder / f"vocabulary.{ext}").is_file() for ext in ("txt", "json")):
        return False
    config = read_json(folder / "config.json")
    return isinstance(config, dict) and "lang_ids" in config and "suppress_ids" in config


def _whisper_vocab_size(folder: Path) -> int:
    text = folder / "vocabulary.txt"
    if text.is_file():
        with open(text, "rb") as handle:
            return sum(1 for _ in handle)
    data = read_json(folder / "vocabulary.json")
    return len(data) if isinstance(data, list) else 0


def check_whisper(folder: Path) -> ModelInfo:
    if not is_whisper_folder(folder):
        raise ModelError(
            f"{folder.name} is not a Whisper CTranslate2 folder "
            "(needs model.bin, config.json, tokenizer.json, vocabulary)"
        )
    english = _whisper_vocab_size(folder) == WHISPER_VOCAB_EN
    detail = "Whisper CTranslate2 folder, " + ("English only" if english else "multilingual")
    return ModelInfo("stt", "whisper", "faster-whisper", ("en",) if english else (), detail)


def _ct2_dir(folder: Path) -> Path | None:
    for candidate in (folder, folder / "model"):
        if (candidate / "model.bin").is_file():
            return candidate
    return None


def _has_vocab(ct2: Path) -> bool:
    names = [p.name for p in ct2.iterdir()]
    shared = any(n.startswith("shared_vocabulary.") for n in names)
    split = any(n.startswith("source_vocabulary.") for n in names) and any(
        n.startswith("target_vocabulary.") for n in names
    )
    return shared or split


def is_ct2_folder(folder: Path) -> bool:
    ct2 = _ct2_dir(folder)
    return ct2 is not None and _has_vocab(ct2)


def check_ct2(folder: Path) -> ModelInfo:
    """CTranslate2 model folder, bare or inside an unpacked Argos package."""
    ct2 = _ct2_dir(folder)
    if ct2 is None:
        raise ModelError(f"{folder.name} is not a CTranslate2 model (no model.bin)")
    if not _has_vocab(ct2):
        raise ModelError(f"{folder.name}: CTranslate2 model has no shared/source/target vocabulary file")
    spm = sorted({*folder.glob("*.model"), *ct2.glob("*.model"), *folder.glob("*.spm"), *ct2.glob("*.spm")})
    if not spm:
        raise ModelError(f"{folder.name}: no SentencePiece model (*.model / *.spm) next to model.bin")
    languages = _argos_languages(folder)
    fmt = "argosmodel" if (folder / "metadata.json").is_file() else "ctranslate2"
    return ModelInfo("translation", fmt, "ctranslate2", languages, f"CTranslate2 folder ({spm[0].name})")


def _argos_languages(folder: Path) -> tuple[str, ...]:
    meta = folder / "metadata.json"
    if not meta.is_file():
        return ()
    data = read_json(meta)
    if not isinstance(data, dict):
        return ()
    codes = (data.get("from_code"), data.get("to_code"))
    return tuple(c for c in codes if isinstance(c, str))


def is_onnx_folder(folder: Path) -> bool:
    return any(folder.glob("*.onnx"))


def inspect(path: Path, *, quick: bool = False) -> ModelInfo:
    """Identify an installed or importable model; ModelError when it is none we know."""
    if path.is_file():
        if path.suffix.lower() == ".gguf" or _starts_with(path, GGUF_MAGIC):
            return check_gguf(path, full=not quick)
        raise ModelError(f"{path.name}: unknown model file type (expected .gguf, a model folder or an archive)")
    if not path.is_dir():
        raise ModelError(f"{path} does not exist")
    if is_vosk_folder(path):
        return check_vosk(path)
    if is_whisper_folder(path):
        return check_whisper(path)
    if _ct2_dir(path) is not None:
        return check_ct2(path)
    if is_onnx_folder(path):
        return ModelInfo("intent", "onnx", "onnxruntime", (), "ONNX model folder")
    raise ModelError(f"{path.name}: not a Vosk, Whisper, CTranslate2 or ONNX model folder")


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(magic)) == magic
    except OSError:
        return False
