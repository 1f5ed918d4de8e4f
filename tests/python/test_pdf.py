"""openrms.pdf: passwords checked with qpdf, certificates with poppler, errors."""

import subprocess

import pytest

import openrms
import openrms.pdf as pdf
from conftest import CORPUS

R6 = CORPUS / "pdf/qpdf__c-r6-in.pdf"
PUBSEC = CORPUS / "pdf/pdfbox__AESkeylength256.pdf"
PUBSEC_KEY = CORPUS / "pdf/keys/PDFBOX-4421-keystore.pfx"
PUBSEC_PW = "w!z%C*F-JaNdRgUk"


def qpdf(*args):
    return subprocess.run(["qpdf", *map(str, args)], capture_output=True, text=True)


def pdftotext(path):
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_decrypt_with_the_user_password_and_qpdf_reads_it(tmp_path):
    out = tmp_path / "plain.pdf"
    r = pdf.decrypt(R6, out, "user4")
    assert r.matched == "user" and r.objects > 0 and r.data is None
    check = qpdf("--check", out)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "File is not encrypted" in qpdf("--show-encryption", out).stdout
    assert pdf.decrypt(R6, None, "owner4").matched == "owner"


def test_encrypt_with_permissions_as_qpdf_sees_them(tmp_path):
    plain = pdf.decrypt(R6, None, "user4").data
    out = tmp_path / "locked.pdf"
    pdf.encrypt(plain, out, user_password="reader", owner_password="boss", permissions="print")
    shown = qpdf("--password=reader", "--show-encryption", out).stdout
    assert "R = 6" in shown and "print low resolution: allowed" in shown
    assert "print high resolution: not allowed" in shown
    assert "extract for any purpose: not allowed" in shown
    info = pdf.info(out, "boss")
    assert info["revision"] == 6 and info["password_matched"] == "owner"
    assert info["permits"] == "print"
    assert pdf.info(out)["opens_without_password"] is False


def test_wrong_password_is_typed_and_leaves_no_file(tmp_path):
    out = tmp_path / "x.pdf"
    with pytest.raises(openrms.WrongPasswordError):
        pdf.decrypt(R6, out, "user5")
    assert not out.exists()
    with pytest.raises(openrms.InvalidArgumentError):
        pdf.encrypt(pdf.decrypt(R6, None, "user4").data, None, permissions="print,teleport")
    with pytest.raises(openrms.BadFormatError):
        pdf.decrypt(b"%PDF-1.7\n garbage", None)


def test_a_recipient_key_opens_a_document_encrypted_to_its_certificate(tmp_path):
    with pytest.raises(openrms.WrongPasswordError):
        pdf.load_key(PUBSEC_KEY, "nope")
    key = pdf.load_key(PUBSEC_KEY, PUBSEC_PW)
    assert "CN=" in key.subject
    info = pdf.info(PUBSEC, key=key)
    assert info["filter"] == "Adobe.PubSec" and info["key_opens_it"] is True
    out = tmp_path / "opened.pdf"
    assert pdf.decrypt(PUBSEC, out, key=key).matched == "recipient"
    assert "Key length: 256" in pdftotext(out)


def test_encrypt_to_a_certificate_and_open_with_its_key(tmp_path):
    key_pem, cert_pem = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=Reader One", "-days", "2", "-keyout", key_pem, "-out", cert_pem],
                   check=True, capture_output=True)
    plain = pdf.decrypt(R6, None, "user4").data
    locked = pdf.encrypt(plain, None, recipients=[cert_pem], permissions="print").data
    info = pdf.info(locked)
    assert info["filter"] == "Adobe.PubSec" and len(info["recipients"]) == 1
    key = pdf.load_key(cert_pem.read_bytes() + key_pem.read_bytes())
    r = pdf.decrypt(locked, None, key=key)
    assert r.matched == "recipient"
    assert pdftotext_bytes(r.data, tmp_path) == pdftotext_bytes(plain, tmp_path)


def pdftotext_bytes(data, tmp_path):
    p = tmp_path / "t.pdf"
    p.write_bytes(data)
    return pdftotext(p)
