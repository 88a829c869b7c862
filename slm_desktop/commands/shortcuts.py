"""Keyboard shortcuts said aloud: "control z", "press control shift z", "Ctrl+S", "hit escape".

People who know the keyboard say the key instead of the command, as voice-control tools let them ("press
control c"). The intent model learned phrasings, not key names, so a shortcut said on its own is read here,
by rule, as the intent its key does in the window (Qt's standard keys on Linux: Ctrl+N/O/S, Ctrl+Z,
Ctrl+Shift+Z or Ctrl+Y, Ctrl+A/C/V, Ctrl++/-, Ctrl+comma, F1, Esc). Only a whole utterance that is a
shortcut counts: "control the costs" or a sentence that mentions Ctrl+C is left to the model.
"""

from __future__ import annotations

import re

# spoken names of the keys after the modifiers, as recognisers write them
_KEY_NAMES = {
    "see": "c",
    "sea": "c",
    "vee": "v",
    "zed": "z",
    "zee": "z",
    "why": "y",
    "ay": "a",
    "oh": "o",
    "ess": "s",
    "en": "n",
    "plus": "+",
    "equals": "+",
    "equal": "+",
    "=": "+",
    "minus": "-",
    "dash": "-",
    "hyphen": "-",
    "comma": ",",
}

_CONTROL = {
    "n": "new_document",
    "o": "open_document",
    "s": "save_document",
    "z": "undo",
    "y": "redo",
    "a": "select_all",
    "c": "copy",
    "v": "paste",
    "+": "zoom_in",
    "-": "zoom_out",
    ",": "open_settings",
}
_CONTROL_SHIFT = {"z": "redo"}
_ALONE = {"f1": "show_help", "f 1": "show_help", "f one": "show_help", "escape": "cancel", "esc": "cancel"}

_POLITE = r"(?:please\s+)?(?:(?:press|hit|type|do|use|push)\s+)?"
_MODIFIER = r"control|ctrl|command|cmd|shift"
_SHORTCUT = re.compile(rf"^{_POLITE}(?P<mods>(?:(?:{_MODIFIER})\s*[+-]?\s*)+)(?P<key>[a-z]+|[+=,-])(?:\s+please)?$")
_ALONE_KEY = re.compile(rf"^{_POLITE}(?:the\s+)?(?P<key>f\s?1|f one|escape|esc)(?:\s+key)?(?:\s+please)?$")


def shortcut_intent(text: str) -> str | None:
    """The intent of a shortcut said on its own, or None if the text is not one."""
    said = _normalise(text)
    alone = _ALONE_KEY.match(said)
    if alone:
        return _ALONE[alone.group("key")]
    found = _SHORTCUT.match(said)
    if not found:
        return None
    mods = set(re.findall(_MODIFIER, found.group("mods")))
    if not mods - {"shift"}:
        return None  # shift alone is no shortcut of the window's
    key = _KEY_NAMES.get(found.group("key"), found.group("key"))
    table = _CONTROL_SHIFT if "shift" in mods else _CONTROL
    return table.get(key)


def _normalise(text: str) -> str:
    """Lower case, no end punctuation or commas between words ("Control, C." -> "control c")."""
    said = text.strip().lower()
    said = re.sub(r"[.!?]+$", "", said)
    said = re.sub(r"(?<=\w),\s+", " ", said)
    return re.sub(r"\s+", " ", said).strip()
