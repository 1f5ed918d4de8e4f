"""The exception classes of msoffcrypto-tool, under the same names, so code that catches
``msoffcrypto.exceptions.InvalidKeyError`` keeps working after switching the import. Each
exception raised here chains the openrms error it came from (``__cause__``)."""


class FileFormatError(Exception):
    """The format of the given file is unsupported or unrecognized."""


class ParseError(Exception):
    """The file cannot be parsed correctly."""


class DecryptionError(Exception):
    """The file cannot be decrypted."""


class InvalidKeyError(DecryptionError):
    """The given password or key is incorrect, or the integrity check failed."""


class EncryptionError(Exception):
    """The file cannot be encrypted."""
