// Rights-managed PDF (FORMATS.md B4, ISO 32000-2 §7.6.7 unencrypted wrapper documents).
//
// Wrapper: an ordinary unencrypted PDF 2.0 whose single cover page tells the reader what is
// needed to open the document; its catalog has /Collection << /D (…) /View /H >> and /AF [the
// payload file specification] with /AFRelationship /EncryptedPayload, /EF << /F payload >>,
// /EP << /Type /EncryptedPayload /Subtype /OpenRMS /Version V … >>.
//
// Version 2 (written by default): the payload is the original PDF itself, byte for byte, sealed
// as a streaming-AEAD stream (crypto/streaming_aead.hpp: AES-256-GCM segments of 1 MiB under a
// key derived from the content key, the /EP parameters, the license and the size). /EP holds
// /OpenRMSSegment S /OpenRMSSalt <32 bytes> /OpenRMSNonce <7 bytes> /OpenRMSSize N
// /PublishingLicense <license> /OpenRMSIntegrity <64 hex digits>: HMAC-SHA256 over every byte
// of the wrapper outside the payload's stream data, those digits read as '0'. Readers check
// that MAC (a few KB), then release each segment as it verifies, and read any range by
// verifying only its segments; unprotecting gives back the original file exactly.
// Version 1 (still read; written with WriteOptions::version = 1): the payload is the original
// rewritten with a license-based security handler — its trailer's /Encrypt is << /Filter
// /OpenRMS /V 5 /CF << /OpenRMS << /Type /CryptFilter /CFM /None >> >> /StmF /OpenRMS /StrF
// /OpenRMS /OpenRMSVersion 1 /EncryptMetadata true /PublishingLicense (license) >> and every
// string and stream is encrypted alone (uint32 BE length || data, AES-CBC4K from segment 0);
// /OpenRMSIntegrity is HMAC-SHA256 over the whole wrapper, checked before anything is
// decrypted; unprotecting gives back the same objects in a rewritten file.
//
// Errors (openrms::Error): bad_format (not a wrapper openrms wrote, a malformed payload or /EP),
// integrity (MAC missing/mismatch, a segment that fails to verify, bad padding or length
// prefix: altered or wrong key), unsupported (the input to write() is already encrypted; a
// wrapper of a later version; random access to version 1), invalid_argument (key size, a sink
// that cannot patch). Streams are processed in bounded chunks. Thread safety: reentrant;
// Reader::read_at may run from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::pdf::rights {

struct Info {
  std::string license;             ///< the publishing license (/EP, or the payload's /Encrypt)
  std::uint64_t payload_size = 0;  ///< bytes of the embedded payload
  bool has_mac = false;
  int version = 1;                             ///< /EP /Version
  std::optional<std::uint64_t> original_size;  ///< version 2: the original PDF's size
};

/// True if `src` is a PDF wrapper carrying an openrms payload. Never throws.
bool is_protected(const ByteSource& src) noexcept;
/// Reads the license without a key. Errc::bad_format if not an openrms wrapper.
Info read_info(const ByteSource& src);

struct WriteOptions {
  int version = 2;         ///< 2, or 1 for readers of openrms before version 2
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

/// Version 2: verifies the header MAC, then writes the original PDF to `out`, each segment once
/// it verified. Version 1: verifies the whole-file MAC, then writes the decrypted payload as a
/// plain PDF.
ReadResult decrypt(const ByteSource& src, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt = {});

/// Random access to the original PDF of a version 2 wrapper: the header MAC is checked when it
/// is made, then each read verifies only the segments it touches (Errc::integrity if one was
/// altered; `out` is then zeroed). `src` must outlive it. unsupported for version 1.
class Reader {
 public:
  Reader(const ByteSource& src, ByteView content_key, const ReadOptions& opt = {});
  Reader(Reader&&) noexcept;
  ~Reader();
  std::uint64_t size() const noexcept;
  /// Plaintext bytes from `offset` into `out`, up to the end; returns how many.
  std::size_t read_at(std::uint64_t offset, MutableByteView out) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace openrms::formats::pdf::rights
