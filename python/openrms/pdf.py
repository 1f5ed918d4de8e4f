"""PDF encryption: the standard security handler (passwords; ISO 32000-1 7.6.3, ISO 32000-2
7.6.4) and the public-key handler (certificates, Adobe.PubSec; ISO 32000-2 7.6.5).

Inputs, outputs, threads and errors work as in :mod:`openrms.office`. ``WrongPasswordError``
when neither password (nor the key) opens the document, ``IntegrityError`` when an R5/R6
document's /Perms does not match its /P.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from . import _native
from ._common import Progress, Source, Target

RecipientKey = _native.RecipientKey


def load_key(src: Source, password: Optional[str] = None) -> "RecipientKey":
    """A certificate with its private key, from a PKCS#12 file (.p12/.pfx) or a PEM file
    holding both, for documents encrypted to certificates."""
    return _native.load_key(src, password)


@dataclass(frozen=True)
class Result:
    """What opened the document ("not_encrypted", "user", "owner", "recipient"), the number of
    objects and bytes written, and the output when ``dst`` was None."""

    matched: str
    objects: int
    bytes: int
    data: Optional[bytes] = None


def encrypt(src: Source, dst: Target = None, *, user_password: Optional[str] = "",
            owner_password: Optional[str] = None, permissions: str = "all", revision: int = 6,
            encrypt_metadata: bool = True, recipients: Sequence[str] = (),
            current_password: Optional[str] = None, current_key: Optional[RecipientKey] = None,
            durable: bool = True, progress: Progress = None) -> Result:
    """Writes an encrypted copy: R6 (AES-256, default) or R4 (AES-128) with passwords, or to
    certificates (``recipients``: PEM or DER files; passwords must then be left out).
    ``permissions``: "all", "none", or names such as "print,copy" (print, print-high, modify,
    copy, annotate, fill-forms, accessibility, assemble). Without ``owner_password`` a random
    one nobody knows is used. An encrypted input needs ``current_password`` or
    ``current_key``."""
    if recipients and user_password == "":
        user_password = None
    data, info = _native.pdf_encrypt(src, dst, revision, user_password, owner_password,
                                     permissions, encrypt_metadata, list(map(str, recipients)),
                                     current_password, current_key, durable, progress)
    return Result(data=data, **info)


def decrypt(src: Source, dst: Target = None, password: Optional[str] = None, *,
            key: Optional[RecipientKey] = None, verify_perms: bool = True,
            durable: bool = True, progress: Progress = None) -> Result:
    """Writes a decrypted copy, opened with the user or owner password (without one, the
    empty user password is tried) or, for a document encrypted to certificates, ``key``."""
    data, info = _native.pdf_decrypt(src, dst, password, key, verify_perms, durable, progress)
    return Result(data=data, **info)


def info(src: Source, password: Optional[str] = None,
         key: Optional[RecipientKey] = None) -> dict[str, Any]:
    """The PDF's version and encryption: handler, revision, algorithms, permissions, which
    password matched, recipients (the fields of ``openrms pdf info --json``)."""
    return json.loads(_native.pdf_info(src, password, key))


__all__ = ["RecipientKey", "Result", "load_key", "encrypt", "decrypt", "info"]
