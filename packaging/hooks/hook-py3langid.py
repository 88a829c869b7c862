"""py3langid's language model (data/model.npz.xz, 4.6 MB) is read from the package folder at run time."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("py3langid", includes=["data/*.npz.xz"])
