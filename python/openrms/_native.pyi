# Type stubs of the native binding (python/src/module.cpp). Use the openrms modules instead.
from typing import Any, Callable, Optional, Sequence

__version__: str

class RecipientKey:
    @property
    def subject(self) -> str: ...
    @property
    def issuer(self) -> str: ...

def office_encrypt(src: Any, dst: Any, password: str, method: str, key_bits: int, hash: str,
                   spin_count: int, threads: int, durable: bool,
                   progress: Optional[Callable[[int, int], None]]) -> Optional[bytes]: ...
def office_decrypt(src: Any, dst: Any, password: Optional[str], verify_integrity: bool,
                   max_spin_count: int, threads: int, durable: bool,
                   progress: Optional[Callable[[int, int], None]]
                   ) -> tuple[Optional[bytes], dict[str, Any]]: ...
def office_info(src: Any) -> str: ...
def load_key(src: Any, password: Optional[str]) -> RecipientKey: ...
def pdf_encrypt(src: Any, dst: Any, revision: int, user_password: Optional[str],
                owner_password: Optional[str], permissions: str, encrypt_metadata: bool,
                recipients: Sequence[str], current_password: Optional[str],
                current_key: Optional[RecipientKey], durable: bool,
                progress: Optional[Callable[[int, int], None]]
                ) -> tuple[Optional[bytes], dict[str, Any]]: ...
def pdf_decrypt(src: Any, dst: Any, password: Optional[str], key: Optional[RecipientKey],
                verify_perms: bool, durable: bool,
                progress: Optional[Callable[[int, int], None]]
                ) -> tuple[Optional[bytes], dict[str, Any]]: ...
def pdf_info(src: Any, password: Optional[str], key: Optional[RecipientKey]) -> str: ...
