#!/usr/bin/python3
"""Writes a deterministic OOXML-shaped ZIP of about SIZE bytes (stored random parts), so the
interop test covers many 4096-byte segments and openrms's 4 MiB chunk boundary."""
import random
import sys
import zipfile

out, size = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261123)
with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("word/document.xml", "<w:document/>")
    z.writestr("word/media/blob.bin", bytes(rng.getrandbits(8) for _ in range(size)))
