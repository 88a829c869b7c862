"""The intent label set, the Command a classified utterance becomes, and which commands need a confirmation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from slm_desktop.commands.shortcuts import shortcut_intent
from slm_desktop.commands.slots import language_name, parse_slots
from slm_desktop.engines.base import IntentEngine, IntentResult
from slm_desktop.errors import ModelError
from slm_desktop.paths import AppPaths

OUT_OF_SCOPE = "out_of_scope"
DEFAULT_MODEL = "intent-minilm-int8"  # folder name under models/ on the search path
# parse_heard: how sharply the recogniser's readings are told apart by their average log-probability
# per token (0: all alike; large: the best reading only); tuned on spoken training rows, docs/intent.md
READING_SHARPNESS = 3.0
# parse_heard: a best reading understood at least this surely is the command, whatever the other readings
# say (spoken training rows: 173 -> 175 of 200 commands, out-of-scope kept out unchanged; docs/speech.md)
TRUSTED_READING = 0.7

INTENT_LABELS: tuple[str, ...] = (
    "dictate_start",
    "dictate_stop",
    "translate",
    "set_target_language",
    "accept_suggestion",
    "new_document",
    "open_document",
    "save_document",
    "undo",
    "redo",
    "select_all",
    "copy",
    "paste",
    "clear_text",
    "insert_date",
    "insert_time",
    "zoom_in",
    "zoom_out",
    "show_help",
    "open_settings",
    "cancel",
    OUT_OF_SCOPE,
)

# Intents that destroy work: the UI confirms them (spoken "yes"/"no" or a click) and keeps them undoable.
# new_document only needs it when the document has unsaved changes; the window knows that, not the parser.
DESTRUCTIVE: frozenset[str] = frozenset({"clear_text", "new_document"})

# What the voice bar shows ("Translate → Spanish, 94%") and show_help lists, with one example each.
DISPLAY: dict[str, tuple[str, str]] = {
    "dictate_start": ("Start dictation", "start dictation"),
    "dictate_stop": ("Stop dictation", "stop dictation"),
    "translate": ("Translate", "translate this into Spanish"),
    "set_target_language": ("Set target language", "set the target language to German"),
    "accept_suggestion": ("Accept suggestion", "accept the suggestion"),
    "new_document": ("New document", "new document"),
    "open_document": ("Open document", "open a file"),
    "save_document": ("Save document", "save my work"),
    "undo": ("Undo", "undo that"),
    "redo": ("Redo", "redo"),
    "select_all": ("Select all", "select everything"),
    "copy": ("Copy", "copy this"),
    "paste": ("Paste", "paste"),
    "clear_text": ("Clear text", "clear the text"),
    "insert_date": ("Insert date", "insert today's date"),
    "insert_time": ("Insert time", "insert the time"),
    "zoom_in": ("Zoom in", "make the text bigger"),
    "zoom_out": ("Zoom out", "make the text smaller"),
    "show_help": ("Help", "what can I say?"),
    "open_settings": ("Settings", "open settings"),
    "cancel": ("Cancel", "never mind"),
    OUT_OF_SCOPE: ("Not a command", "what's the weather?"),
}


@dataclass(frozen=True)
class Command:
    """A classified utterance with its slots; what the window acts on."""

    intent: str
    confidence: float
    slots: Mapping[str, str] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()
    text: str = ""
    ms: float = 0.0

    @property
    def understood(self) -> bool:
        return self.intent != OUT_OF_SCOPE

    @property
    def destructive(self) -> bool:
        return self.intent in DESTRUCTIVE

    def summary(self) -> str:
        """'Translate → Spanish, 94%' for the voice bar."""
        title = DISPLAY.get(self.intent, (self.intent, ""))[0]
        target = self.slots.get("target")
        if target:
            title += f" → {language_name(target)}"
        return f"{title}, {round(self.confidence * 100)}%"

    def to_json(self) -> dict:
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "slots": dict(self.slots),
            "alternatives": [[label, round(conf, 4)] for label, conf in self.alternatives],
            "ms": round(self.ms, 3),
        }


def parse_command(engine: IntentEngine, text: str) -> Command:
    """classify + slots: the one call the window, the CLI and the voice bar make. A keyboard shortcut said
    on its own ("control z") is the intent of that key (commands/shortcuts.py), not the model's guess."""
    key = shortcut_intent(text)
    if key is not None:
        return _command(IntentResult(key, 1.0, ((key, 1.0),)), text)
    return _command(engine.classify(text), text)


def _command(result: IntentResult, text: str) -> Command:
    slots = parse_slots(result.intent, text)
    return Command(result.intent, result.confidence, MappingProxyType(slots), result.alternatives, text, result.ms)


def parse_heard(
    engine: IntentEngine,
    text: str,
    hypotheses: Sequence[tuple[str, float]] = (),
    *,
    sharpness: float = READING_SHARPNESS,
) -> Command:
    """A spoken command: every reading of the recogniser's n-best (text, average log-probability per
    token) is classified, and each intent's probability is averaged over the readings, weighted by
    softmax(sharpness x log-probability). So "mark out text", one letter from "mark all text" a close
    second reading, is understood as select_all where the best reading alone is no command. The reading
    that speaks most for the chosen intent is the command's text and carries its slots. A best reading
    understood surely (TRUSTED_READING) is taken as it is: averaging then only dilutes it with misreadings
    ("step back for me" beside "set mac for me")."""
    readings = [(t, s) for t, s in hypotheses if t.strip()]
    if len(readings) < 2 or shortcut_intent(readings[0][0]) is not None:
        return parse_command(engine, readings[0][0] if readings else text)
    first = engine.classify(readings[0][0])
    if first.intent != OUT_OF_SCOPE and first.confidence >= TRUSTED_READING:
        return _command(first, readings[0][0])
    top = max(s for _, s in readings)
    weights = [math.exp(sharpness * (s - top)) for _, s in readings]
    total = sum(weights)
    results = [first, *(engine.classify(t) for t, _ in readings[1:])]
    scores: dict[str, float] = {}
    support: list[dict[str, float]] = []
    for weight, result in zip(weights, results, strict=True):
        probs = dict(result.alternatives or ((result.intent, result.confidence),))
        support.append(probs)
        for label, p in probs.items():
            scores[label] = scores.get(label, 0.0) + weight / total * p
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, confidence = ranked[0]
    intent = best if confidence >= engine.threshold else OUT_OF_SCOPE
    chosen = max(range(len(readings)), key=lambda i: weights[i] * support[i].get(best, 0.0))
    heard = readings[chosen][0]
    alternatives = tuple((label, round(p, 4)) for label, p in ranked[:3])
    ms = sum(r.ms for r in results)
    return Command(intent, confidence, MappingProxyType(parse_slots(intent, heard)), alternatives, heard, ms)


def help_lines() -> list[str]:
    """What can be said, one line per intent, for show_help."""
    return [f"{title}: “{example}”" for label, (title, example) in DISPLAY.items() if label != OUT_OF_SCOPE]


def locate_model(paths: AppPaths, name: str = DEFAULT_MODEL) -> Path:
    """The intent model folder on the search path, or one clear ModelError."""
    found = paths.find_model(name)
    if found is None or not found.is_dir():
        where = ", ".join(str(p) for p in paths.model_search_path()) or "no model folder exists"
        raise ModelError(f"intent model '{name}' not found (searched: {where}); run slm-desktop-build-intent")
    return found


def self_test(paths: AppPaths) -> str:
    """Load the shipped int8 model and classify two commands whose answers are not in doubt."""
    from slm_desktop.diagnostics import NotInstalled
    from slm_desktop.engines.intent_onnx import OnnxIntentEngine

    try:
        folder = locate_model(paths)
    except ModelError as exc:
        raise NotInstalled(str(exc)) from exc
    engine = OnnxIntentEngine(folder, threads=1)
    try:
        save = parse_command(engine, "save the document")
        translate = parse_command(engine, "translate this into Spanish")
    finally:
        engine.close()
    if save.intent != "save_document" or translate.intent != "translate" or translate.slots.get("target") != "es":
        raise RuntimeError(f"unexpected answers: {save.intent}, {translate.intent} {dict(translate.slots)}")
    return f"{folder.name}: save_document {save.confidence:.2f}, translate → es ({save.ms:.1f} ms)"


def make_engine(paths: AppPaths, *, threads: int = 2, probe_cache: Path | None = None) -> IntentEngine:
    """Build the shipped int8 engine; called inside a worker lane, so the import stays off the GUI thread.
    With probe_cache, a model file not yet known to load is first loaded by onnxruntime in a throwaway
    process, so one that crashes it costs a status line, not the session."""
    from slm_desktop.engines.intent_onnx import OnnxIntentEngine
    from slm_desktop.memory import ensure_fits

    model = locate_model(paths)
    ensure_fits(model)
    if probe_cache is not None:
        from slm_desktop import isolation

        isolation.probe_first_load(isolation.load_onnx, model / "model.onnx", cache_file=probe_cache)
    return OnnxIntentEngine(model, threads=threads)


# Short, common ways to say each command: command mode restricts speech recognition to these
# (a small grammar is fast and far more accurate than free dictation on short commands).
SPOKEN_FORMS: tuple[str, ...] = (
    "start dictation",
    "dictation mode",
    "take a note",
    "stop dictation",
    "stop listening",
    "translate this",
    "translate the text",
    "translate the selection",
    "new document",
    "new note",
    "create a new document",
    "open a file",
    "open document",
    "save",
    "save the file",
    "save my work",
    "undo",
    "undo that",
    "redo",
    "redo that",
    "select all",
    "select everything",
    "copy",
    "copy this",
    "copy that",
    "paste",
    "paste it",
    "clear the text",
    "delete everything",
    "clear all",
    "insert the date",
    "insert today's date",
    "what's the date",
    "insert the time",
    "what time is it",
    "zoom in",
    "zoom out",
    "make the text bigger",
    "make the text smaller",
    "bigger",
    "smaller",
    "increase the font size",
    "decrease the font size",
    "help",
    "what can i say",
    "show help",
    "open settings",
    "settings",
    "preferences",
    "cancel",
    "never mind",
    "stop",
    "accept",
    "accept the suggestion",
    "accept suggestion",
    "take the suggestion",
    "yes",
    "no",
    "yes please",
    "no thanks",
)
SPOKEN_LANGUAGES: tuple[str, ...] = (
    "english",
    "spanish",
    "french",
    "german",
    "italian",
    "portuguese",
    "catalan",
    "dutch",
    "russian",
    "chinese",
    "japanese",
    "korean",
    "polish",
    "swedish",
    "arabic",
)


def command_vocabulary() -> list[str]:
    """The phrases command mode listens for, with "translate … into X" for common languages."""
    phrases = set(SPOKEN_FORMS)
    for language in SPOKEN_LANGUAGES:
        phrases.update(
            {
                f"translate this into {language}",
                f"translate into {language}",
                f"translate to {language}",
                f"set the target language to {language}",
                f"switch to {language}",
            }
        )
    return sorted(phrases)
