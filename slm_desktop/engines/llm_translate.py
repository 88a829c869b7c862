"""Translation with a GGUF chat model (llama.cpp) and a translation prompt.

Offered only for models whose GGUF metadata lists two or more languages
(``general.languages``): a small English-only model such as the default SmolLM2-135M
(general.languages = ['en']) produces nonsense when asked to translate, so it is never offered.
"""

from __future__ import annotations

import logging
import os
import struct
import time
from collections.abc import Iterator, Sequence
from itertools import permutations
from pathlib import Path
from typing import BinaryIO

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines.base import LanguagePair, Translation
from slm_desktop.errors import ModelError
from slm_desktop.languages import LANGUAGE_NAMES

log = logging.getLogger(__name__)


_FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_MAX_KEYS = 100_000


def _read_string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", handle.read(8))
    return handle.read(length).decode("utf-8")


def _skip_value(handle: BinaryIO, kind: int) -> None:
    if kind == _STRING:
        (length,) = struct.unpack("<Q", handle.read(8))
        handle.seek(length, os.SEEK_CUR)
    elif kind == _ARRAY:
        item_kind, count = struct.unpack("<IQ", handle.read(12))
        if item_kind in _FIXED_SIZES:
            handle.seek(count * _FIXED_SIZES[item_kind], os.SEEK_CUR)
        else:
            for _ in range(count):
                _skip_value(handle, item_kind)
    elif kind in _FIXED_SIZES:
        handle.seek(_FIXED_SIZES[kind], os.SEEK_CUR)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")


def _read_languages(handle: BinaryIO) -> list[str]:
    item_kind, count = struct.unpack("<IQ", handle.read(12))
    if item_kind != _STRING:
        return []
    return [_read_string(handle).lower() for _ in range(min(count, 1000))]


def gguf_languages(path: Path) -> list[str]:
    """``general.languages`` from the GGUF header, scanning key/value pairs only: the weights
    (and the tensor table, which the gguf library parses too) are never read."""
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"GGUF":
                return []
            _version, _tensors, keys = struct.unpack("<IQQ", handle.read(20))
            for _ in range(min(keys, _MAX_KEYS)):
                key = _read_string(handle)
                (kind,) = struct.unpack("<I", handle.read(4))
                if key == "general.languages" and kind == _ARRAY:
                    return _read_languages(handle)
                _skip_value(handle, kind)
    except (OSError, struct.error, UnicodeDecodeError, ValueError) as exc:
        log.debug("no GGUF metadata in %s: %s", path, exc)
    return []


def llm_pairs(search_path: Sequence[Path]) -> list[LanguagePair]:
    """Pairs between the languages of every multilingual GGUF model on the search path."""
    pairs = []
    for folder in search_path:
        for model in sorted(folder.glob("*.gguf")) if folder.is_dir() else []:
            languages = [code for code in gguf_languages(model) if code in LANGUAGE_NAMES]
            if len(languages) >= 2:
                pairs += [LanguagePair(s, t, "llm", str(model)) for s, t in permutations(languages, 2)]
    return pairs


# ---------------------------------------------------------------- the prompt (also used by server_translate.py)

TRANSLATION_STOP = ("\n",)


def translation_messages(sentence: str, source: str, target: str) -> list[dict[str, str]]:
    """The chat prompt for one sentence; `source`/`target` are language names ("English")."""
    return [
        {
            "role": "system",
            "content": f"Translate the user's {source} text into {target}. Reply with the translation only.",
        },
        {"role": "user", "content": sentence},
    ]


def translation_limit(source_tokens: int) -> int:
    """Decoding stops at twice the source length plus 8 tokens: a confused model cannot run on."""
    return 2 * source_tokens + 8


class LlmTranslationEngine:
    name = "llm"

    def __init__(
        self,
        model: Path,
        *,
        languages: Sequence[str] | None = None,
        threads: int = 0,
        context_tokens: int = 1024,
    ):
        from slm_desktop.engines.llama_open import open_llama

        self.model = model
        self._languages = list(languages) if languages is not None else gguf_languages(model)
        try:
            self._llm = open_llama(model, n_ctx=context_tokens, n_threads=threads or os.cpu_count() or 1)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"{model.name}: the model could not be loaded ({exc})") from exc

    def pairs(self) -> list[LanguagePair]:
        codes = [c for c in self._languages if c in LANGUAGE_NAMES]
        return [LanguagePair(s, t, self.name, str(self.model)) for s, t in permutations(codes, 2)]

    def translate(
        self,
        sentences: Sequence[str],
        *,
        source: str,
        target: str,
        cancel: CancelToken | None = None,
    ) -> Iterator[Translation]:
        if source not in LANGUAGE_NAMES or target not in LANGUAGE_NAMES:
            raise ModelError(f"{self.model.name} cannot translate {source}→{target}")
        for index, sentence in enumerate(sentences):
            started = time.perf_counter()
            text = self._one(sentence, LANGUAGE_NAMES[source], LANGUAGE_NAMES[target], cancel)
            yield Translation(index, sentence, text, (time.perf_counter() - started) * 1000)

    def _one(self, sentence: str, source: str, target: str, cancel: CancelToken | None) -> str:
        messages = translation_messages(sentence, source, target)
        limit = translation_limit(len(self._llm.tokenize(sentence.encode("utf-8"), add_bos=False)))
        pieces = []
        stream = self._llm.create_chat_completion(
            messages, max_tokens=limit, temperature=0.0, stop=list(TRANSLATION_STOP), stream=True
        )
        for chunk in stream:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            pieces.append(chunk["choices"][0]["delta"].get("content") or "")
        return "".join(pieces).strip()

    def close(self) -> None:
        llm = getattr(self, "_llm", None)
        if llm is not None:
            llm.close()
            self._llm = None
