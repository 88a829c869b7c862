"""GUI test fixtures: the real main window, and windows freed on the GUI thread."""

import gc

import pytest
from qt_support import dispose

from slm_desktop import app as app_module


@pytest.fixture(autouse=True)
def collect_closed_windows():
    """Collect the previous tests' closed windows now, on the GUI thread.

    A MainWindow sits in reference cycles (slots, controllers pointing back), so only the cyclic GC
    frees it, on whichever thread triggers a collection. On another thread (a worker lane, a test's
    pipe reader) the C++ delete cannot unregister the window's timers from the GUI thread, and a
    later timer tick segfaults in an unrelated test. (The app has one window for its lifetime.)
    """
    gc.collect()
    yield


@pytest.fixture
def window(qtbot, app_paths):
    """The real window (a test module may define its own `window`)."""
    win = app_module.create_window(app_paths)
    win.show()
    qtbot.waitExposed(win)
    yield win
    dispose(win)
