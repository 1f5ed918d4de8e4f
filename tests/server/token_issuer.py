#!/usr/bin/env python3
"""A test OIDC issuer: makes signing keys and a JWKS, and mints JWTs, good and bad.

It is independent of openrms (python3-cryptography signs, this file encodes), so the service's
token checks are tested against another implementation of RFC 7515/7518/7519.

  token_issuer.py keys DIR
      DIR/rsa.pem, DIR/ec.pem (in the JWKS as kids "rsa1" and "ec1"), DIR/other.pem (not in
      it), DIR/jwks.json
  token_issuer.py token DIR --email alice@contoso.com [--alg RS256|ES256|none|HS256-pub]
      [--key rsa|ec|other] [--iss I] [--aud A] [--exp S] [--nbf S] [--no-exp] [--groups g,h]
      [--roles r,s] [--truncate] [--pad BYTES]
      prints a token; --exp/--nbf are seconds from now (exp default 3600)
"""
import argparse
import base64
import json
import os
import sys
import time

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ISSUER = "https://issuer.test"
AUDIENCE = "openrms"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int, size: int) -> str:
    return b64u(n.to_bytes(size, "big"))


def load(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def save(key, path):
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    with open(path, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)


def jwk(key, kid):
    pub = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": uint(pub.n, (pub.n.bit_length() + 7) // 8), "e": uint(pub.e, 3)}
    return {"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
            "x": uint(pub.x, 32), "y": uint(pub.y, 32)}


def cmd_keys(d):
    os.makedirs(d, exist_ok=True)
    r = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    e = ec.generate_private_key(ec.SECP256R1())
    o = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    save(r, os.path.join(d, "rsa.pem"))
    save(e, os.path.join(d, "ec.pem"))
    save(o, os.path.join(d, "other.pem"))
    with open(os.path.join(d, "jwks.json"), "w") as f:
        json.dump({"keys": [jwk(r, "rsa1"), jwk(e, "ec1")]}, f)


def cmd_token(a):
    now = int(time.time())
    claims = {"iss": a.iss, "aud": a.aud, "iat": now, a.claim: a.email}
    if not a.no_exp:
        claims["exp"] = now + a.exp
    if a.nbf is not None:
        claims["nbf"] = now + a.nbf
    if a.groups:
        claims["groups"] = a.groups.split(",")
    if a.roles:
        claims["roles"] = a.roles.split(",")
    if a.pad:
        claims["pad"] = "x" * a.pad
    alg = a.alg
    key_name = a.key or ("ec" if alg == "ES256" else "rsa")
    kid = {"rsa": "rsa1", "ec": "ec1", "other": "rsa1"}[key_name]  # "other" pretends to be rsa1
    header = {"alg": "none" if alg == "none" else alg.split("-")[0], "typ": "JWT", "kid": kid}
    signing_input = (b64u(json.dumps(header).encode()) + "." +
                     b64u(json.dumps(claims).encode())).encode()
    if alg == "none":
        sig = b""
    elif alg == "HS256-pub":
        # The classic confusion attack: HMAC keyed with the server's public key bytes.
        pub = load(os.path.join(a.dir, "rsa.pem")).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        h = hmac.HMAC(pub, hashes.SHA256())
        h.update(signing_input)
        sig = h.finalize()
    else:
        key = load(os.path.join(a.dir, key_name + ".pem"))
        if alg == "RS256":
            sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    token = signing_input.decode() + "." + b64u(sig)
    if a.truncate:
        token = token[: len(token) // 2]
    print(token)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keys")
    k.add_argument("dir")
    t = sub.add_parser("token")
    t.add_argument("dir")
    t.add_argument("--email", required=True)
    t.add_argument("--claim", default="email")
    t.add_argument("--alg", default="RS256", choices=["RS256", "ES256", "none", "HS256-pub"])
    t.add_argument("--key", choices=["rsa", "ec", "other"])
    t.add_argument("--iss", default=ISSUER)
    t.add_argument("--aud", default=AUDIENCE)
    t.add_argument("--exp", type=int, default=3600)
    t.add_argument("--nbf", type=int)
    t.add_argument("--no-exp", action="store_true")
    t.add_argument("--groups")
    t.add_argument("--roles")
    t.add_argument("--truncate", action="store_true")
    t.add_argument("--pad", type=int, default=0)
    a = p.parse_args()
    if a.cmd == "keys":
        cmd_keys(a.dir)
    else:
        cmd_token(a)


if __name__ == "__main__":
    sys.exit(main())
