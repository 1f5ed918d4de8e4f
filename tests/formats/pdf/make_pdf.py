#!/usr/bin/python3
"""Writes test PDFs from scratch (independent of openrms's writer).

  make_pdf.py text OUT [PAGES]           pages of text, /Info, XMP metadata, an annotation
  make_pdf.py images OUT COUNT KIB       COUNT image XObjects of KIB KiB each (incompressible)
  make_pdf.py small OUT COUNT            COUNT tiny objects (dictionaries + strings) on one page
  make_pdf.py update IN OUT              appends an incremental update changing page 1's text
"""
import os
import random
import sys
import zlib


class Pdf:
    def __init__(self, version="1.4"):
        self.out = bytearray(b"%PDF-" + version.encode() + b"\n%\xe2\xe3\xcf\xd3\n")
        self.offsets = {}

    def obj(self, num, body):
        self.offsets[num] = len(self.out)
        self.out += b"%d 0 obj\n" % num + body + b"\nendobj\n"

    def stream(self, num, dict_body, data):
        self.obj(num, b"<<" + dict_body + b" /Length %d>>\nstream\n" % len(data) + data + b"\nendstream")

    def finish(self, root, info=None):
        size = max(self.offsets) + 1
        xref = len(self.out)
        self.out += b"xref\n0 %d\n" % size
        for n in range(size):
            if n in self.offsets:
                self.out += b"%010d 00000 n\r\n" % self.offsets[n]
            else:
                self.out += b"0000000000 %05d f\r\n" % (65535 if n == 0 else 0)
        trailer = b"/Size %d /Root %d 0 R" % (size, root)
        if info:
            trailer += b" /Info %d 0 R" % info
        trailer += b" /ID [<0123456789abcdef0123456789abcdef><0123456789abcdef0123456789abcdef>]"
        self.out += b"trailer\n<<" + trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
        return bytes(self.out)


def text_pdf(pages):
    p = Pdf()
    kids = []
    first_page = 10
    for i in range(pages):
        pn, cn = first_page + 2 * i, first_page + 2 * i + 1
        kids.append(pn)
        lines = b"".join(b"(Page %d line %d: the quick brown fox jumps over the lazy dog) Tj 0 -14 Td\n"
                         % (i + 1, k) for k in range(20))
        content = b"BT /F1 11 Tf 72 720 Td\n" + lines + b"ET"
        p.stream(cn, b"/Filter /FlateDecode", zlib.compress(content))
        p.obj(pn, b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                  b"/Resources <</Font <</F1 3 0 R>>>> /Annots [<</Type /Annot /Subtype /Text "
                  b"/Rect [10 10 30 30] /Contents (Note on page %d)>>]>>" % (cn, i + 1))
    p.obj(1, b"<</Type /Catalog /Pages 2 0 R /Metadata 4 0 R>>")
    p.obj(2, b"<</Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d>>" % pages)
    p.obj(3, b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>")
    xmp = (b"<?xpacket begin='\xef\xbb\xbf' id='W5M0MpCehiHzreSzNTczkc9d'?>"
           b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
           b"<rdf:Description xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:title>openrms test</dc:title>"
           b"</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>")
    p.stream(4, b"/Type /Metadata /Subtype /XML", xmp)
    p.obj(5, b"<</Title (openrms interop sample) /Author (openrms tests) /Producer (make_pdf.py)>>")
    return p.finish(1, 5)


def images_pdf(count, kib):
    p = Pdf("1.5")
    rnd = random.Random(42)
    side = int((kib * 1024 / 3) ** 0.5)
    data_len = side * side * 3
    xobjs, draws = [], []
    for i in range(count):
        num = 10 + i
        data = rnd.randbytes(data_len)
        p.stream(num, b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                      b"/BitsPerComponent 8" % (side, side), data)
        xobjs.append(b"/Im%d %d 0 R" % (i, num))
        draws.append(b"q 20 0 0 20 %d %d cm /Im%d Do Q" % (20 + (i % 25) * 22, 20 + (i // 25) % 34 * 22, i))
    content = b"\n".join(draws) + b"\nBT /F1 12 Tf 72 760 Td (Image test page) Tj ET"
    p.stream(4, b"", content)
    p.obj(3, b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
             b"/Resources <</XObject <<" + b" ".join(xobjs) + b">> /Font <</F1 5 0 R>>>>>>")
    p.obj(5, b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>")
    p.obj(2, b"<</Type /Pages /Kids [3 0 R] /Count 1>>")
    p.obj(1, b"<</Type /Catalog /Pages 2 0 R>>")
    return p.finish(1)


def small_pdf(count):
    p = Pdf()
    p.stream(4, b"", b"BT /F1 12 Tf 72 760 Td (Many small objects) Tj ET")
    p.obj(5, b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>")
    nums = []
    for i in range(count):
        n = 10 + i
        nums.append(n)
        p.obj(n, b"<</Kind /Entry /Index %d /Label (entry number %d) /Value [%d %d.5 true]>>" % (i, i, i, i))
    # A name tree-ish array holding all of them so they are reachable.
    p.obj(6, b"[" + b" ".join(b"%d 0 R" % n for n in nums) + b"]")
    p.obj(3, b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
             b"/Resources <</Font <</F1 5 0 R>>>> /PieceInfo <</openrms <</Private 6 0 R>>>>>>")
    p.obj(2, b"<</Type /Pages /Kids [3 0 R] /Count 1>>")
    p.obj(1, b"<</Type /Catalog /Pages 2 0 R>>")
    return p.finish(1)


def update(src):
    data = open(src, "rb").read()
    prev = int(data[data.rindex(b"startxref") + 9:].split()[0])
    content = b"BT /F1 11 Tf 72 720 Td (Updated first page: incremental revision) Tj ET"
    off = len(data)
    add = b"11 0 obj\n<</Length %d>>\nstream\n" % len(content) + content + b"\nendstream\nendobj\n"
    xref = off + len(add)
    add += b"xref\n11 1\n%010d 00000 n\r\n" % off
    tr = data[data.rindex(b"trailer"):]
    size = int(tr.split(b"/Size")[1].split()[0])
    add += (b"trailer\n<</Size %d /Root 1 0 R /Info 5 0 R /Prev %d "
            b"/ID [<0123456789abcdef0123456789abcdef><0123456789abcdef0123456789abcdef>]>>\n"
            b"startxref\n%d\n%%%%EOF\n" % (size, prev, xref))
    return data + add


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "text":
        data = text_pdf(int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    elif kind == "images":
        data = images_pdf(int(sys.argv[3]), int(sys.argv[4]))
    elif kind == "small":
        data = small_pdf(int(sys.argv[3]))
    elif kind == "update":
        data = update(sys.argv[2])
        out = sys.argv[3]
    else:
        sys.exit(__doc__)
    with open(out + ".tmp", "wb") as f:
        f.write(data)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
