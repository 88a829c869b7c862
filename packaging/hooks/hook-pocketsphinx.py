"""PocketSphinx's embedded English model (acoustic model, language model, dictionary) lives in
pocketsphinx/model/ and is found through get_model_path() next to the package; collect it there.
The phone-loop language model (en-us-phone.lm.bin) is for phoneme alignment, which the app does not do."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files(
    "pocketsphinx",
    includes=["model/en-us/**"],
    excludes=["model/en-us/en-us-phone.lm.bin", "**/CMakeLists.txt"],
)
