"""Inline suggestions from a GGUF model through llama-cpp-python.

Greedy decoding in our own token loop (llama-cpp-python's Llama.eval plus the logits of the
last position) so that we can check the CancelToken between tokens, constrain the first token
("token healing": a half-typed word is re-tokenized by the model instead of being continued from
an odd token boundary), and stop at sentence ends. The KV cache is shared between consecutive
calls: only the tokens after the longest common prefix with the previous call are evaluated.
"""

from __future__ import annotations

import bisect
import codecs
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import llama_cpp
import numpy as np

from slm_desktop.cancel import CancelToken
from slm_desktop.engines import textops
from slm_desktop.engines.base import Completion, WordChoice
from slm_desktop.engines.llama_open import open_llama
from slm_desktop.errors import ModelError
from slm_desktop.store.validate import check_gguf

log = logging.getLogger(__name__)

_EVAL_CHUNK = 32  # prompt tokens per decode call; the cancel token is checked between chunks
_TRIM_CHARS_BLOCK = 512  # trimming the left edge in blocks keeps it stable, so the KV prefix stays reusable
_TRIM_TOKENS_BLOCK = 32
_WORD_CANDIDATES = 12
_MAX_WORD_TOKENS = 4
_MAX_HEAL_TOKENS = 4
_MIN_WORD_PROBABILITY = 0.002
_PROBE_WORD = "A"  # a word that follows a line break in _tokenize_before_word


def default_threads() -> int:
    """All cores up to 4 (2 on a 2-core board: about 12% faster per token than 1 for SmolLM2-135M)."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class LlamaConfig:
    model_path: Path
    n_threads: int = 0  # 0: default_threads()
    n_ctx: int = 512
    n_batch: int = 128
    repeat_penalty: float = 1.15  # on tokens the suggestion itself already produced (not the document's)
    repeat_window: int = 64


@dataclass(frozen=True)
class _Prompt:
    tokens: list[int]
    healed: str  # text of the dropped tail tokens; the generated tokens must spell it out first


def _load(config: LlamaConfig) -> llama_cpp.Llama:
    check_gguf(config.model_path)  # refuse what llama.cpp would choke on, with a message naming the file
    threads = config.n_threads or default_threads()
    try:
        return open_llama(
            config.model_path,
            n_ctx=config.n_ctx,
            n_batch=config.n_batch,
            n_threads=threads,
            n_threads_batch=threads,  # llama-cpp-python's default is every core, even with n_threads=1
        )
    except MemoryError as exc:
        raise ModelError(f"{config.model_path.name}: not enough memory to load the model") from exc
    except (ValueError, RuntimeError, OSError) as exc:
        name, size = config.model_path.name, config.model_path.stat().st_size
        available = _available_memory()
        if available is not None and available < size:
            raise ModelError(
                f"{name}: not enough memory to load the model ({size >> 20} MB, {available >> 20} MB available)"
            ) from exc
        raise ModelError(f"{name} could not be loaded (truncated or unsupported GGUF)") from exc


def _available_memory() -> int | None:
    """MemAvailable from /proc/meminfo (Linux); None where unknown. Tells out-of-memory from corrupt files,
    since llama.cpp reports both as the same failed load."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


class _Vocab:
    """Token texts, looked up by prefix with a sorted table (for token healing and word chips)."""

    def __init__(self, llm: llama_cpp.Llama):
        self._vocab = llama_cpp.llama_model_get_vocab(llm.model)
        count = llm.n_vocab()
        self.pieces = [llm.detokenize([i]) for i in range(count)]
        self.special = np.array(
            [llama_cpp.llama_vocab_is_control(self._vocab, i) or self.is_eog(i) for i in range(count)]
        )
        texts = [p.decode("utf-8", errors="replace") for p in self.pieces]
        order = sorted(range(count), key=texts.__getitem__)
        self._sorted_texts = [texts[i] for i in order]
        self._sorted_ids = np.array(order, dtype=np.int64)
        self.texts = texts
        self.blank = np.array([not t.strip() for t in texts])  # only spaces and line breaks
        self.numeric = np.array([t.lstrip()[:1].isdigit() for t in texts])
        self.spaces = np.array([bool(t) and not t.strip(" \t") for t in texts])  # " " spells " 7" as " " + "7"
        self._exact = {t: i for i, t in enumerate(texts) if t and not self.special[i]}

    def is_eog(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def starting_with(self, prefix: str) -> np.ndarray:
        lo = bisect.bisect_left(self._sorted_texts, prefix)
        hi = bisect.bisect_left(self._sorted_texts, prefix + "\U0010ffff")
        return self._sorted_ids[lo:hi]

    def healing(self, pending: str) -> np.ndarray:
        """Tokens that may come next while `pending` must be spelled out: those starting with all of it,
        and its longest proper-prefix token (so a word longer than any token can be spelled in pieces;
        shorter prefixes such as a lone space would let the model wander off)."""
        covering = self.starting_with(pending)
        for n in range(len(pending) - 1, 0, -1):
            if pending[:n] in self._exact:
                return np.append(covering, self._exact[pending[:n]])
        return covering

    def fim_tokens(self) -> tuple[int, int, int] | None:
        ids = (
            llama_cpp.llama_vocab_fim_pre(self._vocab),
            llama_cpp.llama_vocab_fim_suf(self._vocab),
            llama_cpp.llama_vocab_fim_mid(self._vocab),
        )
        return ids if min(ids) >= 0 else None


class LlamaCompletionEngine:
    """CompletionEngine over one GGUF file; used from a single worker lane thread."""

    def __init__(self, config: LlamaConfig):
        self.config = config
        self.name = config.model_path.name
        self._llm = _load(config)
        self._vocab = _Vocab(self._llm)
        self.n_ctx = self._llm.n_ctx()
        self.fim = self._vocab.fim_tokens()
        self._doc_start = self._document_start()
        self._can_trim_kv = not llama_cpp.llama_model_is_recurrent(self._llm.model)
        self._lock = threading.Lock()  # one llama context: calls from two threads take turns
        self.threads = config.n_threads or default_threads()
        log.info("loaded %s (n_ctx=%d, fim=%s)", self.name, self.n_ctx, bool(self.fim))

    # ------------------------------------------------------------ public verbs

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
        cancel = cancel or CancelToken()
        max_tokens = min(max_tokens, self.n_ctx // 2)  # the answer must fit in the context with its prompt
        if max_tokens <= 0 or not before.strip() or textops.inside_word(before, after):
            return Completion("", 0, _ms_since(start), self.name)
        with self._lock:
            prompt = self._prompt(before, after, budget=self.n_ctx - max_tokens - 2 * _MAX_WORD_TOKENS)
            reused = self._feed(prompt.tokens, cancel)
            text, count = self._generate(before, prompt.healed, max_tokens, stop, cancel, on_token)
        if textops.repeats_context(before, text):
            text = ""
        return Completion(text, count, _ms_since(start), self.name, len(prompt.tokens), reused)

    def next_words(self, before: str, *, count: int = 3, cancel: CancelToken | None = None) -> list[WordChoice]:
        """The likeliest words at the cursor: completions of a half-typed word, else the next words.

        A typed word that the model most likely considers finished ("next") gets next-word
        choices instead of longer words that merely start with it ("nextdoor")."""
        if not before.strip():
            return []
        cancel = cancel or CancelToken()
        typed = textops.partial_word(before)
        with self._lock:
            choices, finished = self._word_choices(before, count, typed, cancel)
            if typed and finished > sum(c.probability for c in choices):
                choices, _ = self._word_choices(before + " ", count, "", cancel)
        return choices

    def set_threads(self, count: int) -> None:
        """Threads for the next calls, prompt and generation alike (chosen per request from the machine's
        load by slm_desktop.threads; changing it costs nothing measurable)."""
        count = max(1, count)
        with self._lock:
            if count != self.threads and self._llm is not None:
                llama_cpp.llama_set_n_threads(self._llm.ctx, count, count)
                self.threads = count

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

    # ------------------------------------------------------------ prompt and KV cache

    def _tokenize(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def _tokenize_before_word(self, text: str) -> list[int]:
        """The tokens of `text` as the model saw such text in training: followed by a word. A BPE tokenizer
        splits "\n\nThanks" as "\n" + "\n" + "Thanks" but a trailing "\n\n" as one token, after which
        SmolLM2 expects a third line break or a list number, so at the start of a paragraph the word chips
        had one or two words and the ghost a guess from the leftovers."""
        if text.endswith("\n"):
            probe = self._tokenize(text + _PROBE_WORD)
            if len(probe) > 1 and self._vocab.texts[probe[-1]] == _PROBE_WORD and self._text_of(probe[:-1]) == text:
                return probe[:-1]
        return self._tokenize(text)

    def _text_of(self, tokens: list[int]) -> str:
        return b"".join(self._vocab.pieces[t] for t in tokens).decode("utf-8", errors="replace")

    def _prompt(self, before: str, after: str, *, budget: int) -> _Prompt:
        if self.fim and after.strip():
            return self._fim_prompt(before, after, budget)
        tokens = self._fit(self._tokenize_before_word(_recent(before, budget * 6)), budget)
        keep, healed = self._heal(tokens, textops.word_tail(before))
        return _Prompt(self._with_doc_start(tokens[:keep]), healed)

    def _heal(self, tokens: list[int], tail: str) -> tuple[int, str]:
        """Drop the tokens of the half-typed word (and the space before it): the model re-spells them,
        so "next we" continues as " week" instead of from the odd token boundary " we|e"."""
        keep, healed = len(tokens), ""
        while tail and keep > 0 and len(healed) < len(tail) and len(tokens) - keep < _MAX_HEAL_TOKENS:
            keep -= 1
            healed = self._vocab.texts[tokens[keep]] + healed
        if "\ufffd" in healed or len(healed) < len(tail):
            return len(tokens), ""
        return keep, healed

    def _fim_prompt(self, before: str, after: str, budget: int) -> _Prompt:
        pre, suf, mid = self.fim
        suffix = self._tokenize(after[:2000])[: budget // 4]
        prefix = self._fit(self._tokenize(_recent(before, budget * 6)), budget - len(suffix) - 3)
        return _Prompt(self._with_doc_start([pre, *prefix, suf, *suffix, mid]), "")

    def _document_start(self) -> list[int]:
        """The token that opens a document in training: BOS where the model adds one, else GPT-2 style
        <|endoftext|>. Without it a short text reads as the middle of a document ("I" -> "I-")."""
        vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        if llama_cpp.llama_vocab_get_add_bos(vocab):
            return [self._llm.token_bos()]
        found = self._llm.tokenize(b"<|endoftext|>", add_bos=False, special=True)
        return found if len(found) == 1 and self._vocab.special[found[0]] else []

    def _with_doc_start(self, tokens: list[int]) -> list[int]:
        if self._doc_start:
            return [*self._doc_start, *tokens]
        return tokens or [self._llm.token_bos()]

    @staticmethod
    def _fit(tokens: list[int], budget: int) -> list[int]:
        """Keep the most recent tokens, cutting the left edge in blocks so it moves rarely."""
        excess = len(tokens) - max(1, budget)
        if excess <= 0:
            return tokens
        cut = -(-excess // _TRIM_TOKENS_BLOCK) * _TRIM_TOKENS_BLOCK
        return tokens[cut:]

    def _feed(self, tokens: list[int], cancel: CancelToken) -> int:
        """Make the context hold exactly `tokens`, with logits for the last one; returns reused tokens."""
        llm = self._llm
        reused = 0
        if self._can_trim_kv:
            reused = llama_cpp.Llama.longest_token_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
            reused = min(reused, len(tokens) - 1)  # the last token is evaluated again for fresh logits
            llm.n_tokens = reused  # Llama.eval drops the KV cells from n_tokens on
        else:
            llm.reset()
        for i in range(reused, len(tokens), _EVAL_CHUNK):
            cancel.raise_if_cancelled()
            llm.eval(tokens[i : i + _EVAL_CHUNK])
        return reused

    def _logits(self) -> np.ndarray:
        row = llama_cpp.llama_get_logits_ith(self._llm.ctx, -1)
        return np.ctypeslib.as_array(row, shape=(self._llm.n_vocab(),)).copy()

    # ------------------------------------------------------------ decoding

    def _constrained(self, logits: np.ndarray, pending: str) -> np.ndarray:
        logits[self._vocab.special] = -np.inf
        if not pending:
            return logits
        allowed = self._vocab.healing(pending)
        masked = np.full_like(logits, -np.inf)
        masked[allowed] = logits[allowed]
        return masked

    def _penalize(self, logits: np.ndarray, since: int) -> np.ndarray:
        """Discourage the suggestion from repeating itself (loops), counting only the tokens generated
        from position `since` on: penalising the document's own words ("the", "to", a name used
        above) made the first word wrong more often (28.3 vs 31.5 % on everyday-tune.txt)."""
        penalty = self.config.repeat_penalty
        llm = self._llm
        start = max(since, llm.n_tokens - self.config.repeat_window)
        if penalty == 1.0 or start >= llm.n_tokens:
            return logits
        recent = np.unique(llm.input_ids[start : llm.n_tokens])
        values = logits[recent]
        logits[recent] = np.where(values > 0, values / penalty, values * penalty)
        return logits

    def _pick(self, pending: str, since: int, *, barred: np.ndarray | None = None) -> int:
        """Greedy choice; end-of-generation wins only as the model's top choice with nothing pending.
        barred: tokens it may not take while nothing visible is written yet (_first_barred)."""
        logits = self._penalize(self._logits(), since)
        top = int(np.argmax(logits))
        if self._vocab.is_eog(top) and not pending:
            return top
        if barred is not None:
            logits[barred] = -np.inf
        logits = self._constrained(logits, pending)
        best = int(np.argmax(logits))
        return best if np.isfinite(logits[best]) else self._llm.token_eos()

    def _generate(
        self,
        before: str,
        pending: str,
        max_tokens: int,
        stop: Sequence[str],
        cancel: CancelToken,
        on_token: Callable[[str], None] | None,
    ) -> tuple[str, int]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text, count = "", 0
        last_step = max_tokens + _MAX_WORD_TOKENS + len(pending)
        since = self._llm.n_tokens
        barred = self._first_barred(before)
        for step in range(last_step + 1):
            cancel.raise_if_cancelled()
            token = self._pick(pending, since, barred=None if text.strip() else barred)
            if self._vocab.is_eog(token):
                break
            raw = decoder.decode(self._vocab.pieces[token])
            if pending:
                raw, pending = _spell(raw, pending)
            elif text.endswith(textops.SENTENCE_END) and raw[:1].isspace():
                break
            elif count >= max_tokens:  # past the limit: only finish the word in progress
                if not (textops.is_word_char(raw[:1]) and textops.is_word_char(text[-1:])):
                    break
                if step == last_step:
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
            self._llm.eval([token])
        return text, count

    def _first_barred(self, before: str) -> np.ndarray:
        """What a suggestion may not start with. A line break at the start of a line: the model often
        wants a blank line there, and the ghost would show nothing, not what the line says. A number,
        unless one is being typed or the line above starts with one (a numbered list): a guessed number
        is almost never the writer's, and SmolLM2 opens paragraphs with made-up dates ("2018-03-29"); with
        it a bare space, which SmolLM2 writes before a digit ("at" + " " + "7"): barring the digit alone left
        a ghost of " " and a line break, i.e. nothing, wherever the model wanted a number."""
        barred = np.zeros(len(self._vocab.blank), dtype=bool)
        if before.endswith("\n"):
            barred |= self._vocab.blank
        if not textops.number_expected(before):
            barred |= self._vocab.numeric | self._vocab.spaces
        return barred

    def _word_choices(self, before: str, count: int, typed: str, cancel: CancelToken) -> tuple[list[WordChoice], float]:
        """Top first tokens, each extended greedily to a whole word; also the chance that `typed` is done."""
        prompt = self._prompt(before, "", budget=self.n_ctx - 3 * _MAX_WORD_TOKENS)
        self._feed(prompt.tokens, cancel)
        base = self._llm.n_tokens
        probs = _softmax(self._constrained(self._logits(), prompt.healed))
        numbers = textops.number_expected(before)
        words: dict[str, float] = {}
        finished = 0.0
        for token in np.argsort(-probs)[:_WORD_CANDIDATES]:
            if len(words) >= count or probs[token] < _MIN_WORD_PROBABILITY:
                break
            cancel.raise_if_cancelled()
            spelled = self._spell_word(base, int(token), prompt.healed)
            p = float(probs[token])
            for text, share in spelled.shares():
                word = textops.leading_word(text)
                if word == typed:
                    finished += p * share
                elif word[:1].isdigit() and not numbers:
                    continue  # see _first_barred
                elif word and word not in words and word.startswith(typed):
                    words[word] = p * share
        self._llm.n_tokens = base
        ranked = sorted(words.items(), key=lambda item: item[1], reverse=True)[:count]
        return [WordChoice(w, p) for w, p in ranked], finished

    def _spell_word(self, base: int, token: int, pending: str) -> _Spelled:
        """The text of `token` plus greedy tokens while the healed text is unfinished or the word goes on.
        A word goes on through an apostrophe or hyphen piece ("don" + "'t", "e" + "-mail"): the typist's
        word is "don't", not "don". Where it does, `short` is the word before it and `joined` the model's
        probability of that piece, so both words can be offered with their share."""
        llm = self._llm
        llm.n_tokens = base
        text, short, joined = "", "", 0.0
        for _ in range(_MAX_WORD_TOKENS + _MAX_HEAL_TOKENS):
            piece = self._vocab.texts[token]
            if text and not pending and not textops.is_word_char(piece[:1]):
                if short or not _joins_word(piece):
                    break
                short = text
            text += piece
            pending = _spell(piece, pending)[1] if pending else ""
            llm.eval([token])
            logits = self._constrained(self._logits(), pending)
            token = int(np.argmax(logits))
            if not short and not pending and _joins_word(self._vocab.texts[token]):
                joined = float(_softmax(logits)[token])
        return _Spelled(text, short, joined if short else 0.0)


def _joins_word(piece: str) -> bool:
    """An apostrophe or hyphen piece that continues a word: "'t", "'m", "-mail"."""
    return piece[:1] in "'’-" and textops.is_word_char(piece[1:2])


@dataclass(frozen=True)
class _Spelled:
    text: str
    short: str  # the word before an apostrophe/hyphen piece it went on through ("" if none)
    joined: float  # the probability of that piece (0.0 if none)

    def shares(self) -> list[tuple[str, float]]:
        """(text, share of the first token's probability): the word, or both words around the piece."""
        if not self.short:
            return [(self.text, 1.0)]
        return [(self.short, 1.0 - self.joined), (self.text, self.joined)]


def _spell(raw: str, pending: str) -> tuple[str, str]:
    """Consume a generated piece against the healed text: (new visible text, what is still pending)."""
    if raw.startswith(pending):
        return raw[len(pending) :], ""
    return "", pending[len(raw) :]


def _recent(text: str, max_chars: int) -> str:
    """The tail of the text, starting at a block boundary then a word boundary, so it moves rarely."""
    excess = len(text) - max_chars
    if excess <= 0:
        return text
    start = -(-excess // _TRIM_CHARS_BLOCK) * _TRIM_CHARS_BLOCK
    space = text.find(" ", start)
    return text[space + 1 if 0 <= space < start + 64 else start :]


def _softmax(logits: np.ndarray) -> np.ndarray:
    finite = np.isfinite(logits)
    out = np.zeros_like(logits)
    if finite.any():
        shifted = np.exp(logits[finite] - logits[finite].max())
        out[finite] = shifted / shifted.sum()
    return out


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000
