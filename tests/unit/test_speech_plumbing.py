"""Pure logic around speech: WER, engine choice, the push-to-talk session with a fake utterance."""

from __future__ import annotations

import dataclasses
import pickle
import threading

import numpy as np
import pytest

from slm_desktop.audio.capture import Chunk
from slm_desktop.audio.ptt import PushToTalkSession, WavSource
from slm_desktop.bench.wer import corpus_wer, word_error_rate
from slm_desktop.config import SpeechSettings
from slm_desktop.engines.base import PartialText, Transcript, split_partial
from slm_desktop.engines.speech_select import choose_speech_engine, machine_tier
from slm_desktop.engines.sphinx_engine import jsgf_for
from slm_desktop.errors import ModelError, UserError
from slm_desktop.store.recommend import Hardware, SpeedSample, load_sample, save_sample
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


CAPABLE_PC = Hardware("x86_64", 2, 24000, 20000, ("avx2", "fma"))
PI5 = Hardware("aarch64", 4, 8000, 6000, ("dotprod", "neon"))
PI4 = Hardware("aarch64", 4, 4000, 3000, ("neon",))


@pytest.fixture
def no_shipped_models(monkeypatch):
    """Hide the checkout's models/ (set-up puts Whisper there) so each test decides what is installed."""
    monkeypatch.setattr("slm_desktop.paths.shipped_models_dirs", lambda: [])


def _whisper_folder(root, name: str, vocab: int) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"\0")
    (folder / "config.json").write_text('{"lang_ids": [1], "suppress_ids": [2]}', encoding="utf-8")
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    (folder / "vocabulary.txt").write_text("t\n" * vocab, encoding="utf-8")


@pytest.fixture
def paths_with_models(app_paths, no_shipped_models):
    models = app_paths.user_models_dir
    (models / "vosk-model-small-en-us-0.15").mkdir(parents=True)
    (models / "vosk-model-small-ko-0.22").mkdir(parents=True)
    return app_paths


@pytest.fixture
def paths_with_whisper(paths_with_models):
    _whisper_folder(paths_with_models.user_models_dir, "whisper-base", 51865)
    _whisper_folder(paths_with_models.user_models_dir, "whisper-tiny-en", 51864)
    return paths_with_models


def test_auto_prefers_whisper_base_on_a_capable_machine(paths_with_whisper):
    for language in ("en", "auto", "es"):
        choice = choose_speech_engine(SpeechSettings(language=language), paths_with_whisper, hardware=CAPABLE_PC)
        assert (choice.engine, choice.model.name, choice.language) == ("whisper", "whisper-base", language)


def test_auto_takes_tiny_en_for_english_on_a_modest_board_and_base_for_other_languages(paths_with_whisper):
    english = choose_speech_engine(SpeechSettings(language="en"), paths_with_whisper, hardware=PI5)
    spanish = choose_speech_engine(SpeechSettings(language="es"), paths_with_whisper, hardware=PI5)
    assert (english.model.name, spanish.model.name) == ("whisper-tiny-en", "whisper-base")


def test_auto_keeps_pocketsphinx_for_english_on_a_weak_board_or_a_starved_machine(paths_with_whisper):
    assert choose_speech_engine(SpeechSettings(language="en"), paths_with_whisper, hardware=PI4).engine == "vosk"
    slow = SpeedSample("SmolLM2", 98_000_000, 1.5, 2)
    tier_choice = choose_speech_engine(SpeechSettings(), paths_with_whisper, hardware=CAPABLE_PC, sample=slow)
    assert tier_choice.engine != "whisper"


def test_a_picked_vosk_model_wins_over_whisper(paths_with_whisper):
    picked = SpeechSettings(language="en", vosk_model="vosk-model-small-ko-0.22")
    choice = choose_speech_engine(picked, paths_with_whisper, hardware=CAPABLE_PC)
    assert (choice.engine, choice.model.name) == ("vosk", "vosk-model-small-ko-0.22")


def test_auto_uses_a_vosk_model_for_the_language_without_whisper(paths_with_models):
    choice = choose_speech_engine(SpeechSettings(language="ko"), paths_with_models, hardware=CAPABLE_PC)
    assert (choice.engine, choice.model.name) == ("vosk", "vosk-model-small-ko-0.22")
    english = choose_speech_engine(SpeechSettings(language="en"), paths_with_models, hardware=CAPABLE_PC)
    assert english.model.name == "vosk-model-small-en-us-0.15"
    assert english.key != choice.key


def test_a_missing_whisper_model_falls_back_to_pocketsphinx_naming_the_install_command(app_paths, no_shipped_models):
    choice = choose_speech_engine(SpeechSettings(language="en"), app_paths, hardware=CAPABLE_PC)
    assert (choice.engine, choice.model) == ("pocketsphinx", None)
    assert "slm-desktop models install whisper-base" in choice.message and "\n" not in choice.message
    with pytest.raises(ModelError, match=r"no Whisper model installed: install one with `slm-desktop models install"):
        choose_speech_engine(SpeechSettings(), app_paths, engine="whisper")


def test_the_whisper_engine_and_a_named_model(paths_with_whisper):
    settings = SpeechSettings(engine="whisper", whisper_model="whisper-tiny-en")
    assert choose_speech_engine(settings, paths_with_whisper).model.name == "whisper-tiny-en"
    with pytest.raises(ModelError, match="Whisper model 'whisper-small' not found"):
        choose_speech_engine(SpeechSettings(), paths_with_whisper, engine="whisper", model="whisper-small")


def test_tiny_en_gives_a_second_opinion_on_commands_beside_base_only(paths_with_whisper):
    beside_base = choose_speech_engine(SpeechSettings(language="en"), paths_with_whisper, hardware=CAPABLE_PC)
    assert beside_base.second_opinion.name == "whisper-tiny-en"
    assert beside_base.whisper_config().second_opinion_path == beside_base.second_opinion
    tiny_alone = choose_speech_engine(SpeechSettings(language="en"), paths_with_whisper, hardware=PI5)
    assert tiny_alone.model.name == "whisper-tiny-en" and tiny_alone.second_opinion is None
    assert beside_base.key != dataclasses.replace(beside_base, second_opinion=None).key


def test_no_second_opinion_when_turned_off_or_for_speech_that_is_not_english(paths_with_whisper):
    off = SpeechSettings(language="en", command_second_opinion=False)
    assert choose_speech_engine(off, paths_with_whisper, hardware=CAPABLE_PC).second_opinion is None
    spanish = choose_speech_engine(SpeechSettings(language="es"), paths_with_whisper, hardware=CAPABLE_PC)
    assert spanish.model.name == "whisper-base" and spanish.second_opinion is None
    detected = choose_speech_engine(SpeechSettings(language="auto"), paths_with_whisper, hardware=CAPABLE_PC)
    assert detected.second_opinion.name == "whisper-tiny-en"  # the engine asks it only of English speech


def test_only_the_command_paths_keep_the_second_opinion(paths_with_whisper, monkeypatch):
    """`slm-desktop command` keeps it; `transcribe` and live translation hear no commands and drop it."""
    import argparse

    from slm_desktop.engines.speech_select import SpeechChoice
    from slm_desktop.live import live_speech_engine
    from slm_desktop.subcommands.transcribe import _engine

    monkeypatch.setattr(SpeechChoice, "create", lambda choice: choice)  # the choice, not a loaded engine
    args = argparse.Namespace(paths=paths_with_whisper, engine="whisper", model="whisper-base", language="en")
    assert _engine(args, commands=True)[1].second_opinion.name == "whisper-tiny-en"
    assert _engine(args)[1].second_opinion is None
    chosen = choose_speech_engine(SpeechSettings(language="en"), paths_with_whisper, hardware=CAPABLE_PC)
    assert chosen.second_opinion is not None and live_speech_engine(chosen).second_opinion is None


def test_missing_models_and_engines_are_one_line_errors(app_paths, no_shipped_models):
    with pytest.raises(ModelError, match=r"no speech model for 'de'.*models install whisper-base"):
        choose_speech_engine(SpeechSettings(language="de"), app_paths, hardware=CAPABLE_PC)
    with pytest.raises(ModelError, match="no Vosk model"):
        choose_speech_engine(SpeechSettings(), app_paths, engine="vosk")
    with pytest.raises(ModelError, match="model folder not found"):
        choose_speech_engine(SpeechSettings(), app_paths, model="/nonexistent/vosk-model-x")
    with pytest.raises(UserError, match="unknown speech engine"):
        choose_speech_engine(SpeechSettings(), app_paths, engine="kaldi")


def test_machine_tiers():
    assert machine_tier(CAPABLE_PC) == "capable"
    assert machine_tier(PI5) == "modest"
    assert machine_tier(PI4) == "weak"
    assert machine_tier(CAPABLE_PC, SpeedSample("m", 1, 1.0, 2)) == "weak"


def test_the_speed_sample_round_trips_and_a_broken_file_is_none(tmp_path):
    sample = SpeedSample("SmolLM2", 98_362_432, 11.9, 2)
    save_sample(tmp_path, sample)
    assert load_sample(tmp_path) == sample
    (tmp_path / "machine-speed.toml").write_text("tokens_per_s = 'x'", encoding="utf-8")
    assert load_sample(tmp_path) is None


def test_partial_text_is_a_str_that_knows_its_committed_words():
    partial = PartialText("he was", "not an")
    assert partial == "he was not an" and split_partial(partial) == ("he was", "not an")
    assert split_partial("plain engines") == ("", "plain engines")
    assert pickle.loads(pickle.dumps(partial)).committed == "he was"


def test_meter_maps_rms_to_a_db_scale():
    assert meter_percent(0.0) == 0
    assert meter_percent(1.0) == 100
    assert meter_percent(0.001) == 0  # -60 dBFS
    assert 40 < meter_percent(0.05) < 70


class CountingUtterance:
    """Fake: records what it was fed; partial = number of chunks so far."""

    def __init__(self):
        self.fed: list[bytes] = []

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
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


class _ReleasingSource:
    """Delivers `blocks` chunks of quiet; the key goes up while the third read is waiting."""

    def __init__(self, session: PushToTalkSession, blocks: int = 5):
        self.session, self.reads, self.blocks = session, 0, blocks

    def preroll(self, pressed_at=None):
        return Chunk(b"", 0.0)

    def read(self, timeout: float = 0.05):
        self.reads += 1
        if self.reads == 3:
            self.session.release()
        return Chunk(bytes(640), 0.0) if self.reads <= self.blocks else None


class _PreviewRecorder(CountingUtterance):
    def __init__(self):
        super().__init__()
        self.previews: list[bool] = []

    def accept(self, pcm: bytes, *, preview: bool = True) -> str:
        self.previews.append(preview)
        return super().accept(pcm)


def test_audio_read_across_the_release_is_fed_without_a_preview():
    """A preview decode started after the key went up would make the final text wait for it."""
    session = PushToTalkSession()
    utterance = _PreviewRecorder()
    result = session.run(_ReleasingSource(session), utterance)
    assert utterance.previews == [True, True, False, False]  # the read during the release, then the rest
    assert result.transcript.audio_seconds == pytest.approx(4 * 640 / 2 / 16000)


class _WaitingSource:
    """A microphone between blocks: a read waits for the next block (here: up to 30 s) unless woken."""

    def __init__(self):
        self.woken = threading.Event()
        self.waiting = threading.Event()
        self.wait_ended_by_wake: list[bool] = []

    def preroll(self, pressed_at=None):
        return Chunk(b"", 0.0)

    def read(self, timeout: float = 0.05):
        self.waiting.set()
        self.wait_ended_by_wake.append(self.woken.wait(30))
        return None

    def wake(self) -> None:
        self.woken.set()


def test_a_release_wakes_a_read_waiting_for_the_next_block():
    """Waiting for the block after the release cost every release 10 ms on average (20 ms blocks)."""
    session = PushToTalkSession()
    source = _WaitingSource()
    results = []
    lane = threading.Thread(target=lambda: results.append(session.run(source, CountingUtterance())))
    lane.start()
    assert source.waiting.wait(10)
    session.release()
    lane.join(60)
    assert results and source.wait_ended_by_wake[0] is True


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


class _FileWhisper:
    """Stands in for the Whisper engine's two ways of taking a file."""

    sample_rate = 16000

    def __init__(self):
        self.calls: list[str] = []

    def transcribe_chunks(self, chunks, *, on_audio=None):
        self.calls.append("chunks")
        return Transcript("", (), "whisper", "fake", 0.0, 0.0)

    def start(self, *, grammar=None, context=""):
        self.calls.append(f"start:{len(grammar or ())}")

        class _Utterance:
            def accept(self, pcm, *, preview=True):
                return ""

            def finish(self):
                return Transcript("", (), "whisper", "fake", 0.0, 0.0)

        return _Utterance()


def test_a_command_file_reaches_whisper_with_its_vocabulary_and_plain_files_stream(tmp_path):
    from slm_desktop.bench.live import write_wav
    from slm_desktop.transcription import transcribe_file

    wav = tmp_path / "a.wav"
    write_wav(bytes(3200), wav)
    engine = _FileWhisper()
    transcribe_file(engine, wav)
    transcribe_file(engine, wav, grammar=["paste", "copy that"])
    assert engine.calls == ["chunks", "start:2"]
