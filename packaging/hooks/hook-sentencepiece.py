"""sentencepiece: the _sentencepiece extension is found by analysis. Its protobuf modules serve model
editing (a lazy import inside one function) and would drag protobuf in; the app only encodes/decodes."""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs

binaries = collect_dynamic_libs("sentencepiece")
excludedimports = ["sentencepiece.sentencepiece_pb2", "sentencepiece.sentencepiece_model_pb2", "google.protobuf"]
datas = collect_data_files("sentencepiece", includes=["package_data/*.bin"])  # normalisation rules
