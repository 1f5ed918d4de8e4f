"""openrms.protect: protect, open, read, unprotect and inspect over the embedded server; the
store and the users are set up with the openrms command ($OPENRMS_CLI)."""

import io
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import openrms
import openrms.protect as protect
from conftest import CORPUS

TEXT = b"quarterly numbers, not for forwarding\n" * 100


@pytest.fixture(scope="module")
def world(tmp_path_factory, openrms_cli):
    cli = openrms_cli
    d = tmp_path_factory.mktemp("protect")
    subprocess.run([cli, "server", "init", "--store", "store.db"], cwd=d, check=True,
                   capture_output=True)
    for user in ("alice", "bob", "carol"):
        subprocess.run([cli, "user", "enroll", f"{user}@contoso.com", "--store", "store.db"],
                       cwd=d, check=True, capture_output=True)
    (d / "notes.txt").write_bytes(TEXT)
    shutil.copy(CORPUS / "office/expected/msoffcrypto__example.docx", d / "report.docx")

    def client(user=None):
        return protect.Client(user, store=d / "store.db", dir=d, durable=False)

    return d, client, cli


def test_do_not_forward_round_trip(world):
    d, client, cli = world
    alice, bob, carol = (client(f"{u}@contoso.com") for u in ("alice", "bob", "carol"))
    out = alice.protect(d / "notes.txt", do_not_forward=["bob@contoso.com"], overwrite=True)
    assert out == str(d / "notes.ptxt")
    info = client().inspect(out)  # no user needed
    assert info["container"] == "pfile" and info["issuer"] == "alice@contoso.com"

    doc = bob.open(out)
    assert doc.can("VIEW") and not doc.can("PRINT") and not doc.can("FORWARD")
    assert "VIEW" in doc.rights and doc.decision["user"] == "bob@contoso.com"
    assert doc.read() == TEXT
    assert doc.read_at(1000, 50) == TEXT[1000:1050]
    sink = io.BytesIO()
    doc.read(sink)
    assert sink.getvalue() == TEXT
    with pytest.raises(openrms.NoRightError):
        doc.export(d / "bob-copy.txt")
    assert not (d / "bob-copy.txt").exists()
    with pytest.raises(openrms.InvalidArgumentError):
        doc.can("TELEPORT")

    with pytest.raises(openrms.NoRightError):
        carol.open(out)
    copy = alice.unprotect(out, d / "alice-copy.txt", overwrite=True)
    assert open(copy, "rb").read() == TEXT

    # The command opens what the package protected.
    shown = subprocess.run([cli, "open", out, "--as", "bob@contoso.com", "--store", "store.db",
                            "--print"], cwd=d, check=True, capture_output=True).stdout
    assert shown == TEXT


def test_office_irm_and_tampering(world):
    d, client, _ = world
    alice, bob = client("alice@contoso.com"), client("bob@contoso.com")
    out = alice.protect(d / "report.docx", d / "protected.docx", encrypt_only=True, overwrite=True)
    assert client().inspect(out)["container"] == "office-irm"
    assert bob.open(out).read() == (d / "report.docx").read_bytes()

    data = bytearray(open(out, "rb").read())
    data[-100] ^= 0x01
    (d / "tampered.docx").write_bytes(bytes(data))
    with pytest.raises((openrms.IntegrityError, openrms.BadFormatError)):
        bob.open(d / "tampered.docx").read()


def test_errors_and_argument_checks(world):
    d, client, _ = world
    with pytest.raises(openrms.NotFoundError):
        protect.Client("dave@contoso.com", store=d / "store.db", dir=d)
    with pytest.raises(openrms.NotFoundError):
        protect.Client("alice@contoso.com", store=d / "missing.db", dir=d)
    alice = client("alice@contoso.com")
    with pytest.raises(openrms.InvalidArgumentError):
        alice.protect(d / "notes.txt", template="x", encrypt_only=True)
    with pytest.raises(openrms.InvalidArgumentError):
        client().open(d / "notes.txt")  # no user


def test_one_client_from_several_threads(world):
    d, client, _ = world
    alice = client("alice@contoso.com")
    out = alice.protect(d / "notes.txt", d / "shared.ptxt", encrypt_only=True, overwrite=True)
    bob = client("bob@contoso.com")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: bob.open(out).read(), range(12)))
    assert all(r == TEXT for r in results)
