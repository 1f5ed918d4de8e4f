"""Rights-protected files: protect, open, read, unprotect and inspect, for one user.

A :class:`Client` is a user's set-up: where licenses come from (the embedded license server
over an SQLite store, or a licensing service at ``server=`` with a bearer ``token=``) and the
user's credentials as ``openrms user enroll`` writes them (``DIR/USER.rac.xml``,
``DIR/USER.key.pem``). Office documents are protected with Office IRM, PDFs with the
rights-managed PDF wrapper, everything else as a PFile (``a.txt`` -> ``a.ptxt``).

    client = openrms.protect.Client("alice@contoso.com", store="store.db", dir="keys")
    out = client.protect("notes.txt", do_not_forward=["bob@contoso.com"])
    doc = openrms.protect.Client("bob@contoso.com", store="store.db", dir="keys").open(out)
    doc.can("PRINT"), doc.read()

Errors are :mod:`openrms.errors` classes: ``NoRightError`` (not a recipient, or the right is
missing), ``ExpiredError``, ``RevokedError``, ``RacExpiredError``, ``IntegrityError`` (an
altered file or a forged license), ``NotFoundError`` (no store, no credentials). Nothing
half-written is left under an output name. A Client may be used from several threads at
once; a Document from one thread at a time.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional, Sequence, Union

from . import _native
from ._common import Target

PathLike = Union[str, "os.PathLike[str]"]


class Document:
    """A protected file opened for the client's user: the use-license decision, and the
    content as far as the rights allow."""

    def __init__(self, native: "_native.Document") -> None:
        self._doc = native

    def can(self, right: str) -> bool:
        """True if the user holds the usage right ("VIEW", "EDIT", "PRINT", "EXTRACT",
        "EXPORT", "FORWARD", "OWNER", ...)."""
        return self._doc.can(right)

    @property
    def decision(self) -> dict[str, Any]:
        """user, role, rights, content_expiry, license_valid_until, license_from."""
        return json.loads(self._doc.decision)

    @property
    def rights(self) -> list[str]:
        """The rights granted, by name."""
        return [r for r in self.decision["rights"].split(",") if r]

    @property
    def info(self) -> dict[str, Any]:
        """What the file says about itself (as :meth:`Client.inspect`)."""
        return json.loads(self._doc.info)

    def read(self, dst: Target = None) -> Optional[bytes]:
        """The whole content, verified first (VIEW needed): bytes for ``dst=None``, else
        written to the path or binary file object."""
        return self._doc.read(dst)

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``, verifying only the segments they touch
        (PFile and Office IRM; UnsupportedError for the rights-managed PDF)."""
        return self._doc.read_at(offset, length)

    def export(self, dst: PathLike) -> int:
        """Writes an unprotected copy (EXPORT or OWNER needed); returns its size."""
        return self._doc.export(os.fspath(dst))


class Client:
    """A user's set-up for protected files (see the module documentation)."""

    def __init__(self, user: Optional[str] = None, *, store: Optional[PathLike] = None,
                 kek_file: Optional[PathLike] = None, server: Optional[str] = None,
                 token: Optional[str] = None, ca_file: Optional[PathLike] = None,
                 dir: PathLike = ".", key_passphrase: Optional[str] = None,
                 cache_use_licenses: bool = True, cache_dir: Optional[PathLike] = None,
                 durable: bool = True) -> None:
        def path(p):
            return None if p is None else os.fspath(p)

        self._profile = _native.Profile(user, path(store), path(kek_file), server, token,
                                        path(ca_file), os.fspath(dir), key_passphrase,
                                        cache_use_licenses, path(cache_dir), durable)

    def protect(self, src: PathLike, dst: Optional[PathLike] = None, *,
                template: Optional[str] = None, do_not_forward: Optional[Sequence[str]] = None,
                encrypt_only: bool = False, overwrite: bool = False) -> str:
        """Protects ``src`` with exactly one of a template id, Do Not Forward to the given
        recipients, or Encrypt-Only; returns the path written (``dst``, or a name beside the
        input)."""
        return self._profile.protect(os.fspath(src), None if dst is None else os.fspath(dst),
                                     template,
                                     None if do_not_forward is None else list(do_not_forward),
                                     encrypt_only, overwrite)

    def open(self, path: PathLike) -> Document:
        """Opens a protected file for this user (rights from the owner license, a cached use
        license, or the license source)."""
        return Document(self._profile.open(os.fspath(path)))

    def unprotect(self, src: PathLike, dst: Optional[PathLike] = None, *,
                  overwrite: bool = False) -> str:
        """Writes an unprotected copy (EXPORT or OWNER needed); returns its path."""
        return self._profile.unprotect(os.fspath(src), None if dst is None else os.fspath(dst),
                                       overwrite)

    def inspect(self, path: PathLike) -> dict[str, Any]:
        """What a protected file says about itself: container, content_id, issuer, owner,
        template, size, integrity (no rights needed; the license's signature is checked)."""
        return json.loads(self._profile.inspect(os.fspath(path)))


__all__ = ["Client", "Document"]
