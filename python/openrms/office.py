"""Office documents: ECMA-376 password encryption ([MS-OFFCRYPTO] 2.3.4) and decryption of
Office 97-2003 documents (RC4, RC4 CryptoAPI, Excel XOR obfuscation).

Inputs (``src``) are a path, a bytes-like object, or a seekable binary file object. Outputs
(``dst``) are a path (written atomically: a temporary file renamed into place only when the
whole call succeeded), a binary file object (written as the work goes: discard it on an
error), or ``None`` to get the result back as ``bytes``. Memory use stays at a few MiB
whatever the document size, except for ``dst=None``.

Every call releases the GIL while it works and may use several cores (``threads=0``: all);
calls from several threads at once are safe. Errors are :mod:`openrms.errors` classes:
``WrongPasswordError``, ``IntegrityError`` (right password, altered file), ``BadFormatError``,
``UnsupportedError`` (IRM, certificate-only or Word XOR files), ``InvalidArgumentError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from . import _native
from ._common import Progress, Source, Target


@dataclass(frozen=True)
class DecryptResult:
    """What decrypt() found: the scheme ("agile", "standard", "rc4-cryptoapi", ...), whether
    Excel's default password opened it, whether the Agile integrity HMAC was checked and
    matched, and the plaintext size. ``data`` is the plaintext when ``dst`` was None."""

    scheme: str
    used_default_password: bool
    integrity_verified: bool
    size: int
    data: Optional[bytes] = None


def encrypt(src: Source, dst: Target = None, password: str = "", *, method: str = "agile",
            key_bits: int = 0, hash: str = "sha512", spin_count: int = 100_000,
            threads: int = 0, durable: bool = True,
            progress: Progress = None) -> Optional[bytes]:
    """Encrypts an OOXML package (.docx, .xlsx, .pptx ...) with ``password`` (1-255
    characters). ``method`` is "agile" (AES-256 by default) or "standard" (AES-128 ECB, for old
    readers). Returns the encrypted file when ``dst`` is None."""
    return _native.office_encrypt(src, dst, password, method, key_bits, hash, spin_count,
                                  threads, durable, progress)


def decrypt(src: Source, dst: Target = None, password: Optional[str] = None, *,
            verify_integrity: bool = True, max_spin_count: int = 10_000_000, threads: int = 0,
            durable: bool = True, progress: Progress = None) -> DecryptResult:
    """Decrypts an encrypted Office document to its plain form (the OOXML package, or the
    plain compound file of a .doc/.xls/.ppt). Without a password, Excel's default one is
    tried. ``verify_integrity`` checks the Agile HMAC first (IntegrityError when it does not
    match); turning it off is about twice as fast and lets altered bytes through."""
    data, info = _native.office_decrypt(src, dst, password, verify_integrity, max_spin_count,
                                        threads, durable, progress)
    return DecryptResult(data=data, **info)


def info(src: Source) -> dict[str, Any]:
    """What the document is and how it is encrypted (no password needed): container,
    application, encryption and, for Agile and Standard files, the algorithms, key encryptors
    and sizes (the fields of ``openrms office info --json``)."""
    return json.loads(_native.office_info(src))


def is_encrypted(src: Source) -> bool:
    """True if ``src`` is an encrypted Office document of any scheme."""
    return info(src)["encryption"] != "none"


__all__ = ["DecryptResult", "encrypt", "decrypt", "info", "is_encrypted"]
