#!/usr/bin/env python3
"""Exit 0 if two compound files hold the same storages and streams with the same bytes (olefile
reads both; the files themselves may be laid out differently). With stream names after the two
files, only those streams are compared. Usage: same_streams.py A B [STREAM...]"""
import olefile, sys

a, b = olefile.OleFileIO(sys.argv[1]), olefile.OleFileIO(sys.argv[2])
only = sys.argv[3:]
names = lambda f: sorted("/".join(p) for p in f.listdir(streams=True, storages=True))
if not only and names(a) != names(b):
    sys.exit(f"entries differ: {names(a)} vs {names(b)}")
for p in [s.split("/") for s in only] or b.listdir(streams=True, storages=False):
    if a.openstream(p).read() != b.openstream(p).read():
        sys.exit("stream differs: " + "/".join(p))
