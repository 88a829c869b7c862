"""The self-test's native-libraries check through the real installed engines."""

from slm_desktop import diagnostics


def test_the_real_libraries_load_in_this_environment():
    detail = diagnostics.check_native_libraries(None)
    for name in ("llama.cpp", "ctranslate2", "sentencepiece", "onnxruntime", "tokenizers", "vosk", "pocketsphinx"):
        assert name in detail
    assert "absent" not in detail
