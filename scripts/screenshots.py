"""Render the main window with sample content and save PNGs (docs/). Runs offscreen or under Xvfb."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer

from slm_desktop import app as app_module
from slm_desktop.paths import AppPaths

SAMPLE = (
    "Dear team,\n\nThank you for the meeting yesterday. I have put together the notes from our discussion, "
    "and I would like to"
)


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    paths = AppPaths(config_dir=tmp / "config", data_dir=tmp / "data")
    paths.config_dir.mkdir(parents=True)
    # as on a laptop: low-power mode (automatic on <= 4 cores) would pause the ghost text during translation
    paths.settings_file.write_text('[ui]\nlow_power = "off"\n')
    scheme = os.environ.get("SLM_DESKTOP_THEME", "")
    qapp = app_module._application([], scheme=scheme)
    window = app_module.create_window(paths)
    window.resize(1200, 760)
    window.show()
    window.editor.setPlainText(SAMPLE)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    window.editor.setFocus()
    window.translation_panel.translate_text("Thank you for the meeting yesterday. The notes are attached.", "es")
    window.voice_bar.finalLabel.setText("and I would like to share them with you")
    window.command_bar.feedback.setText("Translate → Spanish, 94%")
    window.editor.setFocus()

    def shoot() -> None:
        if not qapp.property("shot"):
            qapp.setProperty("shot", True)
            window.grab().save(str(out / f"main-window{'-' + scheme if scheme else ''}.png"))
            if not scheme:
                shoot_find_bar()
        qapp.quit()

    def shoot_find_bar() -> None:
        window.find_bar.open_replace()
        window.find_bar.find_edit.setText("the")
        window.find_bar.replace_edit.setText("our")
        window.find_bar.find_next()
        window.grab().save(str(out / "find-replace.png"))

    # once the chips are filled (the model's first load is probed in a separate process, a few seconds on a
    # fresh profile), or after SLM_SCREENSHOT_DELAY_MS when suggestions are off
    if window.suggestions is not None:
        window.suggestions.wordsShown.connect(lambda words: words and QTimer.singleShot(300, shoot))
    QTimer.singleShot(int(os.environ.get("SLM_SCREENSHOT_DELAY_MS", "30000")), shoot)
    qapp.exec()
    window.services.worker.shutdown()
    print(out / f"main-window{'-' + scheme if scheme else ''}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs"))
