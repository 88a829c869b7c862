"""The pure parts of the Whisper engine and of subtitles: agreement, seams, prompts, joined words, cues."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from slm_desktop.engines.base import Word
from slm_desktop.engines.whisper_engine import (
    GRAMMAR_PROMPT_CHARS,
    PROMPT_CHARS,
    _after_committed,
    _prompt,
    _segment_words,
    agreed_prefix,
    grammar_prompt,
    trim_padding,
)
from slm_desktop.subtitles import cues, to_srt, to_vtt


def _w(text: str, start: float, end: float) -> Word:
    return Word(text, start, end, 0.9)


def test_agreement_ignores_case_and_punctuation_and_stops_at_the_first_difference():
    assert agreed_prefix(["He", "was", "not."], ["he", "was,", "not", "an"]) == 3
    assert agreed_prefix(["he", "was"], ["she", "was"]) == 0
    assert agreed_prefix([], ["he"]) == 0


def test_words_after_the_committed_ones_by_time_and_without_a_repeated_seam():
    committed = [_w("he", 0.0, 0.2), _w("was", 0.2, 0.5)]
    fresh = [_w("he", 0.0, 0.2), _w("was", 0.2, 0.5), _w("not", 0.5, 0.8)]
    assert [w.word for w in _after_committed(committed, fresh)] == ["not"]
    shifted = [_w("was", 0.45, 0.6), _w("not", 0.6, 0.8)]  # times moved a little: the n-gram check drops "was"
    assert [w.word for w in _after_committed(committed, shifted)] == ["not"]
    assert _after_committed([], fresh) == fresh


def test_the_prompt_is_the_end_of_the_context_cut_at_a_word():
    long = "word " * 300 + "Ada Lovelace wrote"
    prompt = _prompt(long)
    assert prompt.endswith("Ada Lovelace wrote") and len(prompt) <= PROMPT_CHARS and not prompt.startswith(" ")
    assert _prompt("  ") is None


def test_pieces_without_a_leading_space_join_the_word_before():
    raw = [(" He", 0.0, 0.2), (" was", 0.2, 0.4), (" ill", 0.4, 0.6), ("-disposed.", 0.6, 1.0)]
    segment = SimpleNamespace(words=[SimpleNamespace(word=t, start=s, end=e, probability=0.8) for t, s, e in raw])
    words = _segment_words(segment, offset=10.0)
    assert [w.word for w in words] == ["He", "was", "ill-disposed."]
    assert (words[-1].start, words[-1].end) == (10.4, 11.0)


def test_cues_break_at_sentence_ends_and_pauses_but_not_after_mr():
    words = [
        _w("Mr.", 0.0, 0.3),
        _w("Smith", 0.3, 0.6),
        _w("came.", 0.6, 1.0),
        _w("Then", 3.0, 3.2),
        _w("left", 3.2, 3.5),
    ]
    assert [c.text for c in cues(words)] == ["Mr. Smith came.", "Then left"]
    assert to_srt(words).startswith("1\n00:00:00,000 --> 00:00:01,000\nMr. Smith came.\n\n2\n00:00:03,000")
    assert to_vtt(words).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nMr. Smith came.\n")


def test_a_cue_ends_after_a_quoted_sentence_but_not_at_an_initial():
    words = [
        _w("John", 0.0, 0.2),
        _w("F.", 0.2, 0.4),
        _w("Kennedy", 0.4, 0.8),
        _w('said "no."', 0.8, 1.2),
        _w("Then", 1.3, 1.5),
    ]
    assert [c.text for c in cues(words)] == ['John F. Kennedy said "no."', "Then"]


def _padded(audible_frames: int, frames: int = 3000) -> np.ndarray:
    features = np.zeros((1, 80, frames), dtype=np.float32)
    features[..., :audible_frames] = -0.5  # log-mel of quiet audio: never exactly zero
    return features


def test_the_encoder_input_keeps_the_audio_and_the_margin_rounded_up_to_a_second():
    trimmed = trim_padding(_padded(300), margin_frames=600)
    assert trimmed.shape == (1, 80, 900) and trimmed.flags["C_CONTIGUOUS"]
    assert trim_padding(_padded(301), margin_frames=600).shape[-1] == 1000
    assert np.array_equal(trimmed[..., :300], _padded(300)[..., :300])


def test_a_full_window_or_one_near_full_is_not_trimmed():
    full = _padded(3000)
    assert trim_padding(full, margin_frames=600) is full
    near = _padded(2500)
    assert trim_padding(near, margin_frames=600) is near


def test_the_command_prompt_holds_each_vocabulary_word_once_and_fits_whispers_prompt():
    prompt = grammar_prompt(["save the file", "Save my work", "paste it"])
    assert prompt == "Editor commands: file it my paste save the work."
    many = grammar_prompt([f"word{i} phrase{i}" for i in range(400)])
    assert len(many) <= GRAMMAR_PROMPT_CHARS + len("Editor commands: .") and not many.endswith(" .")


def test_the_apps_command_vocabulary_fits_the_prompt_whole():
    """It used to be cut at 400 characters, which dropped every word after "smaller": "translate",
    "undo", "zoom" never reached Whisper."""
    from slm_desktop.commands.intents import command_vocabulary

    prompt = grammar_prompt(command_vocabulary())
    words = {w for phrase in command_vocabulary() for w in phrase.lower().split()}
    assert set(prompt.removeprefix("Editor commands: ").removesuffix(".").split()) == words


def test_a_cue_longer_than_a_line_is_two_balanced_lines():
    line = "And Mr. John Dashwood had then leisure to consider how much there might be prudently"
    said = line.split(" ")
    words = [_w(word, i * 0.3, i * 0.3 + 0.25) for i, word in enumerate(said)]
    (cue,) = cues(words)
    first, second = cue.text.split("\n")
    assert f"{first} {second}" == " ".join(said)
    assert max(len(first), len(second)) <= 42 and abs(len(first) - len(second)) <= 6
    assert cues([_w("Short", 0.0, 0.3), _w("cue.", 0.3, 0.6)])[0].text == "Short cue."
