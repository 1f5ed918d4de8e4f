#!/usr/bin/python3
"""Independent reference decryptor for ECMA-376 Agile and Standard encryption, written from
[MS-OFFCRYPTO] §2.3.4 for openrms's interop tests. It shares no code with openrms: it reads the
compound file with olefile and does the crypto with python3-cryptography. It implements the rules
peers get wrong (0x36 key padding, hash-size truncation, keyBits truncation of the intermediate
key) and verifies the dataIntegrity HMAC.

usage: ref_office_decrypt.py IN PASSWORD OUT      exit 0 ok, 3 wrong password, 4 integrity
"""
import base64
import hashlib
import hmac
import struct
import sys
import xml.dom.minidom

import olefile
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HASHES = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA384": hashlib.sha384,
          "SHA512": hashlib.sha512}


def fix(b, n):
    return b[:n] if len(b) >= n else b + b"\x36" * (n - len(b))


def aes_cbc_dec(key, iv, data):
    return Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor().update(data)


def aes_ecb_dec(key, data):
    return Cipher(algorithms.AES(key), modes.ECB()).decryptor().update(data)


def agile(info, package, password):
    doc = xml.dom.minidom.parseString(info[8:])
    kd = doc.getElementsByTagName("keyData")[0]
    pk = doc.getElementsByTagNameNS(
        "http://schemas.microsoft.com/office/2006/keyEncryptor/password", "encryptedKey")[0]
    g = lambda n, a: n.getAttribute(a)
    b64 = lambda n, a: base64.b64decode(g(n, a))
    H = HASHES[g(pk, "hashAlgorithm")]
    salt = b64(pk, "saltValue")
    h = H(salt + password.encode("utf-16-le")).digest()
    for i in range(int(g(pk, "spinCount"))):
        h = H(struct.pack("<I", i) + h).digest()
    kb = int(g(pk, "keyBits")) // 8
    key = lambda blk: fix(H(h + blk).digest(), kb)
    iv = fix(salt, int(g(pk, "blockSize")))
    vin = aes_cbc_dec(key(bytes.fromhex("fea7d2763b4b9e79")), iv, b64(pk, "encryptedVerifierHashInput"))
    vin = vin[:int(g(pk, "saltSize"))]
    vval = aes_cbc_dec(key(bytes.fromhex("d7aa0f6d3061344e")), iv, b64(pk, "encryptedVerifierHashValue"))
    vval = vval[:int(g(pk, "hashSize"))]
    if H(vin).digest() != vval:
        sys.exit(3)
    ik = aes_cbc_dec(key(bytes.fromhex("146e0be7abacd0d6")), iv, b64(pk, "encryptedKeyValue"))
    ik = ik[:int(g(kd, "keyBits")) // 8]
    KH = HASHES[g(kd, "hashAlgorithm")]
    ksalt = b64(kd, "saltValue")
    bs = int(g(kd, "blockSize"))
    hs = int(g(kd, "hashSize"))
    kiv = lambda blk: fix(KH(ksalt + blk).digest(), bs)
    di = doc.getElementsByTagName("dataIntegrity")
    if di:
        hk = aes_cbc_dec(ik, kiv(bytes.fromhex("5fb2ad010cb9e1f6")), b64(di[0], "encryptedHmacKey"))[:hs]
        hv = aes_cbc_dec(ik, kiv(bytes.fromhex("a0677f02b22c8433")), b64(di[0], "encryptedHmacValue"))[:hs]
        if hmac.new(hk, package, KH).digest() != hv:
            sys.exit(4)
    size = struct.unpack("<Q", package[:8])[0]
    out = bytearray()
    ct = package[8:]
    i = 0
    while len(out) < size:
        seg = ct[i * 4096:(i + 1) * 4096]
        out += aes_cbc_dec(ik, kiv(struct.pack("<I", i)), seg)
        i += 1
    return bytes(out[:size])


def standard(info, package, password):
    hsize = struct.unpack("<I", info[8:12])[0]
    hdr = info[12:12 + hsize]
    key_bits = struct.unpack("<I", hdr[16:20])[0]
    v = info[12 + hsize:]
    salt = v[4:20]
    ever = v[20:36]
    evh = v[40:72]
    h = hashlib.sha1(salt + password.encode("utf-16-le")).digest()
    for i in range(50000):
        h = hashlib.sha1(struct.pack("<I", i) + h).digest()
    hf = hashlib.sha1(h + struct.pack("<I", 0)).digest()
    x1 = hashlib.sha1(bytes(b ^ 0x36 for b in hf.ljust(64, b"\0"))).digest()
    x2 = hashlib.sha1(bytes(b ^ 0x5C for b in hf.ljust(64, b"\0"))).digest()
    key = (x1 + x2)[:key_bits // 8]
    if hashlib.sha1(aes_ecb_dec(key, ever)).digest() != aes_ecb_dec(key, evh)[:20]:
        sys.exit(3)
    size = struct.unpack("<Q", package[:8])[0]
    ct = package[8:8 + (size + 15) // 16 * 16]
    return aes_ecb_dec(key, ct)[:size]


def main():
    src, password, dst = sys.argv[1], sys.argv[2], sys.argv[3]
    ole = olefile.OleFileIO(src)
    info = ole.openstream("EncryptionInfo").read()
    package = ole.openstream("EncryptedPackage").read()
    major, minor = struct.unpack("<HH", info[:4])
    data = agile(info, package, password) if (major, minor) == (4, 4) else standard(info, package, password)
    with open(dst, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
