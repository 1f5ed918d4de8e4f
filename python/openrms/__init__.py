"""openrms: content protection for Python, over the openrms C++ engine.

    import openrms.office, openrms.pdf
    openrms.office.decrypt("locked.docx", "plain.docx", password="secret")
    openrms.pdf.encrypt("plain.pdf", "locked.pdf", user_password="reader", permissions="print")

Modules: :mod:`openrms.office` (Office password encryption), :mod:`openrms.pdf` (PDF
passwords and certificates), :mod:`openrms.protect` (rights-protected files), :mod:`openrms.msoffcrypto` (a stand-in for msoffcrypto-tool's
``OfficeFile``), :mod:`openrms.errors` (one exception class per error code, all derived
from :class:`openrms.Error`).
"""

from . import errors
from ._native import __version__
from .errors import *  # noqa: F401,F403  (the exception classes)
from .errors import Error

__all__ = ["__version__", "errors", "Error"] + errors.__all__
