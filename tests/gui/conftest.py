"""The real main window for GUI tests (a test module may define its own `window`)."""

import pytest

from slm_desktop import app as app_module


@pytest.fixture
def window(qtbot, app_paths):
    win = app_module.create_window(app_paths)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.editor.document().setModified(False)  # no unsaved-changes prompt at teardown
    win.close()
    win.services.worker.shutdown()
