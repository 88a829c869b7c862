"""CTranslate2: _ext links libctranslate2 (and libgomp) from ctranslate2.libs/ via RPATH $ORIGIN/../ctranslate2.libs
(auditwheel layout); PyInstaller's binary analysis resolves them, keep the folder layout explicit anyway.
The model converters (for Transformers/OpenNMT/fairseq checkpoints) are a build-time tool, not used at run time.
Its Python modules go to _internal/ctranslate2/ as files, not into the PYZ archive, so the whole package can ship
as the separate neural-translation add-on (build.sh) and the base bundle simply lacks the module."""

from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("ctranslate2")
excludedimports = ["ctranslate2.converters", "torch", "transformers", "tensorflow", "opennmt", "fairseq"]
module_collection_mode = "py"
