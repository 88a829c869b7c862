"""PocketSphinx: the embedded English engine, so push-to-talk works with no model download.

The PyPI wheel carries the en-us acoustic model, language model and dictionary. Command mode
swaps the language model for a JSGF grammar built from the allowed phrases.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slm_desktop.engines.base import Transcript, Word
from slm_desktop.errors import ModelError

log = logging.getLogger(__name__)

FRAMES_PER_SECOND = 100  # PocketSphinx's default frame rate
_FILLERS = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+)$")
_ALT_PRONUNCIATION = re.compile(r"\(\d+\)$")


@dataclass(frozen=True)
class SphinxConfig:
    model_dir: Path | None = None  # a folder with en-us/, en-us.lm.bin, cmudict-en-us.dict; None: the wheel's
    sample_rate: int = 16000
    # command-mode (grammar) utterances up to this long are decoded again in one batch at finish():
    # the first command after start-up is otherwise often misheard, and a grammar decode is cheap
    # (20-40 ms). Free dictation is not re-decoded: at RTF ~0.2 it would add ~0.5 s to a 3 s
    # utterance's release latency. Live translation sets 0.
    redecode_max_seconds: float = 15.0
    # the flat-lexicon and lattice passes at the end of each utterance: a little more accurate, but
    # end_utt() then holds the GIL for ~0.2 s per phrase (a GUI stall); live translation turns them off
    second_pass: bool = True


def _model_files(model_dir: Path) -> dict[str, str]:
    files = {
        "hmm": model_dir / "en-us",
        "lm": model_dir / "en-us.lm.bin",
        "dict": model_dir / "cmudict-en-us.dict",
    }
    missing = [p.name for p in files.values() if not p.exists()]
    if missing:
        raise ModelError(f"PocketSphinx model folder {model_dir} lacks {', '.join(missing)}")
    return {key: str(path) for key, path in files.items()}


def jsgf_for(phrases: Sequence[str]) -> str:
    """Single words: any sequence of them. Phrases: exactly one of them, which keeps a large
    command list from matching noise as a run of short phrases."""
    cleaned = sorted({" ".join(p.lower().split()) for p in phrases if p.strip()})
    cleaned = [p for p in cleaned if "'" not in p] or cleaned  # an apostrophe breaks the whole JSGF search
    repeat = "+" if all(" " not in p for p in cleaned) else ""
    return f"#JSGF V1.0;\ngrammar command;\npublic <command> = ( {' | '.join(cleaned)} ){repeat} ;\n"


class SphinxUtterance:
    """Streaming decode of one utterance; the engine runs one at a time."""

    def __init__(self, engine: SphinxEngine, *, redecode: bool = False):
        self._engine = engine
        self._decoder = engine.decoder
        self._samples = 0
        self._decode_seconds = 0.0
        self._audio = bytearray()
        self._redecode_max = int(engine.redecode_max_seconds * engine.sample_rate * 2) if redecode else 0
        self._decoder.start_utt()
        engine.open_utterance = self

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        start = time.perf_counter()
        self._decoder.process_raw(pcm, False, False)
        self._samples += len(pcm) // 2
        if len(self._audio) < self._redecode_max:
            self._audio += pcm
        hyp = self._decoder.hyp()
        self._decode_seconds += time.perf_counter() - start
        return hyp.hypstr if hyp is not None else ""

    def finish(self) -> Transcript:
        start = time.perf_counter()
        self._decoder.end_utt()
        if 0 < len(self._audio) < self._redecode_max:  # a tap of the key gives no audio at all
            self._redecode_whole()
        self._engine.open_utterance = None
        words = tuple(self._words())
        self._decode_seconds += time.perf_counter() - start
        return Transcript(
            text=" ".join(w.word for w in words),
            words=words,
            engine=self._engine.name,
            model=self._engine.model,
            audio_seconds=self._samples / self._engine.sample_rate,
            decode_seconds=self._decode_seconds,
        )

    def _redecode_whole(self) -> None:
        """Live CMN starts from a generic guess, so the first utterance after start-up (often a short
        push-to-talk command) is misheard; decoding the whole short command again with batch CMN
        fixes that for a few tens of milliseconds. Partial results stay live."""
        self._decoder.start_utt()
        self._decoder.process_raw(bytes(self._audio), False, True)
        self._decoder.end_utt()

    def _words(self):
        self._decoder.get_prob()  # computes lattice posteriors, which seg().prob then reports
        for seg in self._decoder.seg() or ():  # None when the search found no path
            if _FILLERS.match(seg.word):
                continue
            yield Word(
                word=_ALT_PRONUNCIATION.sub("", seg.word),
                start=seg.start_frame / FRAMES_PER_SECOND,
                end=(seg.end_frame + 1) / FRAMES_PER_SECOND,
                conf=max(0.0, min(1.0, seg.prob)),
            )


class SphinxEngine:
    """Loads the acoustic model once; each start() picks the language model or a grammar."""

    name = "pocketsphinx"

    def __init__(self, config: SphinxConfig | None = None):
        from pocketsphinx import Decoder, get_model_path

        config = config or SphinxConfig()
        model_dir = config.model_dir or Path(get_model_path()) / "en-us"
        files = _model_files(model_dir)
        self.sample_rate = config.sample_rate
        self.redecode_max_seconds = config.redecode_max_seconds
        self.model = f"pocketsphinx/{model_dir.name}"
        try:
            passes = {} if config.second_pass else {"fwdflat": False, "bestpath": False}
            self.decoder = Decoder(**files, samprate=float(config.sample_rate), loglevel="FATAL", **passes)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"PocketSphinx could not load {model_dir}: {exc}") from exc
        self._default_search = self.decoder.current_search()
        self._grammars: dict[str, str] = {}
        self.open_utterance: SphinxUtterance | None = None

    def start(self, *, grammar: Sequence[str] | None = None, context: str = "") -> SphinxUtterance:
        """One decoder, one utterance at a time: an abandoned one (cancelled session) is ended first."""
        if self.open_utterance is not None:
            self.decoder.end_utt()
            self.open_utterance = None
        self.decoder.activate_search(self._grammar_search(grammar) if grammar else self._default_search)
        return SphinxUtterance(self, redecode=bool(grammar))

    def unknown_words(self, phrases: Sequence[str]) -> list[str]:
        words = {w for p in phrases for w in p.lower().split()}
        return sorted(w for w in words if self.decoder.lookup_word(w) is None)

    def _grammar_search(self, phrases: Sequence[str]) -> str:
        """Phrases with words the dictionary lacks are dropped (as Vosk does); none left is an error."""
        unknown = set(self.unknown_words(phrases))
        usable = [p for p in phrases if not unknown.intersection(p.lower().split())]
        if not usable:
            raise ModelError(f"not in the PocketSphinx dictionary: {', '.join(sorted(unknown))}")
        if unknown:
            log.info("grammar: %d words not in the dictionary were dropped", len(unknown))
        text = jsgf_for(usable)
        key = "g" + hashlib.sha1(text.encode()).hexdigest()[:12]
        if key not in self._grammars:
            self.decoder.add_jsgf_string(key, text)
            self._grammars[key] = text
        return key

    def close(self) -> None:
        self.decoder = None
