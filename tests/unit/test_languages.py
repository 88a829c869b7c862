"""Language detection through the real py3langid model: short and mixed texts, several scripts, and
"unknown" (never the previous answer, never a guess) when it is unsure."""

from __future__ import annotations

import pytest

from slm_desktop.languages import UNKNOWN, describe_unknown, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thank you very much", "en"),
        ("The cat is on the table and it is happy", "en"),
        ("Muchas gracias por todo", "es"),
        ("El gato está en la casa y es muy bonito", "es"),
        ("El gat és a la casa i això és molt bonic", "ca"),
        ("Merci beaucoup", "fr"),
        ("Danke schön", "de"),
        ("Obrigado pela ajuda", "pt"),
        ("Я не знаю, что сказать.", "ru"),
        ("Слава Україні, дякую", "uk"),
        ("Ευχαριστώ πολύ", "el"),
        ("שלום עולם", "he"),
        ("أنا أحب القراءة كثيرا", "ar"),
        ("मैं आज बहुत खुश हूँ", "hi"),
        ("สวัสดีครับ", "th"),
        ("東京は日本の首都です", "ja"),
        ("안녕하세요 반갑습니다", "ko"),
        ("你好，世界", "zh"),  # the model's Cantonese/Wu variants count as Chinese
        ("我今天很高兴见到你", "zh"),
    ],
)
def test_short_texts_in_several_scripts(text, expected):
    found = detect_language(text)
    assert (found.language, found.known) == (expected, True)
    assert 0.35 <= found.confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "too short"),
        ("1234 !!", "too short"),
        ("ok", "too short"),
        ("Hola", "unsure"),
        ("hello", "unsure"),
        ("Привет, как дела?", "unsure"),  # Russian, Bulgarian and Macedonian are all plausible
        ("Tokyo 東京 Moscow Москва", "unsure"),
        ("The meeting is at noon today. La reunión es al mediodía de hoy.", "mixed"),
        ("I will call you tomorrow morning. Je t'appellerai demain matin sans faute.", "mixed"),
    ],
)
def test_unknown_when_unsure_too_short_or_mixed(text, reason):
    found = detect_language(text)
    assert (found.language, found.reason, found.known, found.confidence) == (UNKNOWN, reason, False, 0.0)
    assert describe_unknown(found).startswith("Language unknown")


def test_the_installed_languages_decide_only_what_the_model_cannot():
    assert detect_language("Grazie mille").language == UNKNOWN
    assert detect_language("Grazie mille", candidates=("en", "it")).language == "it"
    # a clear answer is not bent towards the candidates: a Russian text is Russian without a ru pair
    assert detect_language("Я не знаю, что сказать.", candidates=("en", "es")).language == "ru"


def test_an_unsure_text_after_a_sure_one_is_unknown_not_the_previous_answer():
    assert detect_language("El gato está en la casa y es muy bonito").language == "es"
    assert detect_language("Hola").language == UNKNOWN
