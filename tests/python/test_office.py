"""openrms.office: round trips, the corpus, errors, streaming through file objects, threads."""

import io
import os
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import msoffcrypto  # the independent implementation (Debian's python3-msoffcrypto-tool)
import pytest

import openrms
import openrms.office as office
from conftest import CORPUS, flip_in_package

AGILE = "office/msoffcrypto__example_password.docx"
AGILE_PLAIN = "office/expected/msoffcrypto__example.docx"
STANDARD = "office/msoffcrypto__ecma376standard_password.docx"
STANDARD_PLAIN = "office/expected/msoffcrypto__ecma376standard_password_plain.docx"


def read(name):
    return (CORPUS / name).read_bytes()


def make_package(size):
    """An OOXML-shaped ZIP of about `size` bytes of incompressible data."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.bin", os.urandom(size))
    return buf.getvalue()


def msoffcrypto_decrypt(data, password, verify_integrity=False):
    out = io.BytesIO()
    f = msoffcrypto.OfficeFile(io.BytesIO(data))
    f.load_key(password=password)
    f.decrypt(out, verify_integrity=verify_integrity)
    return out.getvalue()


@pytest.mark.parametrize("encrypted,plain", [(AGILE, AGILE_PLAIN), (STANDARD, STANDARD_PLAIN)])
def test_corpus_decrypts_to_msoffcrypto_output(encrypted, plain, tmp_path):
    want = read(plain)
    # bytes in, bytes out
    r = office.decrypt(read(encrypted), password="Password1234_")
    assert r.data == want and r.size == len(want)
    assert r.scheme == ("agile" if encrypted == AGILE else "standard")
    assert r.integrity_verified == (encrypted == AGILE)
    # path in, path out
    out = tmp_path / "plain.docx"
    r = office.decrypt(CORPUS / encrypted, out, "Password1234_")
    assert r.data is None and out.read_bytes() == want
    # file objects in and out
    sink = io.BytesIO()
    with open(CORPUS / encrypted, "rb") as f:
        office.decrypt(f, sink, "Password1234_")
    assert sink.getvalue() == want


def test_round_trip_and_msoffcrypto_opens_it(tmp_path):
    plain = make_package(300_000)
    enc = office.encrypt(plain, None, "pässwörd", hash="sha256", spin_count=1000)
    assert enc[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    info = office.info(enc)
    assert info["encryption"] == "agile" and info["hash"] == "SHA256"
    assert info["key_encryptors"][0]["spin_count"] == 1000
    assert office.is_encrypted(enc) and not office.is_encrypted(plain)
    assert msoffcrypto_decrypt(enc, "pässwörd", verify_integrity=True) == plain
    assert office.decrypt(enc, password="pässwörd").data == plain
    # Standard encryption, between paths
    src, dst = tmp_path / "p.docx", tmp_path / "s.docx"
    src.write_bytes(plain)
    office.encrypt(src, dst, "pw", method="standard")
    assert office.info(dst)["encryption"] == "standard"
    assert msoffcrypto_decrypt(dst.read_bytes(), "pw") == plain


def test_errors_are_typed_and_leave_no_file(tmp_path):
    out = tmp_path / "out.docx"
    with pytest.raises(openrms.WrongPasswordError) as e:
        office.decrypt(CORPUS / AGILE, out, "Guess-Number-7")
    assert isinstance(e.value, openrms.Error) and e.value.code == "wrong_password"
    assert e.value.number == 3
    assert "Guess-Number-7" not in str(e.value) and len(str(e.value)) > 10
    assert not out.exists()
    with pytest.raises(openrms.BadFormatError):
        office.decrypt(b"PK\x03\x04 not really a zip" * 10, None, "x")
    with pytest.raises(openrms.InvalidArgumentError) as e:
        office.encrypt(make_package(10), None, "x", hash="md5")
    assert isinstance(e.value, ValueError)
    with pytest.raises(openrms.InvalidArgumentError):
        office.encrypt(make_package(10), None, "")
    with pytest.raises(openrms.IoError) as e:
        office.decrypt(tmp_path / "missing.docx", None, "x")
    assert isinstance(e.value, OSError)
    with pytest.raises(openrms.InvalidArgumentError):
        office.decrypt(12345, None, "x")


def test_tampered_package_is_refused_unless_the_check_is_off():
    enc = flip_in_package(office.encrypt(make_package(200_000), None, "pw", spin_count=10),
                          150_000)
    with pytest.raises(openrms.IntegrityError):
        office.decrypt(bytes(enc), None, "pw")
    r = office.decrypt(bytes(enc), None, "pw", verify_integrity=False)
    assert not r.integrity_verified and r.size == len(r.data)
    assert r.data == msoffcrypto_decrypt(bytes(enc), "pw")  # the same altered bytes


class ChunkRecorder:
    """A binary file object that is not a file: it keeps only the sizes written."""

    def __init__(self):
        self.sizes = []

    def write(self, data):
        self.sizes.append(len(data))
        return len(data)


class ReadCounter(io.RawIOBase):
    """A seekable binary file object without a descriptor, counting bytes read."""

    def __init__(self, data):
        self._data = io.BytesIO(data)
        self.bytes_read = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return self._data.seek(offset, whence)

    def readinto(self, b):
        n = self._data.readinto(b)
        self.bytes_read += n
        return n


def test_streams_through_file_objects_in_bounded_pieces():
    plain = make_package(24 << 20)
    src = ReadCounter(plain)
    sink = ChunkRecorder()
    office.encrypt(src, sink, "pw", spin_count=10)
    total = sum(sink.sizes)
    assert total > len(plain)
    assert len(sink.sizes) > 3 and max(sink.sizes) <= 8 << 20  # never the whole file at once
    assert src.bytes_read >= len(plain)


class FailingWriter:
    def __init__(self, after):
        self.left = after

    def write(self, data):
        if len(data) > self.left:
            raise BrokenPipeError("the consumer went away")
        self.left -= len(data)
        return len(data)


def test_an_exception_in_a_file_object_reaches_the_caller():
    enc = office.encrypt(make_package(3 << 20), None, "pw", spin_count=10)
    with pytest.raises(BrokenPipeError, match="consumer went away"):
        office.decrypt(enc, FailingWriter(100_000), "pw")


def test_threads_run_at_once_and_release_the_gil():
    enc, want = read(AGILE), read(AGILE_PLAIN)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: office.decrypt(enc, None, "Password1234_").data,
                                range(16)))
    assert all(r == want for r in results)

    # While one thread derives a key (1,000,000 SHA-512 spins, a few hundred ms), another
    # thread keeps running Python: the call does not hold the GIL.
    heavy = office.encrypt(make_package(1000), None, "pw", spin_count=1_000_000)
    ticks = 0
    stop = threading.Event()

    def tick():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=tick)
    t.start()
    time.sleep(0.01)
    before = ticks
    office.decrypt(heavy, None, "pw")
    during = ticks - before
    stop.set()
    t.join()
    assert during > 10_000


def test_progress_is_reported():
    calls = []
    office.decrypt(office.encrypt(make_package(12 << 20), None, "pw", spin_count=10), None, "pw",
                   progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] <= calls[-1][1]
