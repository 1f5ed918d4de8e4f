"""openrms.protect against a licensing service: `openrms serve` on 127.0.0.1 (a port the OS
picks) with tokens from the independent test issuer (tests/server/token_issuer.py), started
here and stopped at the end."""

import os
import pathlib
import subprocess
import sys

import pytest

import openrms
import openrms.protect as protect

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "server"))
import service_harness  # noqa: E402


@pytest.fixture(scope="module")
def service(tmp_path_factory, openrms_cli):
    cli = openrms_cli
    work = tmp_path_factory.mktemp("service")
    cwd = os.getcwd()
    d = service_harness.Deployment(cli, str(work / "run"), str(work / "run" / "store.db"))
    try:
        node = d.start_node("n1")
        for user in ("alice", "bob"):
            token = work / "run" / f"{user}.token"
            token.write_text(d.tokens[user])
            token.chmod(0o600)
            (work / "run" / user).mkdir()
            subprocess.run([cli, "user", "enroll", f"{user}@contoso.com", "--server", node.url,
                            "--token-file", str(token), "--ca-file", "tls.crt", "--dir", user],
                           check=True, capture_output=True)
        yield d, node, work / "run"
    finally:
        d.stop()
        os.chdir(cwd)


def client(service, user, **kw):
    d, node, run = service
    return protect.Client(f"{user}@contoso.com", server=node.url, token=d.tokens[user],
                          ca_file=str(run / "tls.crt"), dir=str(run / user), **kw)


def test_protect_and_open_through_the_service(service):
    _, _, run = service
    (run / "plan.txt").write_bytes(b"the plan\n" * 1000)
    alice, bob = client(service, "alice"), client(service, "bob", cache_use_licenses=False)
    out = alice.protect(run / "plan.txt", do_not_forward=["bob@contoso.com"])
    doc = bob.open(out)
    assert doc.decision["license_from"] == "license server"
    assert doc.can("VIEW") and not doc.can("PRINT")
    assert doc.read() == b"the plan\n" * 1000
    assert alice.inspect(out)["issuer"] == "alice@contoso.com"


def test_a_bad_token_is_unauthenticated(service):
    d, node, run = service
    with pytest.raises(openrms.UnauthenticatedError):
        c = protect.Client("bob@contoso.com", server=node.url,
                           token=d.tokens["bob"][:-8] + "AAAAAAAA", ca_file=str(run / "tls.crt"),
                           dir=str(run / "bob"))
        c.protect(run / "plan.txt", run / "x.ptxt", encrypt_only=True)
