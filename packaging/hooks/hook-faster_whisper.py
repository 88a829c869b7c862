"""faster-whisper: the Silero VAD model (assets/silero_vad_v6.onnx, run by onnxruntime) is package data that
analysis cannot see. Its native parts come from their own hooks: CTranslate2 (hook-ctranslate2), PyAV (contrib's
hook-av: FFmpeg's libraries in av.libs/) and onnxruntime (contrib). huggingface_hub stays: faster_whisper.utils
imports it at import time, although the app only ever loads a local model folder and never downloads."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("faster_whisper", includes=["assets/*.onnx"])
hiddenimports = ["tqdm.auto"]
