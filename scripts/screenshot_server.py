"""Render Settings → "Use a server" with a real Test result and save docs/settings-server.png.

    python scripts/screenshot_server.py docs [URL [API_KEY]]

With a URL (e.g. a `python -m llama_cpp.server` on 127.0.0.1) the Test button is pressed and the shot
waits for its answer; without one the page is shown untested. Runs under Xvfb or offscreen.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(out_dir: str, url: str = "", key: str = "") -> int:
    from slm_desktop import app as app_module
    from slm_desktop.config import ServerSettings, Settings
    from slm_desktop.ui.settings_dialog import SettingsDialog
    from slm_desktop.worker import Worker

    qapp = app_module._application([], scheme=os.environ.get("SLM_DESKTOP_THEME", ""))
    worker = Worker()
    server = ServerSettings(enabled=True, url=url or "http://192.168.1.20:8080", translation=True, speech=False)
    dialog = SettingsDialog(Settings(server=server), worker=worker)
    dialog.tabs.setCurrentWidget(dialog.server_page)
    dialog.resize(640, 600)
    dialog.show()
    page = dialog.server_page
    page.key.setText(key)
    if url:
        page.test_button.click()
        deadline = time.monotonic() + 30
        while not page.test_result.text().startswith(("OK", "Failed")) and time.monotonic() < deadline:
            qapp.processEvents()
            time.sleep(0.01)  # a screenshot script, not the app: polling here blocks nothing
    for _ in range(20):
        qapp.processEvents()
    out = Path(out_dir) / "settings-server.png"
    dialog.grab().save(str(out))
    print(out, page.test_result.text())
    worker.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
