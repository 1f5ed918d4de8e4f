"""A stand-in for msoffcrypto-tool's Python API, on openrms's engine.

Switch by changing one import::

    import openrms.msoffcrypto as msoffcrypto

    with open("locked.docx", "rb") as f, open("plain.docx", "wb") as out:
        office_file = msoffcrypto.OfficeFile(f)
        office_file.load_key(password="secret")
        office_file.decrypt(out)

What is the same: ``OfficeFile(file)``, ``load_key(password=..., verify_password=...)``,
``decrypt(outfile, verify_integrity=...)``, ``is_encrypted()``, the ``format``, ``type`` and
``keyTypes`` attributes, and the exception classes of :mod:`.exceptions` raised in the same
situations. The decrypted OOXML package is byte for byte the one msoffcrypto-tool writes.

What differs:

* ``decrypt()`` checks the Agile integrity HMAC by default (``verify_integrity=True``);
  msoffcrypto-tool skips it unless asked. An altered package raises ``InvalidKeyError`` (as
  msoffcrypto-tool does when asked to verify) instead of being decrypted to altered bytes.
* Only passwords: ``private_key`` and ``secret_key`` raise ``DecryptionError``.
* Office 97-2003 documents (.doc/.xls/.ppt): where the decrypted streams have the names and
  sizes of the encrypted file's, they are written over a copy of it sector for sector, as
  msoffcrypto-tool writes them, so the output is the same file byte for byte. Where
  msoffcrypto-tool 5.0 stops short,
  openrms goes on: it decrypts PowerPoint pictures and every encrypted persist object, turns
  an RC4 CryptoAPI EncryptedSummary back into the property-set streams, and opens Excel files
  with XOR obfuscation (tests/python/test_msoffcrypto_compat.py lists the corpus files).
* ``load_key(verify_password=True)`` decrypts the whole document once to check the password
  (openrms keeps no password verifier apart from decryption).
* The work runs in C++ with the GIL released, on all cores: tens of times faster.
"""

from __future__ import annotations

import io
from typing import IO, Optional

from .. import errors as _errors
from .. import office as _office
from . import exceptions

__all__ = ["OfficeFile", "exceptions"]


def _in_original_layout(original: bytes, decrypted: bytes) -> Optional[bytes]:
    """The decrypted compound file's streams written over a copy of the original file, sector
    for sector (as msoffcrypto-tool does with olefile), when both files hold the same streams
    with the same sizes; else None (openrms's own layout is then returned)."""
    import olefile  # msoffcrypto-tool's own dependency (Debian: python3-olefile)

    with olefile.OleFileIO(io.BytesIO(decrypted)) as ours:
        streams = {tuple(p): ours.openstream(p).read() for p in ours.listdir()}
    out = io.BytesIO(original)
    with olefile.OleFileIO(out, write_mode=True) as theirs:
        paths = [tuple(p) for p in theirs.listdir()]
        if sorted(paths) != sorted(streams):
            return None
        if any(theirs.get_size(list(p)) != len(streams[p]) for p in paths):
            return None
        for p in paths:
            if theirs.openstream(list(p)).read() != streams[p]:
                theirs.write_stream(list(p), streams[p])
        return out.getvalue()  # before olefile closes `out`

_FORMATS = {"Word": "doc97", "Excel": "xls97", "PowerPoint": "ppt97"}


class _Discard:
    """A binary sink that keeps nothing (password verification)."""

    def write(self, data: bytes) -> int:
        return len(data)


class OfficeFile:
    """An Office document opened for decryption, as ``msoffcrypto.OfficeFile(file)`` is."""

    def __init__(self, file: IO[bytes]) -> None:
        file.seek(0)
        try:
            info = _office.info(file)
        except _errors.Error as e:
            raise exceptions.FileFormatError(str(e)) from e
        container = info["container"]
        if container == "ooxml":
            raise exceptions.FileFormatError("Unencrypted document or unsupported file format")
        if container == "ooxml-encrypted":
            self.format = "ooxml"
            self.type = info["encryption"]
            if self.type == "irm":
                raise exceptions.FileFormatError("Rights-managed (IRM) document: use openrms.protect")
            self.keyTypes = ("password",)
        elif container == "legacy-binary":
            self.format = _FORMATS.get(info["application"], "unknown")
            self.type = info["encryption"]
            self.keyTypes = ("password",)
        elif container == "compound-file":
            raise exceptions.FileFormatError("Unrecognized file format")
        else:
            raise exceptions.FileFormatError("Unsupported file format")
        self.file = file
        self._encrypted = info["encryption"] != "none"
        self._password: Optional[str] = None

    def load_key(self, password: Optional[str] = None, private_key=None, secret_key=None,
                 verify_password: bool = False) -> None:
        """Keeps the password for decrypt(); with ``verify_password``, checks it now
        (InvalidKeyError if it does not open the document)."""
        if private_key is not None or secret_key is not None:
            raise exceptions.DecryptionError("openrms.msoffcrypto takes passwords only")
        if not password:
            raise exceptions.DecryptionError("No key specified")
        self._password = password
        if verify_password:
            self._decrypt(_Discard(), verify_integrity=False)

    def decrypt(self, outfile: IO[bytes], verify_integrity: bool = True) -> None:
        """Writes the decrypted document to ``outfile`` (a binary file object)."""
        if self._password is None:
            raise exceptions.DecryptionError("No key specified")
        self._decrypt(outfile, verify_integrity)

    def is_encrypted(self) -> bool:
        """True if the document is encrypted (always true for an encrypted OOXML package)."""
        return self._encrypted

    def _decrypt(self, outfile, verify_integrity: bool) -> None:
        self.file.seek(0)
        try:
            if self.format == "ooxml":
                _office.decrypt(self.file, outfile, self._password,
                                verify_integrity=verify_integrity)
                return
            plain = _office.decrypt(self.file, None, self._password).data
            self.file.seek(0)
            outfile.write(_in_original_layout(self.file.read(), plain) or plain)
        except _errors.WrongPasswordError as e:
            raise exceptions.InvalidKeyError("The file could not be decrypted with this password") from e
        except _errors.IntegrityError as e:
            raise exceptions.InvalidKeyError("Payload integrity verification failed") from e
        except _errors.BadFormatError as e:
            raise exceptions.ParseError(str(e)) from e
        except (_errors.UnsupportedError, _errors.InvalidArgumentError) as e:
            raise exceptions.DecryptionError(str(e)) from e
