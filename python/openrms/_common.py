"""Helpers the openrms modules share."""

from __future__ import annotations

import os
from typing import IO, Callable, Optional, Union

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
Target = Union[None, str, "os.PathLike[str]", IO[bytes]]
Progress = Optional[Callable[[int, int], None]]
