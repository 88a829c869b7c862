"""The word chips: the LLM's next words mixed with the personal model and the word list (no Qt, no llama).

Used by the editor's suggestion job (ui/suggest.run_suggestion) and by `bench suggest`, so the bench
measures exactly what the user sees.

Mixing, per candidate word w at the cursor:
    P(w) = (1 - a - b) * P_llm(w) + a * P_personal(w | two tokens before) + b * P_list(w | typed prefix)
P_llm is the engine's probability of the word's first token (with the typed prefix forced, so it is
already conditioned on the prefix); b is 0 when nothing is half-typed (the list knows no context). The
weights were tuned on resources/eval/everyday-tune.txt only (see docs/completion.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from slm_desktop.cancel import CancelToken
from slm_desktop.engines import textops
from slm_desktop.engines.base import CompletionEngine, WordChoice
from slm_desktop.lexicon import Lexicon
from slm_desktop.personal import PersonalModel


@dataclass(frozen=True)
class ChipMix:
    llm_candidates: int = 5  # words asked of the LLM; more cost one short greedy extension each
    personal_weight: float = 0.2
    lexicon_weight: float = 0.1
    min_lexicon_prefix: int = 3  # one typed letter says too little for a frequency list
    personal_evidence: float = 0.0  # > 0: the personal weight grows with the context's evidence e as e / (e + this)


DEFAULT_MIX = ChipMix()


def chips(
    engine: CompletionEngine,
    before: str,
    *,
    count: int = 3,
    personal: PersonalModel | None = None,
    lexicon: Lexicon | None = None,
    mix: ChipMix = DEFAULT_MIX,
    cancel: CancelToken | None = None,
) -> list[WordChoice]:
    """The `count` best words for the chips, best first."""
    use_personal = personal is not None and personal.words > 0
    asked = max(count, mix.llm_candidates) if (use_personal or lexicon is not None) else count
    llm = engine.next_words(before, count=asked, cancel=cancel)
    typed = textops.partial_word(before)
    # the engine offers next words instead when it judges the typed word finished
    completing = bool(typed) and (not llm or any(c.word.startswith(typed) for c in llm))
    prefix = typed if completing else ""
    context = before if completing or not typed else before + " "
    a = mix.personal_weight if use_personal else 0.0
    if a and mix.personal_evidence > 0:
        seen = personal.evidence(context)
        a *= seen / (seen + mix.personal_evidence)
    b = mix.lexicon_weight if lexicon is not None and len(prefix) >= mix.min_lexicon_prefix else 0.0
    scores = {c.word: (1 - a - b) * c.probability for c in llm}
    if a:
        for word, p in personal.conditional(context, prefix=prefix, also=list(scores), limit=count + 2).items():
            scores[word] = scores.get(word, 0.0) + a * p
    if b:
        listed = [c.word for c in lexicon.completions(prefix, limit=count + 2)]
        for word, p in lexicon.conditional(prefix, [*scores, *listed]).items():
            scores[word] = scores.get(word, 0.0) + b * p
    ranked = sorted((w for w in scores if w and w != typed), key=scores.__getitem__, reverse=True)
    return [WordChoice(w, scores[w]) for w in ranked[:count]]
