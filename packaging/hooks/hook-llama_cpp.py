"""llama-cpp-python loads llama_cpp/lib/libllama.so (and libggml.so) by path with ctypes, so the
analysis cannot see them. Collect each library once under its loaded name and its SONAME: the
wheel ships libX.so, libX.so.0 and libX.so.0.y.z as three full copies, not symlinks."""

from pathlib import Path

from PyInstaller.utils.hooks import get_package_paths

_, package_dir = get_package_paths("llama_cpp")
lib_dir = Path(package_dir) / "lib"

# loaded by name from Python: llama_cpp.llama_cpp and llama_cpp._ggml
LOADED = ("libllama", "libggml")
# needed through DT_NEEDED (SONAME, resolved by RUNPATH=$ORIGIN)
SONAMES = ("libggml.so.0", "libggml-base.so.0", "libggml-cpu.so.0")
# Windows and macOS wheels name them differently; take whatever exists there.
OTHER_SUFFIXES = (".dll", ".dylib")

binaries = []
for path in sorted(lib_dir.iterdir()) if lib_dir.is_dir() else []:
    name = path.name
    wanted = name in SONAMES or any(name == f"{base}.so" for base in LOADED)
    wanted = wanted or name.endswith(OTHER_SUFFIXES)
    if wanted:
        binaries.append((str(path), "llama_cpp/lib"))

# The OpenAI-compatible server and multimodal helpers are not used by the app.
excludedimports = ["llama_cpp.server"]
