"""The exceptions openrms raises: one class per error code of the library.

Every class derives from :class:`openrms.Error`, whose ``code`` is the stable name of the
library's error code (``"wrong_password"``) and ``number`` its stable number (the C API's
status). Where a Python built-in fits, the class derives from it too, so existing handlers
keep working: :class:`InvalidArgumentError` is a :class:`ValueError`, :class:`IoError` an
:class:`OSError`, :class:`NotFoundError` a :class:`LookupError`. Messages never contain
passwords, keys or plaintext.
"""

from __future__ import annotations


class Error(Exception):
    """Base class of every openrms error."""

    code = "error"
    number = 0

    def __init__(self, message: str, number: int | None = None) -> None:
        super().__init__(message)
        if number is not None:
            self.number = number

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class BadFormatError(Error):
    """Not what it claims to be, or corrupt / truncated."""

    code, number = "bad_format", 1


class UnsupportedError(Error):
    """Well-formed, but uses a feature openrms does not implement."""

    code, number = "unsupported", 2


class WrongPasswordError(Error):
    """The password (or key) does not open this content."""

    code, number = "wrong_password", 3


class IntegrityError(Error):
    """Authentication failed: the data was altered (bad MAC, tag, padding or signature)."""

    code, number = "integrity", 4


class NoRightError(Error):
    """The user lacks the usage right the operation needs."""

    code, number = "no_right", 5


class ExpiredError(Error):
    """The content has expired."""

    code, number = "expired", 6


class RevokedError(Error):
    """The content was revoked by its issuer."""

    code, number = "revoked", 7


class RacExpiredError(Error):
    """The user's Rights Account Certificate has lapsed: renew it."""

    code, number = "rac_expired", 8


class LicenseExpiredError(Error):
    """The use license's offline validity ended: acquire it again."""

    code, number = "license_expired", 9


class IoError(Error, OSError):
    """Reading or writing a file or stream failed."""

    code, number = "io", 10


class InvalidArgumentError(Error, ValueError):
    """A value outside the documented contract."""

    code, number = "invalid_argument", 11


class CryptoError(Error):
    """The crypto backend failed for another reason."""

    code, number = "crypto", 12


class NotFoundError(Error, LookupError):
    """A named object (key, template, user, content) does not exist."""

    code, number = "not_found", 13


class InternalError(Error):
    """A bug in openrms: please report it."""

    code, number = "internal", 14


class UnauthenticatedError(Error):
    """A service caller's credentials are missing or invalid."""

    code, number = "unauthenticated", 15


class UnavailableError(Error):
    """A service is unreachable, overloaded or shutting down: retry later."""

    code, number = "unavailable", 16


_BY_NUMBER = {
    cls.number: cls
    for cls in (
        BadFormatError, UnsupportedError, WrongPasswordError, IntegrityError, NoRightError,
        ExpiredError, RevokedError, RacExpiredError, LicenseExpiredError, IoError,
        InvalidArgumentError, CryptoError, NotFoundError, InternalError, UnauthenticatedError,
        UnavailableError,
    )
}


def error_class(number: int) -> type[Error]:
    """The exception class of a library error number (Error itself for an unknown one)."""
    return _BY_NUMBER.get(number, Error)


__all__ = ["Error", "error_class"] + [cls.__name__ for cls in _BY_NUMBER.values()]
