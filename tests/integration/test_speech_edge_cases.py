"""Found by the soak test: an utterance with (almost) no audio must give empty text, not a TypeError."""

from __future__ import annotations

import pytest

from slm_desktop.engines.sphinx_engine import SphinxConfig, SphinxEngine


@pytest.fixture(scope="module")
def sphinx():
    engine = SphinxEngine(SphinxConfig())
    yield engine
    engine.close()


@pytest.mark.parametrize("pcm", [b"", b"\0" * 320], ids=["no audio", "10 ms of silence"])
def test_a_tap_of_the_talk_key_gives_an_empty_transcript(sphinx, pcm):
    utterance = sphinx.start()
    if pcm:
        utterance.accept(pcm)
    transcript = utterance.finish()
    assert transcript.text == "" and transcript.words == ()
