"""Shared fixtures of the Python package's tests: the corpus (../shared, which must exist: the
tests fail rather than skip without it) and its manifest, and the openrms command."""

import csv
import io
import os
import pathlib

import olefile
import pytest

SHARED = pathlib.Path(os.environ.get("OPENRMS_SHARED_DIR",
                                     pathlib.Path(__file__).resolve().parents[3] / "shared"))
CORPUS = SHARED / "corpus"


def manifest():
    path = CORPUS / "MANIFEST.tsv"
    if not path.exists():
        raise RuntimeError(f"the shared corpus is missing: {path}")
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def office_cases():
    """Office files of the corpus that decrypt with a known password: (file, password)."""
    cases = []
    for row in manifest():
        name = row["file"]
        if not name.startswith("office/") or "/expected/" in name:
            continue
        if not row["expected_result"].startswith("decrypts to"):
            continue
        cases.append((name, row["user_password"]))
    assert len(cases) >= 12, "the corpus lost its Office files"
    return cases


@pytest.fixture(scope="session")
def openrms_cli():
    """The openrms command (its path in $OPENRMS_CLI), for setting up stores and services."""
    cli = os.environ.get("OPENRMS_CLI")
    if not cli:
        raise RuntimeError("OPENRMS_CLI must name the openrms command")
    return cli


@pytest.fixture
def corpus():
    if not CORPUS.is_dir():
        raise RuntimeError(f"the shared corpus is missing: {CORPUS}")
    return CORPUS


def flip_in_package(data, at=600):
    """`data` (an encrypted OOXML compound file) with one bit flipped `at` bytes into the
    EncryptedPackage stream, found through olefile (a stream stored in regular sectors)."""
    data = bytearray(data)
    with olefile.OleFileIO(io.BytesIO(bytes(data))) as ole:
        entry = ole.direntries[ole._find("EncryptedPackage")]
        sector = entry.isectStart
        for _ in range(at // ole.sectorsize):
            sector = ole.fat[sector]
        data[(sector + 1) * ole.sectorsize + at % ole.sectorsize] ^= 0x01
    return bytes(data)
