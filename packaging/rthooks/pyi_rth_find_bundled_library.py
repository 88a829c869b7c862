"""Runtime hook: let ctypes.util.find_library() fall back to libraries inside the bundle on Linux.

PyInstaller patches find_library only on Windows and macOS. sounddevice looks PortAudio up with
find_library("portaudio"), so on a machine without the libportaudio2 package the frozen app would have no
microphone although the bundle carries libportaudio.so.2. The system's copy still wins when there is one
(it matches the system's ALSA/PulseAudio plugins).
"""

import ctypes.util
import glob
import os
import sys


def install(bundle_dir: str) -> None:
    system_find_library = ctypes.util.find_library

    def find_library(name: str):
        found = system_find_library(name)
        if found:
            return found
        bundled = sorted(glob.glob(os.path.join(bundle_dir, f"lib{name}.so*")))
        return bundled[0] if bundled else None

    ctypes.util.find_library = find_library


if getattr(sys, "frozen", False) and sys.platform.startswith("linux"):
    install(sys._MEIPASS)
