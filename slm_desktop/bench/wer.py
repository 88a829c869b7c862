"""Word error rate: word-level edit distance over the reference length."""

from __future__ import annotations

SPOKEN = {
    "mr": "mister",
    "mrs": "missus",
    "dr": "doctor",
    "st": "saint",
}  # Whisper writes "Mr.", references say "mister"


def normalize(text: str) -> list[str]:
    """Lower case, no punctuation, hyphenated words split ("ill-disposed"), titles spelt out, as
    Whisper's English normaliser does, so that only recognition errors count."""
    words = [w.strip(".,!?;:\"'").lower() for w in text.replace("-", " ").split()]
    return [SPOKEN.get(w, w) for w in words if w]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref = normalize(reference)
    if not ref:
        return 0.0 if not normalize(hypothesis) else 1.0
    return edit_distance(ref, normalize(hypothesis)) / len(ref)


def corpus_wer(pairs: list[tuple[str, str]]) -> float:
    """Total errors over total reference words (not the mean of per-file rates)."""
    errors = sum(edit_distance(normalize(r), normalize(h)) for r, h in pairs)
    words = sum(len(normalize(r)) for r, _ in pairs)
    return errors / words if words else 0.0
