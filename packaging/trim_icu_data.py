"""Replace the bundle's 31 MB ICU data library with a 5.5 MB one that holds what Qt uses.

QtCore links ICU for three things: collation (QCollator, which sorts the file dialog), text codecs beyond
UTF-8/16/32 and Latin-1 (QStringDecoder), and time-zone display names. Its locale data (QLocale), break
iteration and case tables are Qt's own. So the collation tree, ICU's structural tables and the single-byte
codecs stay; per-locale display data (currency, language, region, unit and zone names, spelled-out
numbers), transliteration, break iterators, character names and the large CJK codecs go. ICU's own tools
(icupkg and genccode, Debian package icu-devtools) repack the data; the C compiler links it into a library
with the same SONAME and entry symbol. The frozen self-test's qt-collation check proves the result.

    python packaging/trim_icu_data.py dist/slm-desktop/_internal/PySide6/Qt/lib/libicudata.so.73
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DROPPED_TREES = ("curr/", "lang/", "region/", "unit/", "zone/", "rbnf/", "translit/", "brkitr/")
LOCALE_BUNDLE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")  # "de_AT.res"; never root/pool/metadata
DROPPED_FILES = {"unames.icu"}  # character names (u_charName): Qt never asks
LARGEST_KEPT_CODEC = 16 * 1024  # single-byte codepages are 1-3 KB; CJK ones are 50-530 KB
TOOLS = ("icupkg", "genccode", "cc", "nm", "readelf")


def run(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"trim-icu: {Path(str(args[0])).name} failed: {(result.stderr or result.stdout).strip()[:400]}")
    return result.stdout


def entry_symbol(library: Path) -> tuple[str, int, int]:
    """ICU's data library exports one symbol, icudtNN_dat: (name, address, size)."""
    for line in run("nm", "-D", "-S", "--defined-only", library).splitlines():
        fields = line.split()
        if len(fields) == 4 and re.fullmatch(r"icudt\d+_dat", fields[3]):
            return fields[3], int(fields[0], 16), int(fields[1], 16)
    sys.exit(f"trim-icu: {library.name} exports no icudtNN_dat symbol; not an ICU data library")


def file_offset(library: Path, address: int) -> int:
    """Map the symbol's address to its place in the file through the section table."""
    for line in run("readelf", "-SW", library).splitlines():
        match = re.search(r"\]\s+\S+\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if match:
            start, offset, size = (int(group, 16) for group in match.groups())
            if start <= address < start + size:
                return offset + address - start
    sys.exit(f"trim-icu: no section of {library.name} holds the data symbol")


def extract_package(library: Path, work: Path) -> Path:
    """Write the embedded .dat package under its own name (icudt73l.dat: icupkg names items after the file)."""
    symbol, address, size = entry_symbol(library)
    with library.open("rb") as handle:
        handle.seek(file_offset(library, address))
        blob = handle.read(size)
    match = re.search(rb"(icudt\d+[lbe])/", blob[: 1 << 16])
    if not match:
        sys.exit(f"trim-icu: {symbol} does not look like an ICU data package")
    package = work / "in" / f"{match.group(1).decode()}.dat"
    package.parent.mkdir()
    package.write_bytes(blob)
    return package


def items_to_drop(package: Path) -> list[str]:
    items = run("icupkg", "-l", package).split()
    sizes = item_sizes(package, items)
    return [
        item
        for item in items
        if item.startswith(DROPPED_TREES)
        or LOCALE_BUNDLE.match(item)
        or item in DROPPED_FILES
        or (item.endswith(".cnv") and sizes[item] > LARGEST_KEPT_CODEC)
    ]


def item_sizes(package: Path, items: list[str]) -> dict[str, int]:
    codecs = [item for item in items if item.endswith(".cnv")]
    folder = package.parent / "items"
    folder.mkdir()
    listing = folder / "codecs.txt"
    listing.write_text("\n".join(codecs) + "\n")
    run("icupkg", "-x", listing, "-d", folder, package)
    return {item: (folder / item).stat().st_size for item in codecs}


def repack(package: Path, dropped: list[str], work: Path) -> Path:
    """icupkg refuses to leave an item whose base item is gone (windows-950 on ibm-1373): drop those too."""
    out = work / "out" / package.name
    out.parent.mkdir()
    listing = work / "drop.txt"
    for _ in range(5):
        listing.write_text("\n".join(dropped) + "\n")
        result = subprocess.run(["icupkg", "-r", str(listing), str(package), str(out)], capture_output=True, text=True)
        dependents = re.findall(r"Item (\S+) depends on missing item", result.stdout + result.stderr)
        if result.returncode == 0 and not dependents:
            return out
        if not dependents:
            sys.exit(f"trim-icu: icupkg failed: {(result.stderr or result.stdout).strip()[:400]}")
        dropped = sorted(set(dropped) | set(dependents))
    sys.exit("trim-icu: icupkg kept finding dependent items; giving up")


def link_library(package: Path, library: Path, work: Path) -> Path:
    symbol, _, _ = entry_symbol(library)
    soname = run("readelf", "-dW", library)
    soname = re.search(r"Library soname: \[([^\]]+)\]", soname).group(1)
    run("genccode", "-q", "-a", "gcc", "-e", symbol.removesuffix("_dat"), "-d", work, package)
    assembly = next(work.glob("*.S"))
    built = work / soname
    run("cc", "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-Wl,-z,noexecstack", "-o", built, assembly)
    return built


def trim(library: Path) -> tuple[int, int]:
    with tempfile.TemporaryDirectory(prefix="trim-icu-") as tmp:
        work = Path(tmp)
        package = extract_package(library, work)
        small = repack(package, items_to_drop(package), work)
        built = link_library(small, library, work)
        before, after = library.stat().st_size, built.stat().st_size
        shutil.copyfile(built, library)
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=Path, help="libicudata.so.NN inside the bundle")
    args = parser.parse_args()
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        sys.exit(f"trim-icu: {', '.join(missing)} not found (apt install icu-devtools gcc binutils)")
    if not args.library.is_file():
        sys.exit(f"trim-icu: {args.library} not found")
    before, after = trim(args.library)
    print(f"trim-icu: {args.library.name} {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
