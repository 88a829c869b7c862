"""CompletionEngine over an OpenAI-compatible server: `/v1/completions` streamed, or llama-server's `/infill`
when the model fills in the middle (so the text after the cursor is used).

The ghost follows the local engine's rules (engines/llama.py): stop at a newline or after a sentence end,
finish the last word past the token limit or drop it, nothing inside a word, nothing that repeats the
text. Word chips come from the server's top log-probabilities when it returns them; `next_words` returns
[] when it does not, and the caller asks the local model instead (server_select.py).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence

from slm_desktop.cancel import CancelToken
from slm_desktop.engines import textops
from slm_desktop.engines.base import Completion, WordChoice
from slm_desktop.engines.openai_server import ServerClient, ServerConfig, ServerError

log = logging.getLogger(__name__)

CONTEXT_CHARS = 4000  # the most recent text sent as the prompt
SUFFIX_CHARS = 2000
EXTRA_WORD_TOKENS = 4  # past max_tokens, only to finish the word in progress
WORD_CANDIDATES = 5


class ServerCompletionEngine:
    """Loads by asking the server for its models (a down server fails here, once, as a ServerError)."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.client = ServerClient(config)
        models = self.client.models()
        self.model = config.model or (models[0] if models else "")
        self.name = f"server:{self.client.host}" + (f"/{self.model}" if self.model else "")
        self._infill = config.fim == "on"
        self._infill_unknown = config.fim == "auto"
        self.logprobs_offered: bool | None = None  # learnt from the first next_words call

    # ------------------------------------------------------------ CompletionEngine

    def complete(
        self,
        before: str,
        *,
        after: str = "",
        max_tokens: int = 12,
        stop: Sequence[str] = (),
        cancel: CancelToken | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        start = time.perf_counter()
        if max_tokens <= 0 or not before.strip() or textops.inside_word(before, after):
            return Completion("", 0, _ms(start), self.name)
        events = self._events(before, after, max_tokens, stop, cancel)
        text, count = _shape(events, before, max_tokens, stop, on_token)
        if textops.repeats_context(before, text):
            text = ""
        return Completion(text, count, _ms(start), self.name)

    def next_words(self, before: str, *, count: int = 3, cancel: CancelToken | None = None) -> list[WordChoice]:
        """Top first tokens (log-probabilities), each spelled out to a whole word by one short request.
        [] when the server gives no log-probabilities (then the local model offers the chips)."""
        if not before.strip() or self.logprobs_offered is False:
            return []
        payload = self._payload(before, max_tokens=1) | {"logprobs": WORD_CANDIDATES, "stream": False}
        try:
            reply = self._post(payload, cancel)
        except ServerError as exc:
            if exc.kind in ("failed", "missing") and exc.status in (400, 422, 500, 501):
                self.logprobs_offered = False  # llama_cpp.server without logits_all says so with an error
                return []
            raise
        candidates = _top_tokens(reply)
        self.logprobs_offered = bool(candidates)
        typed = textops.partial_word(before)
        longer: dict[str, float] = {}  # completions of the half-typed word
        following: dict[str, float] = {}  # next words (the typed word is finished)
        for piece, probability in candidates:
            if cancel is not None:
                cancel.raise_if_cancelled()
            spelled = self._spell(before, piece, cancel)
            if typed and textops.is_word_char(piece[:1]):
                word = typed + textops.leading_word(spelled)
                if word != typed:
                    longer.setdefault(word, probability)
            elif word := textops.leading_word(spelled):
                following.setdefault(word, probability)
        chosen = following if not typed or sum(following.values()) > sum(longer.values()) else longer
        return [WordChoice(w, p) for w, p in list(chosen.items())[:count]]

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------ requests

    def _payload(self, before: str, *, max_tokens: int, stop: Sequence[str] = ()) -> dict:
        payload = {
            "prompt": before[-CONTEXT_CHARS:],
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stop": ["\n", *[s for s in stop if s]][:4],  # OpenAI allows four stop strings
        }
        return payload | ({"model": self.model} if self.model else {})

    def _events(self, before, after, max_tokens, stop, cancel):
        limit = max_tokens + EXTRA_WORD_TOKENS
        if after.strip() and (self._infill or self._infill_unknown):
            infill = {
                "input_prefix": before[-CONTEXT_CHARS:],
                "input_suffix": after[:SUFFIX_CHARS],
                "n_predict": limit,
                "temperature": 0.0,
                "stream": True,
            }
            try:
                yield from self.client.stream("/infill", infill, cancel)
                self._infill, self._infill_unknown = True, False
                return
            except ServerError as exc:
                if not self._infill_unknown or exc.kind != "missing":
                    raise
                log.info("%s has no fill-in-the-middle: using /v1/completions", self.client.host)
                self._infill_unknown = False
        payload = self._payload(before, max_tokens=limit, stop=stop) | {"stream": True}
        yield from self.client.stream("/v1/completions", payload, cancel)

    def _spell(self, before: str, piece: str, cancel: CancelToken | None) -> str:
        """The candidate token plus a few greedy tokens, until its word is complete."""
        if not textops.is_word_char(piece[-1:]):
            return piece
        reply = self._post(self._payload(before + piece, max_tokens=3, stop=(" ",)), cancel)
        return piece + _choice_text(reply)

    def _post(self, payload: dict, cancel: CancelToken | None) -> dict:
        """A short request for the chips: held to the first-token timeout, like the ghost's stream."""
        timeout = self.config.first_token_timeout_s
        return self.client.post_json("/v1/completions", payload, read_timeout_s=timeout, cancel=cancel)


def _shape(events, before: str, max_tokens: int, stop: Sequence[str], on_token) -> tuple[str, int]:
    """Streamed pieces -> the ghost text, by the local engine's rules; leaving the loop closes the stream."""
    text, count = "", 0
    for event in events:
        raw = _choice_text(event)
        if not raw:
            continue
        if text.endswith(textops.SENTENCE_END) and raw[:1].isspace():
            break
        if count >= max_tokens and not (textops.is_word_char(raw[:1]) and textops.is_word_char(text[-1:])):
            break
        if count >= max_tokens + EXTRA_WORD_TOKENS:
            text = textops.drop_partial_word(text)
            break
        if not text and before[-1:].isspace():
            raw = raw.lstrip(" \t")
        visible, done = textops.cut_at_stop(text + raw, stop)
        added, text = visible[len(text) :], visible
        count += 1
        if added and on_token is not None:
            on_token(added)
        if done:
            break
    return text, count


def _choice_text(event: dict) -> str:
    """A completion chunk's text ("choices"[0]["text"]) or an /infill chunk's ("content")."""
    choices = event.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return str(choices[0].get("text") or "")
    return str(event.get("content") or "")


def _top_tokens(reply: dict) -> list[tuple[str, float]]:
    """The first position's alternatives from OpenAI-style logprobs ({"top_logprobs": [{token: logprob}]})."""
    try:
        top = reply["choices"][0]["logprobs"]["top_logprobs"][0]
    except (KeyError, IndexError, TypeError):
        return []
    if not isinstance(top, dict):
        return []
    scored = [(str(token), logprob) for token, logprob in top.items() if _is_logprob(logprob)]
    ranked = sorted(scored, key=lambda item: -item[1])
    return [(token, math.exp(min(logprob, 0.0))) for token, logprob in ranked]


def _is_logprob(value: object) -> bool:
    """A finite number (a server's odd entries are skipped, not raised; rounding above 0 counts as 0)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000
