"""The real main window for GUI tests."""

import pytest
from qt_support import dispose

from slm_desktop import app as app_module


@pytest.fixture
def window(qtbot, app_paths):
    win = app_module.create_window(app_paths)
    win.show()
    qtbot.waitExposed(win)
    yield win
    dispose(win)
