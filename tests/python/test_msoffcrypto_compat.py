"""openrms.msoffcrypto against msoffcrypto-tool itself, on every Office file of the corpus that
decrypts with a known password."""

import io

import msoffcrypto
import olefile
import pytest

import openrms.msoffcrypto as compat
from conftest import CORPUS, flip_in_package, office_cases


def run(module, data, password, **kw):
    out = io.BytesIO()
    f = module.OfficeFile(io.BytesIO(data))
    f.load_key(password=password)
    f.decrypt(out, **kw)
    return f, out.getvalue()


def streams(data):
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        return {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}


# Files msoffcrypto-tool 5.0 (Debian 12) gets wrong, each with what goes wrong. openrms's output
# for them is checked against Apache POI in the formats tests; here the test asserts that the
# difference is still there (so a fixed msoffcrypto-tool shows up) and that openrms opens them.
MSOFFCRYPTO_DEFECTS = {
    "office/msoffcrypto__xor_password_123456789012345.xls":
        "raises DecryptionError: XOR obfuscation is not supported",
    "office/poi__extenxls_pwd123.xlsx":
        "raises ValueError: the package is not a multiple of the block length",
    "office/poi__cryptoapi-proc2356.ppt": "raises ValueError: RC4 key of size 0",
    "office/poi__Password_Protected-hello.ppt":
        "leaves part of the document stream encrypted and the summary in EncryptedSummary",
    "office/poi__Password_Protected-np-hello.ppt": "leaves part of the document stream encrypted",
    "office/poi__ppt_with_png_encrypted.ppt":
        "leaves the Pictures stream encrypted and the summary in EncryptedSummary",
}


def same_output(ours_file, ours, theirs):
    return ours == theirs  # the same file, byte for byte


@pytest.mark.parametrize("name,password", office_cases())
def test_decrypts_as_msoffcrypto_does(name, password):
    data = (CORPUS / name).read_bytes()
    ours_file, ours = run(compat, data, password)
    assert ours_file.is_encrypted()
    try:
        theirs_file, theirs = run(msoffcrypto, data, password)
    except Exception as e:  # noqa: BLE001 (any failure of the peer)
        assert name in MSOFFCRYPTO_DEFECTS, f"msoffcrypto-tool failed: {e!r}"
        return
    assert ours_file.format == theirs_file.format
    assert ours_file.is_encrypted() == theirs_file.is_encrypted()
    if ours_file.format == "ooxml":
        assert ours_file.type == theirs_file.type
    if name in MSOFFCRYPTO_DEFECTS:
        assert streams(ours) != streams(theirs), "msoffcrypto-tool was fixed: update"
    else:
        assert same_output(ours_file, ours, theirs)


def test_wrong_password_raises_invalid_key_error():
    data = (CORPUS / "office/msoffcrypto__example_password.docx").read_bytes()
    f = compat.OfficeFile(io.BytesIO(data))
    with pytest.raises(compat.exceptions.InvalidKeyError):
        f.load_key(password="0000", verify_password=True)
    f.load_key(password="0000")
    with pytest.raises(compat.exceptions.InvalidKeyError) as e:
        f.decrypt(io.BytesIO())
    assert isinstance(e.value, compat.exceptions.DecryptionError)


def test_not_encrypted_or_not_office_is_a_file_format_error():
    plain = (CORPUS / "office/expected/msoffcrypto__example.docx").read_bytes()
    for data in (plain, b"just some text, not an Office file" * 20):
        with pytest.raises(compat.exceptions.FileFormatError):
            compat.OfficeFile(io.BytesIO(data))
        with pytest.raises(msoffcrypto.exceptions.FileFormatError):
            msoffcrypto.OfficeFile(io.BytesIO(data))


def test_integrity_is_checked_by_default():
    data = flip_in_package((CORPUS / "office/msoffcrypto__example_password.docx").read_bytes())
    with pytest.raises(compat.exceptions.InvalidKeyError):
        run(compat, bytes(data), "Password1234_")
    _, ours = run(compat, bytes(data), "Password1234_", verify_integrity=False)
    _, theirs = run(msoffcrypto, bytes(data), "Password1234_")
    assert ours == theirs


def test_unencrypted_legacy_file_reports_not_encrypted():
    data = (CORPUS / "office/msoffcrypto__plain.xls").read_bytes()
    assert compat.OfficeFile(io.BytesIO(data)).is_encrypted() is False
    assert msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted() is False
