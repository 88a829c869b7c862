"""Vosk (Kaldi): the primary speech engine, for any local Vosk model folder.

Never ``Model(lang=...)``: that downloads. The caller resolves a folder; a folder that is not
a Vosk model raises ModelError. Grammar restriction needs the model's dynamic graph
(graph/Gr.fst + graph/HCLr.fst, present in "small" models); other models fall back to free
recognition and say so through ``grammar_supported`` and the log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.engines.base import Transcript, Word
from slm_desktop.errors import ModelError

log = logging.getLogger(__name__)

UNKNOWN = "[unk]"


@dataclass(frozen=True)
class VoskConfig:
    model_path: Path
    sample_rate: int = 16000


def check_model_folder(path: Path) -> None:
    """Vosk aborts or prints C++ errors on a wrong folder; catch the common cases first."""
    if not path.is_dir():
        raise ModelError(f"Vosk model folder not found: {path}")
    has_am = (path / "am" / "final.mdl").exists() or (path / "final.mdl").exists()
    has_conf = (path / "conf" / "model.conf").exists() or (path / "conf" / "mfcc.conf").exists()
    if not (has_am and has_conf):
        raise ModelError(f"{path} is not a Vosk model folder (no am/final.mdl and conf/)")


def supports_grammar(path: Path) -> bool:
    graph = path / "graph"
    return (graph / "Gr.fst").exists() and (graph / "HCLr.fst").exists()


def _words(result: dict) -> list[Word]:
    return [
        Word(word=w["word"], start=float(w["start"]), end=float(w["end"]), conf=float(w.get("conf", 1.0)))
        for w in result.get("result", [])
        if w.get("word") != UNKNOWN
    ]


class VoskUtterance:
    """Feeds a KaldiRecognizer; keeps the words of every endpointed segment."""

    def __init__(self, engine: VoskEngine, recognizer):
        self._engine = engine
        self._rec = recognizer
        self._words: list[Word] = []
        self._samples = 0
        self._decode_seconds = 0.0

    def _committed(self) -> str:
        return " ".join(w.word for w in self._words)

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        start = time.perf_counter()
        self._samples += len(pcm) // 2
        if self._rec.AcceptWaveform(pcm):
            self._words += _words(json.loads(self._rec.Result()))
            partial = ""
        else:
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
        self._decode_seconds += time.perf_counter() - start
        return " ".join(t for t in (self._committed(), partial.replace(UNKNOWN, "").strip()) if t)

    def finish(self) -> Transcript:
        start = time.perf_counter()
        self._words += _words(json.loads(self._rec.FinalResult()))
        self._decode_seconds += time.perf_counter() - start
        return Transcript(
            text=self._committed(),
            words=tuple(self._words),
            engine=self._engine.name,
            model=self._engine.model,
            audio_seconds=self._samples / self._engine.sample_rate,
            decode_seconds=self._decode_seconds,
        )


class VoskEngine:
    """Loads the model once; each start() makes a recognizer, grammar-restricted when possible."""

    name = "vosk"

    def __init__(self, config: VoskConfig):
        path = Path(config.model_path)
        check_model_folder(path)
        import vosk

        vosk.SetLogLevel(-1)
        self._vosk = vosk
        self.sample_rate = config.sample_rate
        self.model = path.name if path.name != "model" else path.parent.name
        self.grammar_supported = supports_grammar(path)
        try:
            self._model = vosk.Model(model_path=str(path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelError(f"Vosk could not load the model in {path}") from exc

    def start(self, *, grammar: Sequence[str] | None = None, context: str = "") -> VoskUtterance:
        if grammar and self.grammar_supported:
            rec = self._vosk.KaldiRecognizer(self._model, self.sample_rate, self._grammar_json(grammar))
        else:
            if grammar:
                log.warning("model %s has no Gr.fst/HCLr.fst: grammar ignored, free recognition", self.model)
            rec = self._vosk.KaldiRecognizer(self._model, self.sample_rate)
        rec.SetWords(True)
        return VoskUtterance(self, rec)

    def unknown_words(self, phrases: Sequence[str]) -> list[str]:
        words = {w for p in phrases for w in p.lower().split()}
        return sorted(w for w in words if self._model.vosk_model_find_word(w) < 0)

    def _grammar_json(self, grammar: Sequence[str]) -> str:
        """Phrases whose words the model knows, plus [unk] so out-of-grammar speech is not forced."""
        unknown = set(self.unknown_words(grammar))
        if unknown:
            dropped = ", ".join(sorted(unknown))
            log.warning("not in the %s vocabulary, dropped from the grammar: %s", self.model, dropped)
        phrases = [" ".join(p.lower().split()) for p in grammar if p.strip()]
        known = [p for p in phrases if not unknown.intersection(p.split())]
        if not known:
            raise ModelError(f"none of the grammar's words are in the {self.model} vocabulary")
        if self._model.vosk_model_find_word(UNKNOWN) >= 0:
            known.append(UNKNOWN)
        return json.dumps(known, ensure_ascii=False)

    def close(self) -> None:
        self._model = None
