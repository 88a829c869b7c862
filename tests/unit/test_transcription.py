"""Audio files to text: paragraphs at the speaker's pauses, clock times, which names count as recordings."""

from pathlib import Path

from slm_desktop.engines.base import Transcript, Word
from slm_desktop.transcription import as_paragraphs, clock, is_audio_name


def _transcript(*timed: tuple[str, float, float]) -> Transcript:
    words = tuple(Word(text, start, end, 0.9) for text, start, end in timed)
    return Transcript(" ".join(w.word for w in words), words)


def test_a_long_pause_after_a_sentence_starts_a_new_paragraph():
    said = _transcript(("We", 0.0, 0.2), ("agreed.", 0.3, 0.8), ("Next", 3.5, 3.8), ("item.", 3.9, 4.2))
    assert as_paragraphs(said) == "We agreed.\n\nNext item."


def test_a_pause_inside_a_sentence_or_a_short_one_after_it_keeps_the_paragraph():
    mid_sentence = _transcript(("We", 0.0, 0.2), ("agreed", 0.3, 0.8), ("that", 4.0, 4.2))
    short_pause = _transcript(("Done.", 0.0, 0.5), ("Then", 1.5, 1.8))
    assert as_paragraphs(mid_sentence) == "We agreed that"
    assert as_paragraphs(short_pause) == "Done. Then"


def test_a_question_or_a_quoted_sentence_end_counts_as_an_end():
    said = _transcript(("Ready?", 0.0, 0.5), ("Yes.", 3.0, 3.3), ('"Go."', 3.5, 3.8), ("Now", 6.5, 6.8))
    assert as_paragraphs(said) == 'Ready?\n\nYes. "Go."\n\nNow'


def test_without_word_times_the_text_stays_as_the_engine_gave_it():
    assert as_paragraphs(Transcript("  just the text  ")) == "just the text"


def test_clock_shows_hours_only_when_there_are_some_unless_asked():
    assert clock(5.9) == "0:05" and clock(125) == "2:05" and clock(3725) == "1:02:05"
    assert clock(180, hours=True) == "0:03:00"


def test_recordings_are_known_by_their_suffix_in_any_case():
    assert is_audio_name(Path("Memo.M4A")) and is_audio_name(Path("talk.opus")) and is_audio_name(Path("a.mp4"))
    assert not is_audio_name(Path("notes.txt")) and not is_audio_name(Path("wav"))


def test_a_pause_after_a_title_or_an_initial_keeps_the_paragraph():
    said = _transcript(("Ask", 0.0, 0.2), ("Dr.", 0.3, 0.6), ("Chen", 3.0, 3.3), ("and", 3.4, 3.5), ("J.", 3.6, 3.8))
    said = Transcript(said.text, (*said.words, Word("Smith.", 6.0, 6.4, 0.9), Word("Done", 9.0, 9.3, 0.9)))
    assert as_paragraphs(said) == "Ask Dr. Chen and J. Smith.\n\nDone"


def test_a_sentence_end_in_chinese_or_japanese_counts_as_an_end():
    said = _transcript(("会議は終わりました。", 0.0, 1.0), ("次に", 4.0, 4.5))
    assert as_paragraphs(said) == "会議は終わりました。\n\n次に"
