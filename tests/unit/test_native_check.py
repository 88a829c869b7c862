"""The self-test's native-libraries check: absent-by-design versus broken libraries."""

import pytest

from slm_desktop import diagnostics


def probes(monkeypatch: pytest.MonkeyPatch, **behaviours) -> None:
    def make(module, behaviour):
        def probe():
            if isinstance(behaviour, BaseException):
                raise behaviour
            return f"{module} {behaviour}"

        return probe

    monkeypatch.setattr(diagnostics, "_native_library_probes", lambda: {m: make(m, b) for m, b in behaviours.items()})


def test_all_loaded(monkeypatch):
    probes(monkeypatch, llama_cpp="1", vosk="2")
    assert diagnostics.check_native_libraries(None) == "llama_cpp 1; vosk 2"


def test_a_package_left_out_of_the_bundle_is_absent_not_failed(monkeypatch):
    probes(monkeypatch, llama_cpp="1", ctranslate2=ModuleNotFoundError("no ctranslate2", name="ctranslate2"))
    assert diagnostics.check_native_libraries(None) == "llama_cpp 1; ctranslate2 absent"


def test_a_missing_dependency_inside_a_package_fails(monkeypatch):
    probes(monkeypatch, llama_cpp=ModuleNotFoundError("No module named 'sqlite3'", name="sqlite3"))
    with pytest.raises(RuntimeError, match="llama_cpp: ModuleNotFoundError"):
        diagnostics.check_native_libraries(None)


def test_a_library_that_does_not_load_fails_with_one_line(monkeypatch):
    error = ImportError("IMPORTANT: read this\n\nOriginal error was: libopenblas.so: not page-aligned")
    probes(monkeypatch, onnxruntime=error, vosk=OSError("libvosk.so: cannot open shared object file"))
    with pytest.raises(RuntimeError) as failure:
        diagnostics.check_native_libraries(None)
    message = str(failure.value)
    assert "\n" not in message
    assert "onnxruntime: ImportError: Original error was: libopenblas.so: not page-aligned" in message
    assert "vosk: OSError: libvosk.so" in message
