"""Pure logic around speech: WER, engine choice, the push-to-talk session with a fake utterance."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from slm_desktop.audio.ptt import PushToTalkSession, WavSource
from slm_desktop.bench.wer import corpus_wer, word_error_rate
from slm_desktop.config import SpeechSettings
from slm_desktop.engines.base import Transcript
from slm_desktop.engines.speech_select import choose_speech_engine
from slm_desktop.engines.sphinx_engine import jsgf_for
from slm_desktop.errors import ModelError, UserError
from slm_desktop.ui.voice import meter_percent


def test_word_error_rate_counts_substitutions_insertions_deletions():
    assert word_error_rate("he was not ill", "he was not ill") == 0
    assert word_error_rate("he was not ill", "he is not ill") == 0.25
    assert word_error_rate("he was not ill", "he was not") == 0.25
    assert word_error_rate("he was", "he was very very") == 1.0
    assert word_error_rate("He was, not!", "he was not") == 0
    assert corpus_wer([("a b c d", "a b c d"), ("e f", "x")]) == pytest.approx(2 / 6)


def test_jsgf_phrases_are_one_of_and_words_any_sequence():
    assert "( new note | open file ) ;" in jsgf_for(["New  Note", "open file", " "])
    assert "( one | three | two )+ ;" in jsgf_for(["one", "two", "three"])


def test_jsgf_drops_phrases_with_apostrophes_which_break_the_search():
    assert "today's" not in jsgf_for(["insert today's date", "insert the date"])


@pytest.fixture
def paths_with_models(app_paths):
    models = app_paths.user_models_dir
    (models / "vosk-model-small-en-us-0.15").mkdir(parents=True)
    (models / "vosk-model-small-ko-0.22").mkdir(parents=True)
    return app_paths


def test_auto_prefers_a_vosk_model_for_the_language(paths_with_models):
    choice = choose_speech_engine(SpeechSettings(language="ko"), paths_with_models)
    assert (choice.engine, choice.model.name) == ("vosk", "vosk-model-small-ko-0.22")
    english = choose_speech_engine(SpeechSettings(language="en"), paths_with_models)
    assert english.model.name == "vosk-model-small-en-us-0.15"
    assert english.key != choice.key


def test_auto_falls_back_to_embedded_english(app_paths):
    choice = choose_speech_engine(SpeechSettings(language="en"), app_paths)
    assert (choice.engine, choice.model) == ("pocketsphinx", None)


def test_missing_models_and_engines_are_one_line_errors(app_paths):
    with pytest.raises(ModelError, match="no speech model for 'de'"):
        choose_speech_engine(SpeechSettings(language="de"), app_paths)
    with pytest.raises(ModelError, match="no Vosk model"):
        choose_speech_engine(SpeechSettings(), app_paths, engine="vosk")
    with pytest.raises(ModelError, match="model folder not found"):
        choose_speech_engine(SpeechSettings(), app_paths, model="/nonexistent/vosk-model-x")
    with pytest.raises(UserError, match="unknown speech engine"):
        choose_speech_engine(SpeechSettings(), app_paths, engine="whisper")


def test_meter_maps_rms_to_a_db_scale():
    assert meter_percent(0.0) == 0
    assert meter_percent(1.0) == 100
    assert meter_percent(0.001) == 0  # -60 dBFS
    assert 40 < meter_percent(0.05) < 70


class CountingUtterance:
    """Fake: records what it was fed; partial = number of chunks so far."""

    def __init__(self):
        self.fed: list[bytes] = []

    def accept(self, pcm: bytes) -> str:
        self.fed.append(pcm)
        return f"chunk {len(self.fed)}"

    def finish(self) -> Transcript:
        samples = sum(len(p) for p in self.fed) // 2
        return Transcript(text="done", audio_seconds=samples / 16000)


def write_tone(path, seconds=1.0):
    import struct

    data = (np.sin(np.arange(int(16000 * seconds)) / 5) * 10000).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    body = b"WAVEfmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def test_session_feeds_everything_until_release_and_reports_figures(tmp_path):
    source = WavSource(write_tone(tmp_path / "t.wav"))
    utterance = CountingUtterance()
    session = PushToTalkSession()
    partials: list[str] = []
    levels: list[float] = []
    results = []
    lane = threading.Thread(
        target=lambda: results.append(
            session.run(source, utterance, on_partial=partials.append, on_level=levels.append)
        )
    )
    lane.start()
    while not source.exhausted:
        threading.Event().wait(0.001)
    session.release()
    lane.join(5)
    result = results[0]
    assert result.transcript.text == "done"
    assert result.audio_seconds == pytest.approx(1.0, abs=0.01)
    assert partials[0] == "chunk 1" and len(partials) == len(utterance.fed)
    assert min(levels[1:]) > 0.1  # levels[0]: the (empty) pre-roll
    assert result.first_partial_ms >= 0 and result.release_to_final_ms >= 0


def test_a_session_ends_itself_at_max_seconds_with_the_audio_up_to_there(tmp_path):
    source = WavSource(write_tone(tmp_path / "t.wav"))  # 1 s, never released by anyone
    utterance = CountingUtterance()
    limits: list[float] = []
    result = PushToTalkSession(max_seconds=0.5).run(source, utterance, on_limit=limits.append)
    assert result.hit_limit and limits == [0.5]
    assert sum(len(pcm) for pcm in utterance.fed) == 16000  # exactly 0.5 s of 16 kHz int16
    assert result.transcript.text == "done"


def test_a_session_released_before_its_limit_is_not_marked(tmp_path):
    session = PushToTalkSession(max_seconds=30)
    session.release()
    result = session.run(WavSource(write_tone(tmp_path / "t.wav")), CountingUtterance())
    assert not result.hit_limit


def test_a_cancelled_session_stops(tmp_path):
    from slm_desktop.cancel import Cancelled, CancelToken

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        PushToTalkSession().run(WavSource(write_tone(tmp_path / "t.wav")), CountingUtterance(), cancel=token)


class _NoPortAudio:
    """A meta-path finder that fails the way sounddevice does when libportaudio2 is absent."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


def test_missing_portaudio_names_the_debian_package(monkeypatch):
    import sys

    from slm_desktop.audio.capture import CaptureConfig, Microphone
    from slm_desktop.errors import AudioError

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])
    with pytest.raises(AudioError, match="install the Debian package libportaudio2"):
        Microphone(CaptureConfig())
