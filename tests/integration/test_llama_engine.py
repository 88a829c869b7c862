"""The completion engine with the real default GGUF model (SmolLM2-135M-Instruct Q4_1)."""

import re
import shutil
import threading

import pytest

from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines import textops
from slm_desktop.engines.base import CompletionEngine
from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig
from slm_desktop.errors import ModelError
from slm_desktop.paths import resources_dir
from tests.conftest import DEFAULT_GGUF

EVAL_TEXTS = ("everyday-tune.txt", "everyday-report.txt")
PREFIXES = [
    "Thank you for your",
    "The meeting has been moved to next",
    "Please find attached the report on the quarterly",
    "I would like to",
    "Once upon a time, there was a",
]


@pytest.fixture(scope="module")
def engine():
    loaded = LlamaCompletionEngine(LlamaConfig(DEFAULT_GGUF))
    yield loaded
    loaded.close()


def test_implements_the_protocol(engine):
    assert isinstance(engine, CompletionEngine)
    assert engine.name == DEFAULT_GGUF.name


@pytest.mark.parametrize("before", PREFIXES)
def test_suggestion_continues_the_text_without_repeating_it(engine, before):
    completion = engine.complete(before)
    text = completion.text
    assert text.strip(), f"no suggestion for {before!r}"
    assert not text.strip().startswith(before.split()[0]), text
    assert before not in text
    assert "\n" not in text
    assert re.search(r"[.!?]\s", text) is None, f"runs past a sentence end: {text!r}"
    assert 0 < completion.tokens <= 12 + 4
    assert completion.model == DEFAULT_GGUF.name and completion.ms > 0


def test_greedy_suggestions_are_repeatable(engine):
    assert engine.complete(PREFIXES[0]).text == engine.complete(PREFIXES[0]).text


def test_half_typed_word_is_completed_not_split(engine):
    text = engine.complete("The meeting has been moved to next wee").text
    assert text[:1].isalpha(), text
    assert ("wee" + text).startswith("week")


def test_cursor_inside_a_word_gets_no_suggestion(engine):
    completion = engine.complete("Hel", after="lo world")
    assert completion.text == "" and completion.tokens == 0


def test_empty_text_gets_no_suggestion(engine):
    assert engine.complete("   ").text == ""
    assert engine.next_words("") == []


def test_stop_strings_and_token_limit(engine):
    text = engine.complete("Once upon a time, there was a", stop=["e"]).text
    assert "e" not in text
    short = engine.complete("Once upon a time, there was a", max_tokens=2)
    assert 1 <= short.tokens <= 2 + 4
    assert len(short.text.split()) <= 3


def test_kv_cache_prefix_is_reused_between_keystrokes(engine):
    first = engine.complete("The meeting has been moved to next week because the manager")
    second = engine.complete("The meeting has been moved to next week because the manager is")
    assert first.prompt_tokens > 5
    assert second.reused_tokens >= first.prompt_tokens - 1
    unrelated = engine.complete("Completely different words here")
    assert unrelated.reused_tokens <= 1


def test_long_text_is_bounded_to_the_context(engine):
    # ~1,800 tokens of prose that does not repeat itself (a text repeated verbatim is continued
    # verbatim, and a suggestion that copies the recent text is dropped as a loop)
    prose = [(resources_dir() / "eval" / name).read_text(encoding="utf-8") for name in EVAL_TEXTS]
    before = "\n\n".join([*prose, "In the evening we"])
    completion = engine.complete(before)
    assert completion.prompt_tokens <= engine.n_ctx
    assert completion.text.strip()


def test_cancel_stops_within_one_token(engine):
    token, pieces = CancelToken(), []

    def on_token(piece):
        pieces.append(piece)
        token.cancel()

    with pytest.raises(Cancelled):
        engine.complete("Once upon a time, there was a", max_tokens=64, cancel=token, on_token=on_token)
    assert len(pieces) == 1


def test_cancel_from_another_thread_stops_a_long_generation(engine):
    """Deterministic: the generating thread waits inside on_token (after its first piece) until this thread
    has cancelled, so the 400-token generation cannot finish first; the token is checked before the next one."""
    token, pieces, outcome = CancelToken(), [], {}
    first_piece, cancelled = threading.Event(), threading.Event()

    def on_token(piece):
        pieces.append(piece)
        first_piece.set()
        cancelled.wait(30)

    def run():
        try:
            engine.complete("Once upon a time, there was a", max_tokens=400, stop=(), cancel=token, on_token=on_token)
            outcome["result"] = "finished"
        except Cancelled:
            outcome["result"] = "cancelled"

    thread = threading.Thread(target=run)
    thread.start()
    assert first_piece.wait(30)
    token.cancel()
    cancelled.set()
    thread.join(30)
    assert not thread.is_alive()
    assert outcome.get("result") == "cancelled"
    assert len(pieces) == 1, "no piece may follow the cancel"


def test_precancelled_token_stops_before_decoding(engine):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        engine.complete("A new prompt that is not cached yet", cancel=token)


def test_next_words_are_three_distinct_likely_words(engine):
    words = engine.next_words("The meeting has been moved to next")
    assert len(words) == 3
    assert len({w.word for w in words}) == 3
    assert all(re.fullmatch(r"[\w'’-]+", w.word) and 0 < w.probability <= 1 for w in words)
    assert [w.probability for w in words] == sorted((w.probability for w in words), reverse=True)


def test_next_words_complete_a_half_typed_word(engine):
    words = engine.next_words("The meeting has been moved to next we")
    assert words and all(w.word.startswith("we") and w.word != "we" for w in words)
    assert "week" in [w.word for w in words]


def test_next_words_offer_contractions_whole_not_cut_at_the_apostrophe(engine):
    """SmolLM2's tokens split " don't" into " don" + "'t"; a chip "don" could never be accepted."""
    after_reply = [w.word for w in engine.next_words("Sorry for the late reply. ", count=5)]
    assert "I'm" in after_reply and "I" in after_reply  # both words around the piece, each with its share
    after_sorry = [w.word for w in engine.next_words("Sorry, I", count=3)]
    assert {"can't", "don't", "didn't"} & set(after_sorry), after_sorry
    assert not {"didn", "couldn", "wouldn", "isn"} & set(after_sorry), after_sorry


def test_smollm2_has_no_fill_in_the_middle(engine):
    assert engine.fim is None
    with_after = engine.complete("Thank you for your", after="\nBest regards, Ann")
    assert with_after.text.strip()


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        LlamaCompletionEngine(LlamaConfig(tmp_path / "nothing.gguf"))


def test_non_gguf_file_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("these are not model weights")
    with pytest.raises(ModelError, match="not a GGUF model file"):
        LlamaCompletionEngine(LlamaConfig(bogus))


def test_truncated_gguf_is_a_clear_error(tmp_path):
    truncated = tmp_path / "truncated.gguf"
    with open(DEFAULT_GGUF, "rb") as src, open(truncated, "wb") as dst:
        dst.write(src.read(4_000_000))
    with pytest.raises(ModelError, match="truncated or unsupported"):
        LlamaCompletionEngine(LlamaConfig(truncated))


def test_corrupt_tensor_data_header_is_a_clear_error(tmp_path):
    corrupt = tmp_path / "corrupt.gguf"
    shutil.copyfile(DEFAULT_GGUF, corrupt)
    with open(corrupt, "r+b") as handle:
        handle.seek(8)
        handle.write(b"\xff" * 16)  # tensor and metadata counts
    with pytest.raises(ModelError):
        LlamaCompletionEngine(LlamaConfig(corrupt))


def test_a_token_limit_beyond_the_context_does_not_overflow_it():
    small = LlamaCompletionEngine(LlamaConfig(DEFAULT_GGUF, n_ctx=64))
    try:
        completion = small.complete("Counting: 1, 2, 3, 4, 5, 6, 7,", max_tokens=10_000)
    finally:
        small.close()
    assert completion.tokens <= 32 + 8
    assert completion.text.strip()


def _stem(word: str) -> str:
    return re.match(r"\w*", word).group()


def test_the_ghost_does_not_avoid_words_the_document_already_used(engine):
    """The repeat penalty counts only the ghost's own tokens: at word starts of everyday prose its first
    word is the model's likeliest word (the top chip), also where that word occurs earlier in the text.
    Penalising the document's words changed the first word at several of these positions."""
    text = (resources_dir() / "eval" / EVAL_TEXTS[0]).read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"(?<=[ ])\w", text[:2400])][20:80]
    differ = []
    for start in starts:
        before = text[:start]
        ghost = _stem(textops.leading_word(engine.complete(before, max_tokens=4).text))
        chips = engine.next_words(before, count=3)
        # compared up to an apostrophe: the chips split "I" + "'ll" into "I" and "I'll" by the model's
        # probability of "'ll", which greedy decoding follows whenever it is the likeliest piece
        if ghost and chips and ghost != _stem(chips[0].word) and not _near_tie(ghost, chips):
            differ.append((before[-30:], ghost, chips[0].word))
    assert not differ, differ


def _near_tie(ghost: str, chips) -> bool:
    """The ghost's word is a chip within 10 % of the top chip's probability, its forms summed (the chips
    "I'll" and "I" are one first token " I", which greedy decoding takes when the two together are the
    likeliest: on a CPU with AVX2 "they" 0.133 beside "I'll" 0.120 and "I" 0.105). llama.cpp's logits for a
    prompt read in one batch differ slightly from the same prompt read token by token, and by the
    CPU's kernels, so such a pair can swap places (on a CPU without AVX2: "20" beside "200")."""
    same_word = sum(c.probability for c in chips[1:] if _stem(c.word) == ghost)
    return same_word >= 0.9 * chips[0].probability


def test_a_ghost_at_the_start_of_a_line_says_what_the_line_says(engine):
    """SmolLM2 often wants a blank line after a blank line; the ghost then showed nothing at every
    paragraph start (47 of 715 word starts of everyday-tune.txt were empty ghosts)."""
    for before in ("Hi Tomasz,\n\n", "Dear Sam,\n\nThanks for the photos.\n\n"):
        ghost = engine.complete(before, max_tokens=8).text
        assert ghost.strip(), before
        assert not ghost[:1].isspace(), ghost


def test_a_paragraph_start_gets_three_word_chips(engine):
    """A BPE tokenizer splits "\n\nThanks" into "\n" + "\n" + "Thanks" but a trailing "\n\n" into one
    token, which in training comes before a third line break or a list number: the chips at a paragraph
    start were one or two words (after "Hi Tomasz," only "I" and "I'm"). The prompt ends as text does
    before a word."""
    for before in ("Hi Tomasz,\n\n", "Send it when you have a minute.\n\n", "Notes\n\nPriya opened.\n\n"):
        assert [engine._vocab.texts[t] for t in engine._prompt(before, "", budget=200).tokens[-2:]] == ["\n", "\n"]
        words = engine.next_words(before, count=3)
        assert len(words) == 3 and all(w.word[:1].isalpha() for w in words), (before, words)


def test_suggestions_do_not_start_with_a_made_up_number_unless_a_list_is_numbered(engine):
    """After a paragraph break SmolLM2 guesses dates ("2018-03-29"); a guessed number is almost never
    the writer's. In a numbered list, or with a digit typed, numbers are what comes next."""
    for before in ("Hi Tomasz,\n\n", "Please book the car in before ", "The meeting is on ", "The train leaves at "):
        ghost = engine.complete(before, max_tokens=8).text
        assert not ghost.lstrip()[:1].isdigit(), (before, ghost)
        assert ghost.strip(), before  # a word instead, not the bare space SmolLM2 writes before a digit
        assert not any(c.word[:1].isdigit() for c in engine.next_words(before, count=3)), before
    numbered = "Shopping list:\n1. Milk\n2. Bread\n"
    assert engine.complete(numbered, max_tokens=4).text.startswith("3")
    assert [c.word for c in engine.next_words(numbered, count=3)][:1] == ["3"]
    assert engine.next_words("The meeting is on the 1", count=3)[0].word[:1].isdigit()
