"""vosk opens vosk/libvosk.so with cffi's dlopen next to its __init__; collect it there."""

from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("vosk", destdir="vosk")
hiddenimports = ["vosk.vosk_cffi", "_cffi_backend"]
# vosk.transcriber is the `vosk-transcriber` command line tool, not used by the app
excludedimports = ["vosk.transcriber"]
