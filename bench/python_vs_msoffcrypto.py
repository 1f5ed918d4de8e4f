#!/usr/bin/python3
"""Decrypts one Agile .docx (AES-256, SHA-512, 100,000 spins) in one Python process through
openrms (the package) and through msoffcrypto-tool's Python API, from memory to memory, and
prints the times and the ratios: with the dataIntegrity HMAC skipped on both sides, then
verified on both sides. No process start on either side; the best of N runs each.

usage: PYTHONPATH=build/default/python bench/python_vs_msoffcrypto.py [SIZE_MB] [RUNS]
       (defaults 50 MB, 5 runs; or with the package pip-installed)
"""

import io
import os
import random
import sys
import time
import zipfile

import msoffcrypto

import openrms.office

mb = int(sys.argv[1]) if len(sys.argv) > 1 else 50
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5

rng = random.Random(20261201)
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    z.writestr("word/media/blob.bin", rng.randbytes(mb * 1000 * 1000))
plain = buf.getvalue()
encrypted = openrms.office.encrypt(plain, None, "bench-pw")  # Agile defaults: AES-256/SHA-512
# The same data with a 1-spin key derivation: the bulk work alone, without the file's KDF (a
# chain of 100,000 SHA-512 compressions both sides must run one after another).
cheap_kdf = openrms.office.encrypt(plain, None, "bench-pw", spin_count=1)


def best(fn):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        assert out == plain, "wrong output"
    return min(times)


def with_openrms(verify, data=encrypted):
    return lambda: openrms.office.decrypt(data, None, "bench-pw", verify_integrity=verify).data


def with_msoffcrypto(verify, data=encrypted):
    def run():
        out = io.BytesIO()
        f = msoffcrypto.OfficeFile(io.BytesIO(data))
        f.load_key(password="bench-pw")
        f.decrypt(out, verify_integrity=verify)
        return out.getvalue()
    return run


print(f"decrypting a {len(encrypted) / 1e6:.1f} MB Agile document in one process "
      f"({os.cpu_count()} cores, best of {runs}):")
rows = (("HMAC skipped ", False, encrypted, "goal >= 30x"),
        ("HMAC verified", True, encrypted, "goal >= 15x"),
        ("skipped, 1-spin KDF", False, cheap_kdf, "the bulk work alone"))
for label, verify, data, note in rows:
    ours = best(with_openrms(verify, data))
    theirs = best(with_msoffcrypto(verify, data))
    print(f"  {label:20s}: openrms {ours * 1000:7.1f} ms   msoffcrypto-tool {theirs * 1000:7.1f} ms"
          f"   ratio {theirs / ours:5.1f}x  ({note})")
