// Helpers for the PDF tests: a tiny builder for hand-made PDFs (so each structural case is
// written out explicitly here, not produced by the code under test) and object-level comparison.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "document.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::pdf::test {

/// Builds a classic PDF: header, objects in the given order, xref table, trailer.
struct PdfBuilder {
  std::string version = "1.4";
  std::vector<std::pair<int, std::string>> objects;  // (number, body between "obj" and "endobj")
  std::string trailer_extra;                         // e.g. "/Info 5 0 R"

  void add(int num, std::string body) { objects.emplace_back(num, std::move(body)); }
  /// A stream object with the given dictionary entries (without /Length) and data.
  void add_stream(int num, const std::string& dict, const std::string& data) {
    add(num, "<<" + dict + " /Length " + std::to_string(data.size()) + ">>\nstream\n" + data +
                 "\nendstream");
  }
  std::string build(int root = 1) const {
    std::string out = "%PDF-" + version + "\n%\xe2\xe3\xcf\xd3\n";
    std::map<int, std::size_t> offs;
    int max = 0;
    for (const auto& [n, body] : objects) {
      offs[n] = out.size();
      max = std::max(max, n);
      out += std::to_string(n) + " 0 obj\n" + body + "\nendobj\n";
    }
    std::size_t xref = out.size();
    out += "xref\n0 " + std::to_string(max + 1) + "\n";
    char line[32];
    for (int n = 0; n <= max; ++n) {
      if (offs.count(n)) {
        std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", offs[n]);
      } else {
        std::snprintf(line, sizeof line, "0000000000 %05d f\r\n", n == 0 ? 65535 : 0);
      }
      out += line;
    }
    out += "trailer\n<</Size " + std::to_string(max + 1) + " /Root " + std::to_string(root) +
           " 0 R " + trailer_extra + ">>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return out;
  }
};

/// A one-page document with a text content stream, an /Info string and a metadata stream.
inline PdfBuilder sample_document(const std::string& text = "Hello, openrms") {
  PdfBuilder b;
  b.add(1, "<</Type /Catalog /Pages 2 0 R /Metadata 6 0 R>>");
  b.add(2, "<</Type /Pages /Kids [3 0 R] /Count 1>>");
  b.add(3,
        "<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources <</Font <</F1 5 0 R>>>> /Annots [<</Type /Annot /Subtype /Text /Rect [0 0 1 "
        "1] /Contents (a note \\(with parens\\))>>]>>");
  b.add_stream(4, "", "BT /F1 24 Tf 72 700 Td (" + text + ") Tj ET");
  b.add(5, "<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>");
  b.add_stream(6, "/Type /Metadata /Subtype /XML",
               "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta "
               "xmlns:x='adobe:ns:meta/'/><?xpacket end='w'?>");
  b.add(7, "<</Title (Sample title) /Producer <feff006f0070>>>");
  b.trailer_extra =
      "/Info 7 0 R /ID [<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>]";
  return b;
}

inline void clear_hex_flags(Object& o) {
  if (String* s = o.as_string()) s->hex = false;
  if (Array* a = o.as_array())
    for (Object& e : *a) clear_hex_flags(e);
  if (Dict* d = o.as_dict())
    for (auto& kv : d->entries()) clear_hex_flags(kv.second);
}

/// What openrms's AES-256 encryption (R6, public-key V5) adds to a 1.7 file's catalog: Acrobat's
/// extension level 8 (PdfWriter.Aes256DeclaresAdobesExtension checks that it is there).
inline constexpr std::string_view kAes256Extension =
    " /Extensions <</ADBE <</BaseVersion /1.7 /ExtensionLevel 8>>>>";

/// Every in-use object of `pdf`, serialised, with stream data (decoded only of encryption —
/// i.e. the raw stored bytes of an unencrypted file), keyed by object number. Xref streams and
/// the /Encrypt dictionary are left out; /Length entries are removed so layout does not matter.
inline std::map<std::uint32_t, std::string> object_map(const std::string& pdf) {
  MemorySource src(ByteView(reinterpret_cast<const std::uint8_t*>(pdf.data()), pdf.size()));
  Document doc(src);
  std::map<std::uint32_t, std::string> out;
  const Object* enc = doc.trailer().get("Encrypt");
  for (std::uint32_t n : doc.object_numbers()) {
    if (enc && enc->as_ref() && enc->as_ref()->num == n) continue;
    IndirectObject io = doc.load(n);
    if (Dict* d = io.value.as_dict()) {
      if (d->get("Type") && d->get("Type")->is_name("XRef")) continue;
      d->erase("Length");
    }
    clear_hex_flags(io.value);
    std::string s;
    serialize(io.value, s);
    if (io.is_stream) s += "|stream|" + doc.read_stream_raw(io, 1u << 30);
    out[n] = s;
  }
  return out;
}

/// object_map without the catalog's kAes256Extension: a decrypted round trip against its original.
inline std::map<std::uint32_t, std::string> round_trip_map(const std::string& pdf) {
  auto m = object_map(pdf);
  for (auto& [n, s] : m)
    if (auto at = s.find(kAes256Extension); at != std::string::npos)
      s.erase(at, kAes256Extension.size());
  return m;
}

}  // namespace openrms::formats::pdf::test
