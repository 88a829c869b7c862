"""TranslationEngine over a chat model on an OpenAI-compatible server (`/v1/chat/completions`, streamed).

The prompt is the one the local GGUF engine uses (engines/llm_translate.py): the same system line, the
same newline stop and the same length limit, so a bigger model on a server is a drop-in for the small one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from itertools import permutations

from slm_desktop.cancel import CancelToken
from slm_desktop.engines.base import LanguagePair, Translation
from slm_desktop.engines.llm_translate import TRANSLATION_STOP, translation_limit, translation_messages
from slm_desktop.engines.openai_server import ServerClient, ServerConfig
from slm_desktop.errors import ModelError
from slm_desktop.languages import LANGUAGE_NAMES

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3  # a generous estimate: the server's tokenizer is not reachable through the OpenAI API


class ServerTranslationEngine:
    name = "server"

    def __init__(self, config: ServerConfig, *, languages: Sequence[str]):
        self.config = config
        self.client = ServerClient(config)
        models = self.client.models()
        self.model = config.model or (models[0] if models else "")
        self._languages = [code for code in languages if code in LANGUAGE_NAMES]

    def pairs(self) -> list[LanguagePair]:
        label = f"{self.client.host}/{self.model}" if self.model else self.client.host
        return [LanguagePair(s, t, self.name, label) for s, t in permutations(self._languages, 2)]

    def translate(
        self,
        sentences: Sequence[str],
        *,
        source: str,
        target: str,
        cancel: CancelToken | None = None,
    ) -> Iterator[Translation]:
        if source not in LANGUAGE_NAMES or target not in LANGUAGE_NAMES:
            raise ModelError(f"the server cannot translate {source}→{target}")
        for index, sentence in enumerate(sentences):
            started = time.perf_counter()
            text = self._one(sentence, LANGUAGE_NAMES[source], LANGUAGE_NAMES[target], cancel)
            yield Translation(index, sentence, text, (time.perf_counter() - started) * 1000)

    def _one(self, sentence: str, source: str, target: str, cancel: CancelToken | None) -> str:
        payload = {
            "messages": translation_messages(sentence, source, target),
            "max_tokens": translation_limit(len(sentence) // CHARS_PER_TOKEN + 1),
            "temperature": 0.0,
            "stop": list(TRANSLATION_STOP),
            "stream": True,
        } | ({"model": self.model} if self.model else {})
        pieces = []
        for event in self.client.stream("/v1/chat/completions", payload, cancel):
            pieces.append(_delta_text(event))
        return "".join(pieces).strip()

    def close(self) -> None:
        self.client.close()


def _delta_text(event: dict) -> str:
    """A chat chunk's text (choices[0].delta.content); anything shaped otherwise adds nothing."""
    choices = event.get("choices")
    first = choices[0] if isinstance(choices, list) and choices else None
    delta = first.get("delta") if isinstance(first, dict) else None
    return str(delta.get("content") or "") if isinstance(delta, dict) else ""
