"""Build a tiny, randomly initialised Marian (OPUS-MT layout) model and convert it to CTranslate2.

No OPUS-MT model can be downloaded on the build machines, so the tests and the benchmark make
their own: SentencePiece models trained on a few hundred generated lines, a Marian ``model.npz``
with the same tensor names OPUS-MT ships, converted by ctranslate2's own OpusMTConverter. The
output is nonsense (random weights); the point is to exercise loading, tokenisation, batching,
caching and cancellation through the real engine, and to time it scaled by parameter count.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_WORD_TEXT = (
    "the a cat dog house tree river city morning evening friend teacher book letter table window is "
    "was will can runs reads writes sees opens closes likes walks sleeps quickly slowly today "
    "tomorrow here there very small big old new red green happy quiet and but with without in on"
)
WORDS = tuple(_WORD_TEXT.split())


@dataclass(frozen=True)
class TinyMarianSpec:
    d_model: int = 32
    ffn: int = 64
    heads: int = 2
    layers: int = 1
    vocab_size: int = 120
    lines: int = 400
    seed: int = 7
    extra_vocab: int = 0  # dummy tokens so the output layer has a real model's width
    spm_type: str = "unigram"
    extra_text: tuple[str, ...] = ()  # more SentencePiece training lines (whole words, as a 32k vocab has)

    def parameters(self, vocab: int) -> int:
        d, f, n = self.d_model, self.ffn, self.layers
        attention, ffn = 4 * d * d + 4 * d + 2 * d, 2 * d * f + f + 3 * d
        return vocab * d + vocab + n * (2 * attention + ffn) + n * (attention + ffn)


# The size of an OPUS-MT "transformer-align" model (~74M parameters, 58k shared vocabulary).
OPUS_MT_SIZE = TinyMarianSpec(d_model=512, ffn=2048, heads=8, layers=6, extra_vocab=58_000)


def _corpus(lines: int, rng: random.Random) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))).capitalize() + "." for _ in range(lines)]


def _train_spm(lines: list[str], prefix: Path, vocab_size: int, model_type: str) -> Path:
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=(buffer := io.BytesIO()),
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        model_type=model_type,
        character_coverage=1.0,
        minloglevel=2,
    )
    path = prefix.with_suffix(".spm")
    path.write_bytes(buffer.getvalue())
    return path


def _pieces(spm_path: Path) -> list[str]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=str(spm_path))
    return [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]


def _write_vocab(tokens: list[str], path: Path) -> None:
    lines = [f"{json.dumps(token, ensure_ascii=False)}: {index}" for index, token in enumerate(tokens)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _marian_config(spec: TinyMarianSpec) -> dict:
    return {
        "type": "transformer",
        "enc-depth": spec.layers,
        "dec-depth": spec.layers,
        "transformer-heads": spec.heads,
        "transformer-decoder-autoreg": "self-attention",
        "transformer-no-projection": False,
        "transformer-ffn-activation": "swish",
        "transformer-preprocess": "",
        "transformer-postprocess": "dan",
        "transformer-postprocess-emb": "d",
        "transformer-guided-alignment-layer": "last",
    }


def _attention(prefix: str, d: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    weights = {}
    for part in "qkvo":
        weights[f"{prefix}_W{part}"] = rng.normal(0, 0.2, (d, d)).astype(np.float32)
        weights[f"{prefix}_b{part}"] = np.zeros((1, d), np.float32)
    weights[f"{prefix}_Wo_ln_scale"] = np.ones((1, d), np.float32)
    weights[f"{prefix}_Wo_ln_bias"] = np.zeros((1, d), np.float32)
    return weights


def _ffn(prefix: str, d: int, ffn: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_ffn_W1": rng.normal(0, 0.2, (d, ffn)).astype(np.float32),
        f"{prefix}_ffn_b1": np.zeros((1, ffn), np.float32),
        f"{prefix}_ffn_W2": rng.normal(0, 0.2, (ffn, d)).astype(np.float32),
        f"{prefix}_ffn_b2": np.zeros((1, d), np.float32),
        f"{prefix}_ffn_ffn_ln_scale": np.ones((1, d), np.float32),
        f"{prefix}_ffn_ffn_ln_bias": np.zeros((1, d), np.float32),
    }


def _weights(spec: TinyMarianSpec, vocab: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(spec.seed)
    d = spec.d_model
    weights = {"Wemb": rng.normal(0, 0.5, (vocab, d)).astype(np.float32)}
    for layer in range(1, spec.layers + 1):
        weights |= _attention(f"encoder_l{layer}_self", d, rng) | _ffn(f"encoder_l{layer}", d, spec.ffn, rng)
        weights |= _attention(f"decoder_l{layer}_self", d, rng) | _ffn(f"decoder_l{layer}", d, spec.ffn, rng)
        weights |= _attention(f"decoder_l{layer}_context", d, rng)
    weights["decoder_ff_logit_out_b"] = np.zeros((1, vocab), np.float32)
    config = json.dumps(_marian_config(spec)).encode() + b"\0"  # YAML is a superset of JSON
    weights["special:model.yml"] = np.frombuffer(config, dtype=np.int8)
    return weights


def write_marian(folder: Path, spec: TinyMarianSpec = TinyMarianSpec()) -> Path:
    """An OPUS-MT style Marian folder: model.npz, decoder.yml, vocab.yml, source.spm, target.spm."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(spec.seed)
    lines = _corpus(spec.lines, rng) + list(spec.extra_text) * 20
    source_spm = _train_spm(lines, folder / "source", spec.vocab_size, spec.spm_type)
    shutil.copy(source_spm, folder / "target.spm")  # one shared SentencePiece model, as Argos packages have
    tokens = ["</s>", "<unk>", *_pieces(source_spm)]
    tokens += [f"<dummy{i}>" for i in range(spec.extra_vocab)]
    _write_vocab(tokens, folder / "vocab.yml")
    np.savez(folder / "model.npz", **_weights(spec, len(tokens)))
    (folder / "decoder.yml").write_text("models:\n  - model.npz\nvocabs:\n  - vocab.yml\n  - vocab.yml\n")
    return folder


def build_ct2_model(output: Path, *, quantization: str = "int8", spec: TinyMarianSpec = TinyMarianSpec()) -> Path:
    """Marian -> CTranslate2 with the converter OPUS-MT users run; the .spm files are copied beside."""
    from ctranslate2.converters import OpusMTConverter

    marian = write_marian(output.with_name(output.name + "-marian"), spec)
    OpusMTConverter(str(marian)).convert(str(output), quantization=quantization, force=True)
    for name in ("source.spm", "target.spm"):
        shutil.copy(marian / name, output / name)
    if spec.extra_vocab:  # the big .npz is only a conversion input
        shutil.rmtree(marian)
    return output


def build_argosmodel(ct2_folder: Path, archive: Path, *, source: str, target: str) -> Path:
    """An Argos Translate package: <name>/metadata.json, <name>/model/, <name>/sentencepiece.model."""
    root = f"translate-{source}_{target}-1_0"
    metadata = {"package_version": "1.0", "argos_version": "1.9", "from_code": source, "to_code": target}
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"{root}/metadata.json", json.dumps(metadata))
        bundle.write(ct2_folder / "source.spm", f"{root}/sentencepiece.model")
        for path in sorted(ct2_folder.iterdir()):
            if path.is_file() and path.suffix != ".spm":
                bundle.write(path, f"{root}/model/{path.name}")
    return archive
