"""Slots for translate / set_target_language: the target (and source) language and inline text to translate.

Rules, not a tagger: the phrasings are few and regular ("into german", "to French", "en español", "how do you
say good morning in Italian"), rules are exact and testable, and they run in microseconds. Languages come out
as ISO 639-1 codes; inline text keeps the user's casing.
"""

from __future__ import annotations

import re
import unicodedata

# code -> every spelling a user may say or type (English name first: it is the display name)
LANGUAGES: dict[str, tuple[str, ...]] = {
    "en": ("english",),
    "es": ("spanish", "español", "espanol", "castilian", "castellano"),
    "fr": ("french", "français", "francais"),
    "de": ("german", "deutsch"),
    "it": ("italian", "italiano"),
    "pt": ("portuguese", "português", "portugues", "brazilian portuguese"),
    "nl": ("dutch", "nederlands", "flemish"),
    "ja": ("japanese", "nihongo"),
    "zh": ("chinese", "mandarin", "mandarin chinese", "simplified chinese"),
    "ko": ("korean",),
    "ru": ("russian", "русский"),
    "ar": ("arabic",),
    "pl": ("polish", "polski"),
    "sv": ("swedish", "svenska"),
    "da": ("danish", "dansk"),
    "nb": ("norwegian", "norsk", "bokmål", "bokmal"),
    "fi": ("finnish", "suomi"),
    "tr": ("turkish", "türkçe", "turkce"),
    "el": ("greek",),
    "ca": ("catalan", "català", "catala"),
    "eu": ("basque", "euskara"),
    "gl": ("galician", "galego"),
    "hi": ("hindi",),
    "cs": ("czech", "čeština", "cestina"),
    "sk": ("slovak",),
    "sl": ("slovenian", "slovene"),
    "hr": ("croatian", "hrvatski"),
    "sr": ("serbian",),
    "bg": ("bulgarian",),
    "uk": ("ukrainian",),
    "ro": ("romanian", "română", "romana"),
    "hu": ("hungarian", "magyar"),
    "he": ("hebrew",),
    "fa": ("persian", "farsi"),
    "ur": ("urdu",),
    "bn": ("bengali", "bangla"),
    "ta": ("tamil",),
    "vi": ("vietnamese",),
    "th": ("thai",),
    "id": ("indonesian", "bahasa indonesia"),
    "ms": ("malay",),
    "tl": ("tagalog", "filipino"),
    "sw": ("swahili",),
    "ga": ("irish", "gaelic"),
    "cy": ("welsh",),
    "is": ("icelandic",),
    "et": ("estonian",),
    "lv": ("latvian",),
    "lt": ("lithuanian",),
    "eo": ("esperanto",),
    "la": ("latin",),
    "af": ("afrikaans",),
}

# ISO codes that are also English words are only trusted as "to/into XX" when not one of these.
_AMBIGUOUS_CODES = {"it", "is", "id", "hi", "he", "ms", "la", "ca", "ga", "am", "an", "as", "no", "to", "in", "uk"}

_NAME_TO_CODE = {name: code for code, names in LANGUAGES.items() for name in names}
_NAMES = "|".join(sorted((re.escape(n) for n in _NAME_TO_CODE), key=len, reverse=True))
_LANG = rf"(?:the\s+)?(?P<lang>{_NAMES})(?:\s+language)?"

_LEAD = r"^(?:(?:hey|ok|okay|um|uh|so|now|alright|please|computer|assistant|hey computer)[\s,]+)*"
_POLITE = r"(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|please\s+|i\s+(?:want|need|would like)\s+to\s+)?"
_TAIL = r"(?:[\s,]+(?:please|thanks|thank you|now|for me|right now|real quick|okay|ok))*[\s.!?]*$"

# Text that points at the editor rather than being the text itself ("translate this", "translate my notes").
_DEICTIC = re.compile(
    r"^(?:this|that|it|these|those|everything|all|all of it|all of this|the\s+\w+|my\s+\w+|"
    r"what\s+i\s+(?:just\s+)?(?:wrote|said|typed|selected|have)|selected\s+text|highlighted\s+text|"
    r"(?:this|that|the)\s+\w+(?:\s+\w+)?)$",
    re.IGNORECASE,
)
_MAX_DEICTIC_WORDS = 3  # "the meeting is at noon" is real text, "the whole document" points at the editor

_INLINE_PATTERNS = [
    rf"how\s+(?:do|would|can|should|could)\s+(?:you|i|we|one)\s+(?:say|write|spell)\s+(?P<text>.+?)"
    rf"(?:\s+(?:in|into)\s+{_LANG})?",
    rf"(?:tell\s+me\s+)?how\s+to\s+say\s+(?P<text>.+?)(?:\s+(?:in|into)\s+{_LANG})?",
    rf"what(?:'s|\s+is)\s+the\s+{_LANG}\s+(?:word\s+|phrase\s+|translation\s+)?for\s+(?P<text>.+?)",
    rf"(?:in\s+{_LANG}[\s,]+)how\s+(?:do|would)\s+you\s+say\s+(?P<text>.+?)",
    rf"(?:what(?:'s|\s+is)|what\s+would)\s+(?P<text>.+?)\s+(?:be\s+)?in\s+{_LANG}",
    rf"(?:say|tell\s+me|write)\s+(?P<text>.+?)\s+in\s+{_LANG}",
    rf"translate\s+(?P<text>.+?)(?:\s+(?:in|into|to)\s+(?:{_LANG}|[a-z]{{2}}))?",
]
_INLINE = [re.compile(_LEAD + _POLITE + p + _TAIL, re.IGNORECASE) for p in _INLINE_PATTERNS]

_TARGET = re.compile(rf"\b(?:into|to|in|en|auf|al|em)\s+{_LANG}\b", re.IGNORECASE)
_SOURCE = re.compile(rf"\bfrom\s+{_LANG}\b", re.IGNORECASE)
_ANY = re.compile(rf"\b{_LANG}\b", re.IGNORECASE)
_CODE = re.compile(r"\b(?:into|to|in)\s+(?P<code>[a-z]{2})\b(?:\s*[.!?]*\s*$)", re.IGNORECASE)


def language_code(name: str) -> str | None:
    """'German', 'deutsch', 'DE' -> 'de'; None when unknown."""
    key = " ".join(name.lower().split())
    if key in LANGUAGES:
        return key
    return _NAME_TO_CODE.get(key)


def language_name(code: str) -> str:
    """'de' -> 'German' (the English display name)."""
    return LANGUAGES[code][0].title() if code in LANGUAGES else code


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def target_language(text: str) -> str | None:
    """The language the user wants to translate into, or None."""
    text = _normal(text)
    for pattern in (_TARGET, _ANY):
        matches = [m for m in pattern.finditer(text) if not _is_source(text, m)]
        if matches:
            return _NAME_TO_CODE[matches[-1].group("lang").lower()]
    code = _CODE.search(text)
    if code and code.group("code").lower() in LANGUAGES and code.group("code").lower() not in _AMBIGUOUS_CODES:
        return code.group("code").lower()
    return None


def source_language(text: str) -> str | None:
    match = _SOURCE.search(_normal(text))
    return _NAME_TO_CODE[match.group("lang").lower()] if match else None


def _is_source(text: str, match: re.Match) -> bool:
    return any(s.start("lang") == match.start("lang") for s in _SOURCE.finditer(text))


def inline_text(text: str) -> str | None:
    """The words to translate when said inline ("how do you say good morning in Italian" -> "good morning")."""
    text = _normal(text)
    for pattern in _INLINE:
        match = pattern.match(text)
        if match:
            found = _clean_text(match.group("text"))
            return found if found and not _points_at_editor(found) else None
    return None


_LEFTOVER = re.compile(rf"(?:^|\s+)(?:from|to|into|in)\s+{_LANG}$", re.IGNORECASE)


def _clean_text(text: str) -> str:
    """Drop a language phrase the pattern left in ("to French", "from English") and quotes."""
    previous = None
    while previous != text:
        previous, text = text, _LEFTOVER.sub("", text)
    return text.strip(" \t\"'“”‘’«»,.").strip()


def _points_at_editor(text: str) -> bool:
    return len(text.split()) <= _MAX_DEICTIC_WORDS and bool(_DEICTIC.match(text))


def parse_slots(intent: str, text: str) -> dict[str, str]:
    """Slots for one classified command; empty for intents that take none."""
    if intent not in ("translate", "set_target_language") or not isinstance(text, str):
        return {}
    slots: dict[str, str] = {}
    target, source = target_language(text), source_language(text)
    if target:
        slots["target"] = target
    if source and source != target:
        slots["source"] = source
    if intent == "translate":
        inline = inline_text(text)
        if inline:
            slots["text"] = inline
    return slots
