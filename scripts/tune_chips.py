#!/usr/bin/env python3
"""Tune the chip mixing weights (slm_desktop.suggestions.ChipMix) on the TUNING text only.

The personal model learns the first half of resources/eval/everyday-tune.txt; the typist types up to
--limit words of the second half. The LLM's candidate words are computed once per place the typist can
look (cached), then every weight setting in the grid is scored offline: top-3 at word starts and the
chips-only keystroke savings. Never run this on everyday-report.txt: that is the reported part.

    PYTHONPATH=. python scripts/tune_chips.py [--limit 200] [--model PATH]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slm_desktop.bench.typist import Suggestion, look_points, walk, word_spans  # noqa: E402
from slm_desktop.engines.base import WordChoice  # noqa: E402
from slm_desktop.lexicon import Lexicon  # noqa: E402
from slm_desktop.personal import PersonalModel  # noqa: E402
from slm_desktop.suggestions import ChipMix, chips  # noqa: E402


class _Cached:
    """The engine's next_words, asked once per text with the most candidates any setting uses."""

    name = "cached"

    def __init__(self, engine, most: int):
        self.engine, self.most, self.cache = engine, most, {}

    def next_words(self, before, *, count=3, cancel=None) -> list[WordChoice]:
        if before not in self.cache:
            self.cache[before] = self.engine.next_words(before, count=self.most)
        return self.cache[before][:count]


def main() -> int:
    from slm_desktop.engines.llama import LlamaCompletionEngine, LlamaConfig

    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--model", default=str(ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--cache", type=Path, help="a JSON file that keeps the LLM's candidates between runs")
    args = parser.parse_args()
    text = (ROOT / "resources" / "eval" / "everyday-tune.txt").read_text(encoding="utf-8")
    half = text.index("\n", len(text) // 2) + 1
    personal = PersonalModel()
    personal.learn(text[:half])
    lexicon = Lexicon.load()
    spans = word_spans(text, half, args.limit)
    engine = _Cached(LlamaCompletionEngine(LlamaConfig(Path(args.model), n_threads=1)), 8)
    if args.cache and args.cache.is_file():
        raw = json.loads(args.cache.read_text())
        engine.cache = {k: [WordChoice(w, p) for w, p in v] for k, v in raw.items()}
    for i, point in enumerate(sorted(look_points(text, spans, 3))):  # fill the cache once
        engine.next_words(text[:point])
        if i % 100 == 0:
            print(f"  {i} places", file=sys.stderr, flush=True)
    if args.cache:
        args.cache.write_text(json.dumps({k: [(c.word, c.probability) for c in v] for k, v in engine.cache.items()}))
    grid = itertools.product((3, 5, 8), (0.0, 0.2, 0.35, 0.5, 0.7), (0.0, 0.1, 0.2), (2, 3), (0.0, 2.0, 5.0, 10.0))
    results = []
    for candidates, a, b, min_prefix, evidence in grid:
        mix = ChipMix(
            llm_candidates=candidates,
            personal_weight=a,
            lexicon_weight=b,
            min_lexicon_prefix=min_prefix,
            personal_evidence=evidence,
        )
        use_personal = personal if a else None
        use_lexicon = lexicon if b else None

        def suggest(before, mix=mix, p=use_personal, lx=use_lexicon):
            return Suggestion("", tuple(c.word for c in chips(engine, before, personal=p, lexicon=lx, mix=mix)))

        top3 = sum(text[s:e] in suggest(text[:s]).chips for s, e in spans) / len(spans)
        savings = walk("chips", text, spans, suggest).savings
        results.append((savings, top3, candidates, a, b, min_prefix, evidence))
    results.sort(reverse=True)
    print("savings  top3   llm_candidates personal_weight lexicon_weight min_lexicon_prefix personal_evidence")
    for row in results[:15]:
        print("{:.3f}    {:.3f}  {}  {}  {}  {}  {}".format(*row))
    by_top3 = max(results, key=lambda r: (r[1], r[0]))
    print("best top-3: {:.3f} savings {:.3f}: {} {} {} {} {}".format(by_top3[1], by_top3[0], *by_top3[2:]))
    baseline = next(r for r in results if r[3] == 0 and r[4] == 0 and r[2] == 3)
    print("LLM only: savings {:.3f} top3 {:.3f}".format(*baseline[:2]))
    print(f"requests cached: {len(engine.cache)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
