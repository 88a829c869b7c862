"""The qt-text self-test check: real ICU data passes, a collator without tailoring fails."""

import pytest
from PySide6.QtCore import QCollator

from slm_desktop.ui import text_check


def test_qt_collation_passes_with_the_installed_icu_data():
    assert "collation" in text_check.check_qt_collation(None)


def test_qt_collation_fails_when_locales_sort_alike(monkeypatch: pytest.MonkeyPatch):
    """What a bundle whose ICU data lost the collation tree would do: every locale sorts by code point."""

    class RootOnly(QCollator):
        def compare(self, a: str, b: str) -> int:
            return (a > b) - (a < b)

    monkeypatch.setattr("PySide6.QtCore.QCollator", RootOnly)
    with pytest.raises(RuntimeError, match="collation data missing"):
        text_check.check_qt_collation(None)
