"""Self-test for Qt's ICU text services, which the packaged build trims to what Qt uses.

The bundle replaces ICU's 31 MB data library with a 5.5 MB one (packaging/trim_icu_data.py); if the
trimming ever drops collation data, file dialogs sort wrongly without any error, so this check asks for
two locale-specific orders that only ICU's tailoring data gives: Swedish sorts "ö" after "z", German
before it.
"""

from __future__ import annotations

from slm_desktop.paths import AppPaths


def check_qt_collation(paths: AppPaths) -> str:
    from PySide6.QtCore import QCollator, QLocale, QStringDecoder

    swedish = QCollator(QLocale("sv_SE")).compare("ö", "z")
    german = QCollator(QLocale("de_DE")).compare("ö", "z")
    natural = QCollator(QLocale("en_US"))
    natural.setNumericMode(True)
    if not (swedish > 0 > german and natural.compare("file10", "file9") > 0):
        raise RuntimeError(f"ICU collation data missing (sv {swedish}, de {german}): file lists would sort wrongly")
    if not QStringDecoder("windows-1252").isValid():
        raise RuntimeError("ICU codec data missing: windows-1252 is unknown")
    return "collation sv/de/numeric, windows-1252"
