"""Generalisation probe: phrasings written after the model was built, as a user might say them.

None of these is in resources/intents (train or test); they were written by hand without looking at the dataset's
phrasings, to check the model does more than memorise the generator's templates.
"""

import pytest

from slm_desktop.engines.intent_onnx import OnnxIntentEngine
from slm_desktop.paths import repo_root

PROBE = [
    ("i'd like to dictate now", "dictate_start"),
    ("start taking down my words", "dictate_start"),
    ("ok i'm finished you can stop listening", "dictate_stop"),
    ("end dictation mode", "dictate_stop"),
    ("translate this paragraph to german", "translate"),
    ("how would i say where is the bathroom in spanish", "translate"),
    ("can you put this text into french", "translate"),
    ("what's goodbye in japanese", "translate"),
    ("change the translation language to italian", "set_target_language"),
    ("i want the target to be korean", "set_target_language"),
    ("yes take that suggestion", "accept_suggestion"),
    ("accept the suggested text", "accept_suggestion"),
    ("start a new blank document please", "new_document"),
    ("make me a fresh note", "new_document"),
    ("open an existing note", "open_document"),
    ("let me open a document", "open_document"),
    ("please save what i've written", "save_document"),
    ("save the file now", "save_document"),
    ("undo the last thing i did", "undo"),
    ("oops go back", "undo"),
    ("redo that please", "redo"),
    ("redo the last undo", "redo"),
    ("select the entire thing", "select_all"),
    ("highlight all of the text please", "select_all"),
    ("copy the selected text to the clipboard", "copy"),
    ("copy that for me", "copy"),
    ("paste what's in the clipboard", "paste"),
    ("paste it right here", "paste"),
    ("erase all of the text", "clear_text"),
    ("delete everything on the page", "clear_text"),
    ("put the date in", "insert_date"),
    ("write today's date here", "insert_date"),
    ("insert the current time here", "insert_time"),
    ("put the time in", "insert_time"),
    ("make the font bigger please", "zoom_in"),
    ("increase the text size", "zoom_in"),
    ("make the font smaller please", "zoom_out"),
    ("could you shrink the letters a little", "zoom_out"),
    ("what commands can i use", "show_help"),
    ("how do i use voice commands", "show_help"),
    ("open the app settings", "open_settings"),
    ("show me the settings screen", "open_settings"),
    ("never mind forget it", "cancel"),
    ("cancel that please", "cancel"),
    ("what's the weather going to be tomorrow", "out_of_scope"),
    ("play my favorite song", "out_of_scope"),
    ("order a large pepperoni pizza", "out_of_scope"),
    ("tell me a joke about cats", "out_of_scope"),
    ("what is 12 times 12", "out_of_scope"),
    ("how are you doing today", "out_of_scope"),
    ("send a text to my brother", "out_of_scope"),
    ("open microsoft word", "out_of_scope"),
    ("who won the game last night", "out_of_scope"),
    ("book me a hotel in berlin", "out_of_scope"),
    ("what's the news today", "out_of_scope"),
    ("set an alarm for 8", "out_of_scope"),
    ("turn off the bedroom lights", "out_of_scope"),
    ("i want to buy new shoes", "out_of_scope"),
]


@pytest.fixture(scope="module")
def engine():
    eng = OnnxIntentEngine(repo_root() / "models" / "intent-minilm-int8", threads=2)
    yield eng
    eng.close()


def test_unseen_user_phrasings(engine):
    misses = [(text, gold, engine.classify(text).intent) for text, gold in PROBE]
    misses = [m for m in misses if m[1] != m[2]]
    assert len(misses) <= len(PROBE) * 0.08, misses


def test_probe_is_not_in_the_dataset():
    from slm_desktop.commands.evaluation import load_split

    known = {r["text"].lower().strip(" .!?") for r in load_split("train") + load_split("test")}
    assert not [text for text, _ in PROBE if text in known]
