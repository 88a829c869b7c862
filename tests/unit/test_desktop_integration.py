"""The freedesktop entry, AppStream metainfo and icons that packaging installs."""

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from slm_desktop import __version__
from slm_desktop.paths import APP_NAME, resources_dir

DESKTOP = resources_dir() / f"{APP_NAME}.desktop"
METAINFO = resources_dir() / f"{APP_NAME}.metainfo.xml"
ICONS = resources_dir() / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_app_with_its_icon():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == APP_NAME
    assert entry["Icon"] == APP_NAME
    assert entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == APP_NAME
    assert (ICONS / f"{entry['Icon']}.svg").is_file()


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="apt install desktop-file-utils")
def test_desktop_file_validates():
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.lower()


def test_metainfo_parses_and_points_at_the_desktop_file():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == APP_NAME
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "Apache-2.0"
    assert root.find("releases/release").get("version") == __version__


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="apt install appstream")
def test_metainfo_validates():
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("size", PNG_SIZES)
def test_png_icon_has_its_size(size):
    data = (ICONS / "hicolor" / f"{size}x{size}" / f"{APP_NAME}.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (size, size)


def test_svg_icon_parses():
    root = ET.parse(ICONS / f"{APP_NAME}.svg").getroot()
    assert root.tag.endswith("svg")
    assert root.get("viewBox") == "0 0 256 256"
