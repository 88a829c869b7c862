"""PocketSphinx in a child process (live translation's engine) gives the same words as in-process,
reports failures as one line, and leaves no process behind."""

import pytest
from speech_support import librivox_references

from slm_desktop.audio.wav import iter_pcm16k
from slm_desktop.engines.remote import ProcessSpeechEngine
from slm_desktop.engines.sphinx_engine import SphinxConfig, SphinxEngine
from slm_desktop.errors import ModelError

SPHINX = "slm_desktop.engines.sphinx_engine:SphinxEngine"


def _decode(engine, wav):
    utterance = engine.start()
    partial = ""
    for pcm in iter_pcm16k(wav, rate=engine.sample_rate):
        partial = utterance.accept(pcm) or partial
    return partial, utterance.finish()


def test_child_process_decodes_like_the_engine_itself():
    wav = next(iter(librivox_references()))
    config = SphinxConfig(redecode_max_seconds=0, second_pass=False)
    local = SphinxEngine(config)
    remote = ProcessSpeechEngine(SPHINX, config)
    try:
        _, expected = _decode(local, wav)
        partial, transcript = _decode(remote, wav)
        assert transcript.text == expected.text and transcript.text
        assert partial  # partial results stream back while decoding
        assert [w.word for w in transcript.words] == [w.word for w in expected.words]
        assert remote.name == "pocketsphinx" and remote.sample_rate == 16000
    finally:
        local.close()
        remote.close()
    assert not remote._process.is_alive()


def test_a_bad_model_is_one_line_from_the_child(tmp_path):
    with pytest.raises(ModelError, match="lacks"):
        ProcessSpeechEngine(SPHINX, SphinxConfig(model_dir=tmp_path))


def test_a_dead_child_is_a_clear_error():
    remote = ProcessSpeechEngine(SPHINX, SphinxConfig())
    remote._process.kill()
    remote._process.join(5)
    with pytest.raises(ModelError, match="stopped"):
        remote.start()
    remote.close()
