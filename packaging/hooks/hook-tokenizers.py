"""tokenizers is one Rust extension module (tokenizers.abi3.so) plus pure-Python wrappers that import
its submodules dynamically; collect them so Tokenizer.from_file works in the bundle."""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("tokenizers", filter=lambda name: not name.startswith("tokenizers.tools"))
