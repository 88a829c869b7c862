"""CTranslate2 (core: Whisper speech through faster-whisper, and neural translation): _ext links libctranslate2
(and libgomp) from ctranslate2.libs/ via RPATH $ORIGIN/../ctranslate2.libs (auditwheel layout); PyInstaller's binary
analysis resolves them, keep the folder layout explicit anyway. The model converters (for Transformers/OpenNMT/fairseq
checkpoints) are a build-time tool, not used at run time."""

from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("ctranslate2")
excludedimports = ["ctranslate2.converters", "torch", "transformers", "tensorflow", "opennmt", "fairseq"]
