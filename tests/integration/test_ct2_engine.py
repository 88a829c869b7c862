"""CTranslate2 through a real (tiny, random) Marian model the tests build themselves.

The model is an OPUS-MT style Marian model.npz converted by ctranslate2's OpusMTConverter to
int8, with SentencePiece models trained here. Its output is nonsense by design: these tests
check loading, tokenisation, batching, caching, cancellation and packaging, not quality.
"""

import json
import shutil
import subprocess
import sys

import pytest

from slm_desktop.bench.tiny_marian import build_argosmodel, build_ct2_model
from slm_desktop.cancel import Cancelled, CancelToken
from slm_desktop.engines.base import TranslationEngine
from slm_desktop.engines.ct2 import CT2Config, CT2Engine, find_ct2_models, prepare_model_folder
from slm_desktop.errors import ModelError
from slm_desktop.paths import AppPaths
from slm_desktop.translation import SentenceCache, discover, plan_route, translate_text


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    """models/opus-mt-en-de (CT2 folder) and models/translate-fr_en.argosmodel (Argos package)."""
    root = tmp_path_factory.mktemp("ct2")
    models = root / "models"
    folder = build_ct2_model(models / "opus-mt-en-de")
    shutil.rmtree(models / "opus-mt-en-de-marian")
    build_argosmodel(folder, models / "translate-fr_en.argosmodel", source="fr", target="en")
    return models


@pytest.fixture(scope="session")
def engine(models_dir):
    loaded = CT2Engine(models_dir / "opus-mt-en-de", CT2Config(threads=1, max_batch=4))
    yield loaded
    loaded.close()


class Counting:
    """Wraps the real engine to count the sentences that reach it."""

    def __init__(self, inner):
        self.inner, self.seen = inner, []

    def translate(self, sentences, **kwargs):
        self.seen += list(sentences)
        return self.inner.translate(sentences, **kwargs)


def test_loads_opus_mt_folder(engine, models_dir):
    assert isinstance(engine, TranslationEngine)
    [pair] = engine.pairs()
    assert (pair.source, pair.target, pair.engine) == ("en", "de", "ct2")
    assert sorted(p.name for p in (models_dir / "opus-mt-en-de").iterdir()) == [
        "config.json",
        "model.bin",
        "shared_vocabulary.json",
        "source.spm",
        "target.spm",
    ]


def test_tokenises_and_translates_in_batches(engine):
    sentences = [f"The old teacher reads a book number {i} today." for i in range(10)]
    results = list(engine.translate(sentences, source="en", target="de"))
    assert [r.index for r in results] == list(range(10))
    assert all(isinstance(r.text, str) and r.text.strip() for r in results)
    assert [r.source for r in results] == sentences
    solo = next(engine.translate(sentences[3:4], source="en", target="de"))
    assert solo.text == results[3].text  # batching does not change a greedy result


def test_wrong_pair_is_refused(engine):
    with pytest.raises(ModelError, match="en→de"):
        list(engine.translate(["Hello"], source="fr", target="de"))


def test_cancellation_between_batches(engine):
    token = CancelToken()
    stream = engine.translate([f"Sentence {i}." for i in range(12)], source="en", target="de", cancel=token)
    first = [next(stream) for _ in range(4)]  # the first batch of max_batch=4
    token.cancel()
    with pytest.raises(Cancelled):
        next(stream)
    assert len(first) == 4


def test_cache_avoids_retranslation(engine):
    route = plan_route(engine.pairs(), "en", "de")
    counting, cache, first, second = Counting(engine), SentenceCache(), [], []
    common = {"route": route, "engine_for": lambda p: counting, "cache": cache}
    translate_text("The cat sleeps. The dog runs.", on_sentence=first.append, **common)
    result = translate_text("The cat sleeps. A new line.", on_sentence=second.append, **common)
    assert counting.seen == ["The cat sleeps.", "The dog runs.", "A new line."]
    assert result.cached == 1 and second[0].text == first[0].text


def test_discovery_and_argos_package(models_dir, tmp_path):
    found = {(p.source, p.target): p for p in find_ct2_models([models_dir])}
    assert set(found) == {("en", "de"), ("fr", "en")}
    folder = prepare_model_folder(models_dir / "translate-fr_en.argosmodel", tmp_path / "unpacked")
    assert prepare_model_folder(models_dir / "translate-fr_en.argosmodel", tmp_path / "unpacked") == folder
    argos = CT2Engine(folder, pair=("fr", "en"))
    try:
        out = list(argos.translate(["Le petit chien."], source="fr", target="en"))
        assert len(out) == 1 and out[0].text
    finally:
        argos.close()


def test_catalog_pivots_through_english(models_dir, tmp_path):
    """fr→de has no model: fr→en (Argos package) then en→de (OPUS-MT folder), both real engines."""
    paths = AppPaths(tmp_path / "config", tmp_path / "data", models_env=models_dir)
    catalog = discover(paths, threads=1, engines=("ct2",))
    route = plan_route(catalog.pairs, "fr", "de")
    assert route.pivot and [s.target for s in route.steps] == ["en", "de"]
    engines = {}

    def engine_for(pair):
        key = catalog.engine_key(pair)
        if key not in engines:
            engines[key] = catalog.open(pair)
        return engines[key]

    result = translate_text("Le chat dort. Bonjour.", route=route, engine_for=engine_for, cache=SentenceCache())
    assert result.pivot and result.sentences == 2 and len(engines) == 2
    assert (tmp_path / "data" / "unpacked").is_dir()  # the package was unpacked under the data dir
    for loaded in engines.values():
        loaded.close()


def test_corrupt_model_folder_is_one_line(tmp_path):
    broken = tmp_path / "opus-mt-en-it"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"not a model at all")
    (broken / "source.spm").write_bytes(b"junk")
    (broken / "target.spm").write_bytes(b"junk")
    with pytest.raises(ModelError) as info:
        CT2Engine(broken)
    assert "opus-mt-en-it" in str(info.value) and "\n" not in str(info.value)


def test_folder_without_spm_is_one_line(models_dir, tmp_path):
    partial = tmp_path / "opus-mt-en-pt"
    shutil.copytree(models_dir / "opus-mt-en-de", partial)
    (partial / "target.spm").unlink()
    with pytest.raises(ModelError, match=r"target\.spm"):
        CT2Engine(partial)


def test_config_validates_beam_and_threads():
    with pytest.raises(ModelError):
        CT2Config(beam_size=5)
    with pytest.raises(ModelError):
        CT2Config(threads=-1)


def test_beam_four_runs(models_dir):
    beam = CT2Engine(models_dir / "opus-mt-en-de", CT2Config(threads=1, beam_size=4))
    try:
        assert next(beam.translate(["The cat sleeps."], source="en", target="de")).text
    finally:
        beam.close()


def test_cli_json_with_the_tiny_model(models_dir, isolated_env):
    env = dict(isolated_env, SLM_DESKTOP_MODELS=str(models_dir))
    cmd = [sys.executable, "-m", "slm_desktop", "translate", "--from", "en", "--to", "de", "--engine", "ct2", "--json"]
    done = subprocess.run([*cmd, "The cat sleeps. The dog runs."], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["engine"] == "ct2" and data["sentences"] == 2 and data["model"].endswith("opus-mt-en-de")
    assert {"text", "engine", "model", "sentences", "ms"} <= set(data)


def test_transformers_converted_opus_mt_gets_an_end_of_sentence_token(models_dir, tmp_path):
    """ct2-transformers-converter leaves add_source_eos off; Marian was trained with "</s>" at the end."""
    converted = tmp_path / "opus-mt-en-es"
    shutil.copytree(models_dir / "opus-mt-en-de", converted)
    config = json.loads((converted / "config.json").read_text())
    (converted / "config.json").write_text(json.dumps(config | {"add_source_eos": False}))
    hf_style = CT2Engine(converted, CT2Config(threads=1))
    marian_style = CT2Engine(models_dir / "opus-mt-en-de", CT2Config(threads=1))
    try:
        assert hf_style.tokenize("The cat.")[-1] == "</s>"
        assert marian_style.tokenize("The cat.")[-1] != "</s>"
        assert next(hf_style.translate(["The cat."], source="en", target="es")).text
    finally:
        hf_style.close()
        marian_style.close()


def test_blank_sentences_in_a_batch(engine):
    out = [t.text for t in engine.translate(["", "The cat sleeps.", "   "], source="en", target="de")]
    assert out[0] == "" and out[1] and out[2] == ""


def test_without_the_runtime_models_are_left_out_with_the_reason(models_dir, tmp_path, monkeypatch):
    """A build without CTranslate2 (`build.sh --exclude ctranslate2`): installed models must not break routing."""
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # what `import` and find_spec see in such a bundle
    paths = AppPaths(tmp_path / "config", tmp_path / "data", models_env=models_dir)
    catalog = discover(paths, threads=1)
    assert not [p for p in catalog.pairs if p.engine == "ct2"]
    assert catalog.note == "2 CTranslate2 model(s) need ctranslate2: pip install ctranslate2 sentencepiece"
    with pytest.raises(ModelError, match="CTranslate2 runtime is not installed \\(ctranslate2 missing\\)"):
        CT2Engine(models_dir / "opus-mt-en-de")


def test_cli_without_the_runtime_says_what_to_install_in_one_line(models_dir, isolated_env):
    env = dict(isolated_env, SLM_DESKTOP_MODELS=str(models_dir))
    hide = "import sys; sys.modules['ctranslate2'] = None; from slm_desktop.cli import main; sys.exit(main())"
    cmd = [sys.executable, "-c", hide, "translate", "--from", "en", "--to", "de", "--engine", "ct2", "Hello."]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "slm-desktop: No model for en→de installed. 2 CTranslate2 model(s) need ctranslate2: "
        "pip install ctranslate2 sentencepiece"
    ]
