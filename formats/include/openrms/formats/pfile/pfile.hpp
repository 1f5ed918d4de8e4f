// PFile: the rights-management wrapper for any file (FORMATS.md B2; `.pfile`, `.ptxt`, `.ppdf` …).
//
// Layout (all integers little-endian): magic ".pfile", major, minor, a clear-text notice for
// people, a header giving the original extension, the publishing license (UTF-8 with BOM), the
// start of the ciphertext (which runs to the end of the file), the original size and a
// metadata section. The content is AES-CBC4K (B1) under the content key.
//
// Writing: version 3.0, 40-byte header, AES-256 (any 16/24/32-byte key is accepted), and
// openrms's integrity (DESIGN.md §4) announced in the metadata section, which Microsoft's
// readers ignore:
//   version 2 (the default): the content is not CBC4K but a stream of AES-256-GCM segments
//     (crypto/streaming_aead.hpp) keyed from the content key and bound to every header byte.
//     Metadata = "openrms-stream-v2:" ‖ u8 log2(segment size) ‖ salt(32) ‖ nonce prefix(7)
//     (58 bytes); stream context = "openrms-stream-v2|pfile|" ‖ SHA-256(bytes [0, content
//     offset)). Segment i starts at content offset + i·(S+16). Readers verify each segment as
//     they read it: the first byte comes after one segment, not after the whole file, and
//     Reader::read_at() reads any range touching only its segments.
//   version 1: CBC4K content (B1) and "openrms-integrity-v1:" ‖ HMAC-SHA256 over the whole file
//     with the MAC read as zeros, under a key derived from the content key; checked before
//     any plaintext is released.
// Reading: versions 2.0, 2.1 and 3.x, either integrity version. The license is format-agnostic
// here: read_header() hands it back as bytes for the licensing layer; decrypt() takes the
// content key the license gave. By default a file without openrms's integrity is refused
// (Errc::integrity), so stripping it is detected like any other change; pass require_integrity
// = false to open PFiles written by other software (CBC4K without any check).
//
// Errors (openrms::Error): bad_format (not a PFile, inconsistent offsets or sizes, truncated),
// unsupported (major version other than 2 or 3), integrity (MAC mismatch, MAC missing, bad
// padding, a segment that does not verify: one message for all, the file was altered or the key
// is wrong), invalid_argument
// (bad key size, an extension with control characters, an output sink that cannot patch).
// Memory is bounded (a few MiB plus one batch of segments) whatever the file size. If
// write()/decrypt() throw, the sink holds partial output (for version 2 only segments that
// verified): use AtomicFileSink. Thread safety: reentrant; segment work may run on
// the internal thread pool (SegmentOptions::threads).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/crypto/streaming_aead.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::pfile {

/// Limits applied to the header of a file being read (hostile input).
struct Limits {
  std::uint32_t max_notice = 64 * 1024;
  std::uint32_t max_extension = 256;
  std::uint32_t max_license = 4u << 20;
  std::uint32_t max_metadata = 1u << 20;
};

struct Header {
  std::uint32_t major = 3, minor = 0;
  std::string notice;     ///< the clear-text notice (ASCII)
  std::string extension;  ///< original extension including the dot, e.g. ".txt"; may be empty
  std::string license;    ///< the publishing license (BOM removed)
  std::uint64_t content_offset = 0;
  std::uint64_t content_size = 0;              ///< ciphertext bytes
  std::optional<std::uint64_t> original_size;  ///< v2.1+, unless the writer said "unknown"
  bool has_mac = false;                        ///< integrity v1: the whole-file MAC is present
  std::uint64_t mac_offset = 0;                ///< absolute offset of the MAC (if has_mac)
  /// integrity v2: the content is a stream of authenticated segments with these parameters
  std::optional<crypto::StreamingAead::Params> stream;
  /// Which integrity openrms finds: 0 none (another writer's PFile), 1 or 2.
  int integrity_version() const noexcept { return stream ? 2 : has_mac ? 1 : 0; }
  /// The plaintext size, known from the layout for v2 and from the header field otherwise.
  std::optional<std::uint64_t> plaintext_size() const noexcept { return original_size; }
};

/// True if `first_bytes` starts with the magic ".pfile".
bool has_signature(ByteView first_bytes) noexcept;

/// Parses and checks the header (no key needed). Errc::bad_format / unsupported.
Header read_header(const ByteSource& src, const Limits& limits = {});

/// The notice openrms writes for people who open the file in a text viewer.
std::string default_notice();

struct WriteOptions {
  std::string extension;  ///< original extension with the dot (".txt"); may be empty
  std::string notice = default_notice();
  /// 2: per-segment AES-GCM (default); 1: CBC4K and the whole-file MAC (what openrms wrote
  /// before; kept for comparison and for readers that have not caught up).
  int integrity_version = 2;
  /// Version 2 segment size: a power of two from 4 KiB to 16 MiB.
  std::uint32_t segment_size = crypto::StreamingAead::kDefaultSegment;
  crypto::SegmentOptions segments{};
  Progress progress;
};

/// Encrypts `plaintext` into a PFile v3 on `out` with `license` embedded. Integrity version 2
/// writes strictly in order; version 1 needs an `out` that supports patch() (the MAC is written
/// last): AtomicFileSink, MemorySink and TempFile do.
void write(const ByteSource& plaintext, ByteSink& out, std::string_view license,
           ByteView content_key, const WriteOptions& opt = {});

struct ReadOptions {
  bool require_integrity = true;
  Limits limits{};
  crypto::SegmentOptions segments{};
  Progress progress;
  /// Only for an output that is thrown away unless decrypt() returns (an AtomicFileSink committed
  /// afterwards, a buffer dropped on an exception): the MAC check then runs on its own thread
  /// while the content is decrypted (~1.5x faster on two cores) instead of in a pass before it.
  /// A failed check still ends in Errc::integrity before decrypt() returns, but plaintext of the
  /// altered file will have reached `out`. The source must allow concurrent read_at().
  bool overlap_verification = false;
};

struct ReadResult {
  Header header;
  bool integrity_verified = false;
  std::uint64_t size = 0;  ///< plaintext bytes written
};

/// Decrypts the content to `out`. Version 2: segment by segment, each read once and verified
/// before its plaintext is written (an altered segment ends in Errc::integrity after the
/// segments before it were written). Version 1: checks the MAC over the whole file first, then
/// decrypts (nothing reaches `out` from an altered file, unless overlap_verification). A file
/// without integrity, with require_integrity false, can still fail on its padding after partial
/// output.
ReadResult decrypt(const ByteSource& src, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt = {});

/// Random access to the plaintext of a PFile.
/// Version 2 reads and verifies only the segments a read touches (a 64 KiB read costs one or two
/// segments, whatever the file size). Version 1 and unauthenticated files are checked (MAC) once
/// when the Reader is made, over a private copy of the file, then served from it.
/// Errors: as decrypt(); read_at() throws Errc::integrity if a segment fails (nothing of it is
/// returned: `out` is zeroed). Thread safety: read_at() may run from several threads at once if
/// the source allows concurrent read_at() (FileSource and MemorySource do). The source must
/// outlive the Reader.
class Reader {
 public:
  Reader(const ByteSource& src, ByteView content_key, const ReadOptions& opt = {});
  Reader(Reader&&) noexcept;
  ~Reader();

  const Header& header() const noexcept;
  /// Plaintext bytes.
  std::uint64_t size() const noexcept;
  /// Reads plaintext from `offset` into `out`, up to the end; returns the bytes read (0 at or
  /// past the end).
  std::size_t read_at(std::uint64_t offset, MutableByteView out) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// The protected file name for `name` (FORMATS.md B2): a.txt -> a.ptxt, a.pdf -> a.ppdf,
/// a.jpeg -> a.pjpeg, …; any other (or no) extension -> NAME.pfile appended (a.zip -> a.zip.pfile).
std::string protected_name(std::string_view name);
/// The inverse: a.ptxt -> a.txt, a.zip.pfile -> a.zip; `extension` (from the header) wins when
/// the name does not tell (a renamed file). Never returns a path with a directory part.
std::string original_name(std::string_view protected_name, std::string_view extension);

}  // namespace openrms::formats::pfile
