// Rights-managed PDF (FORMATS.md B4, ISO 32000-2 §7.6.7 unencrypted wrapper documents).
//
// Payload: the original PDF rewritten with a license-based security handler — the trailer's
// /Encrypt is << /Filter /OpenRMS /V 5 /CF << /OpenRMS << /Type /CryptFilter /CFM /None >> >>
// /StmF /OpenRMS /StrF /OpenRMS /OpenRMSVersion 1 /EncryptMetadata true /PublishingLicense
// (license) >> (the Microsoft layout, under openrms's own handler name) and every string and
// stream is encrypted alone: plaintext uint32 BE length || data, AES-CBC4K (B1) from segment 0.
// Wrapper: an ordinary unencrypted PDF 2.0 whose single cover page tells the reader what is
// needed to open the document; its catalog has /Collection << /D (…) /View /H >> and /AF [the
// payload file specification] with /AFRelationship /EncryptedPayload, /EF << /F payload >>,
// /EP << /Type /EncryptedPayload /Subtype /OpenRMS /Version 1 >>.
// Integrity (DESIGN.md §4): the /EP dictionary also holds /OpenRMSIntegrity <64 hex digits>,
// HMAC-SHA256 over the whole wrapper file with those digits read as '0', under a key derived from
// the content key. Readers verify before they decrypt.
//
// Errors (openrms::Error): bad_format (not a wrapper openrms wrote, a malformed payload),
// integrity (MAC missing/mismatch, bad padding or length prefix: altered or wrong key),
// unsupported (the input to write() is already encrypted), invalid_argument (key size, a sink
// that cannot patch). Streams are processed in bounded chunks; the payload is staged in an
// unlinked scratch file. Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::pdf::rights {

struct Info {
  std::string license;             ///< the publishing license (from the payload's /Encrypt)
  std::uint64_t payload_size = 0;  ///< bytes of the embedded payload PDF
  bool has_mac = false;
};

/// True if `src` is a PDF wrapper carrying an openrms payload. Never throws.
bool is_protected(const ByteSource& src) noexcept;
/// Reads the license without a key. Errc::bad_format if not an openrms wrapper.
Info read_info(const ByteSource& src);

struct WriteOptions {
  std::string cover_text;  ///< extra lines for the cover page (e.g. issuer, license URL)
  crypto::SegmentOptions segments{};
  Progress progress;
};

/// Protects the PDF `pdf` into a wrapper on `out` (which must support patch()).
void write(const ByteSource& pdf, ByteSink& out, std::string_view license, ByteView content_key,
           const WriteOptions& opt = {});

struct ReadOptions {
  bool require_integrity = true;
  crypto::SegmentOptions segments{};
  Progress progress;
};

struct ReadResult {
  Info info;
  bool integrity_verified = false;
  std::uint64_t size = 0;  ///< bytes of the decrypted PDF written
};

/// Verifies the wrapper's MAC, then writes the decrypted payload as a plain PDF to `out`.
ReadResult decrypt(const ByteSource& src, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt = {});

}  // namespace openrms::formats::pdf::rights
