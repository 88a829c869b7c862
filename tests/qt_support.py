"""Disposing of a main window on the GUI thread.

Qt objects must be destroyed on the thread that owns them. A closed window left to Python's
cyclic garbage collector can be collected on a worker lane thread (collection runs wherever an
allocation triggers it), which kills its timers from the wrong thread and crashes Qt later. So
each window is deleted explicitly, on the GUI thread.
"""

import gc

from PySide6.QtCore import QCoreApplication, QEvent


def dispose(window) -> None:
    window.editor.document().setModified(False)  # no unsaved-changes prompt in teardown
    window.close()
    window.services.worker.shutdown()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
