#!/usr/bin/env python3
"""An independent reader and writer of openrms PFiles with per-segment integrity (version 2),
written from the layout in formats/include/openrms/formats/pfile/pfile.hpp with Python's
`cryptography` package (HKDF-SHA256, AES-GCM), to cross-check openrms's C++ implementation.

  ref_pfile.py decrypt KEYHEX IN OUT
  ref_pfile.py encrypt KEYHEX IN OUT LICENSE_TEXT LOG2_SEGMENT [EXTENSION]

Exit status 0 on success, 1 if a segment does not verify or the layout is wrong.
"""
import hashlib
import os
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TAG = b"openrms-stream-v2:"
CONTEXT = b"openrms-stream-v2|pfile|"


def stream_key(content_key, salt, head):
    info = CONTEXT + hashlib.sha256(head).digest()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(content_key)


def nonce(prefix, index, last):
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


def decrypt(key, data):
    assert data[:6] == b".pfile", "not a PFile"
    major, minor, r = struct.unpack_from("<III", data, 6)
    assert major == 3, major
    h = 18 + r
    size, eo, el, po, pl, co, orig, mo, ml = struct.unpack_from("<IIIIIIQII", data, h)
    assert size == 40
    meta = data[mo:mo + ml]
    assert ml == len(TAG) + 1 + 32 + 7 and meta.startswith(TAG), "no stream metadata"
    seg = 1 << meta[len(TAG)]
    salt = meta[len(TAG) + 1:len(TAG) + 33]
    prefix = meta[len(TAG) + 33:]
    aead = AESGCM(stream_key(key, salt, data[:co]))
    body = data[co:]
    out = bytearray()
    i = 0
    while True:
        chunk = body[i * (seg + 16):(i + 1) * (seg + 16)]
        last = (i + 1) * (seg + 16) >= len(body)
        out += aead.decrypt(nonce(prefix, i, last), chunk, None)
        i += 1
        if last:
            break
    assert len(out) == orig, (len(out), orig)
    return bytes(out)


def encrypt(key, plain, license_text, log2, ext):
    seg = 1 << log2
    salt, prefix = os.urandom(32), os.urandom(7)
    meta = TAG + bytes([log2]) + salt + prefix
    notice = b"written by the reference implementation"
    lic = b"\xef\xbb\xbf" + license_text
    h = 18 + len(notice)
    ext_off = h + 40
    meta_off = ext_off + len(ext)
    pl_off = meta_off + len(meta)
    co = pl_off + len(lic)
    head = (b".pfile" + struct.pack("<III", 3, 0, len(notice)) + notice +
            struct.pack("<IIIIIIQII", 40, ext_off, len(ext), pl_off, len(lic), co, len(plain),
                        meta_off, len(meta)) + ext + meta + lic)
    assert len(head) == co
    aead = AESGCM(stream_key(key, salt, head))
    n = max(1, -(-len(plain) // seg))
    body = b"".join(
        aead.encrypt(nonce(prefix, i, i == n - 1), plain[i * seg:(i + 1) * seg], None)
        for i in range(n))
    return head + body


def main():
    mode, key, src, dst = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3], sys.argv[4]
    data = open(src, "rb").read()
    try:
        if mode == "decrypt":
            out = decrypt(key, data)
        else:
            ext = sys.argv[7].encode() if len(sys.argv) > 7 else b".bin"
            out = encrypt(key, data, sys.argv[5].encode(), int(sys.argv[6]), ext)
    except (InvalidTag, AssertionError) as e:
        print("refused:", repr(e), file=sys.stderr)
        return 1
    open(dst, "wb").write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
