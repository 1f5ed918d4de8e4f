// PFile: the rights-management wrapper for any file (FORMATS.md B2; `.pfile`, `.ptxt`, `.ppdf` …).
//
// Layout (all integers little-endian): magic ".pfile", major, minor, a clear-text notice for
// people, a header giving the original extension, the publishing license (UTF-8 with BOM), the
// start of the ciphertext (which runs to the end of the file), the original size and a
// metadata section. The content is AES-CBC4K (B1) under the content key.
//
// Writing: version 3.0, 40-byte header, AES-256 (any 16/24/32-byte key is accepted). The
// metadata section holds openrms's integrity MAC: "openrms-integrity-v1:" followed by
// HMAC-SHA256 over the whole file with the MAC read as zeros, under a key derived from the
// content key (DESIGN.md §4). Microsoft's readers ignore the metadata section.
// Reading: versions 2.0, 2.1 and 3.x. The license is format-agnostic here: read_header() hands
// it back as bytes for the licensing layer; decrypt() takes the content key the license gave.
// By default a file without openrms's MAC is refused (Errc::integrity), so stripping the MAC
// is detected like any other change; pass require_integrity = false to open PFiles written by
// other software.
//
// Errors (openrms::Error): bad_format (not a PFile, inconsistent offsets or sizes, truncated),
// unsupported (major version other than 2 or 3), integrity (MAC mismatch, MAC missing, bad
// padding: one message for all, the file was altered or the key is wrong), invalid_argument
// (bad key size, an extension with control characters, an output sink that cannot patch).
// Memory is bounded (a few MiB) whatever the file size. If write()/decrypt() throw, the sink
// holds partial output: use AtomicFileSink. Thread safety: reentrant; segment work may run on
// the internal thread pool (SegmentOptions::threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/segment_cipher.hpp"
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
  bool has_mac = false;                        ///< openrms's integrity MAC is present
  std::uint64_t mac_offset = 0;                ///< absolute offset of the MAC (if has_mac)
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
  crypto::SegmentOptions segments{};
  Progress progress;
};

/// Encrypts `plaintext` into a PFile v3 on `out` with `license` embedded. `out` must support
/// patch() (the MAC is written last): AtomicFileSink, MemorySink and TempFile do.
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

/// Checks the MAC over the whole file first, then decrypts the content to `out` (nothing reaches
/// `out` from an altered file that carries the MAC, unless overlap_verification; a file without
/// it, with require_integrity false, can still fail on its padding after partial output).
ReadResult decrypt(const ByteSource& src, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt = {});

/// The protected file name for `name` (FORMATS.md B2): a.txt -> a.ptxt, a.pdf -> a.ppdf,
/// a.jpeg -> a.pjpeg, …; any other (or no) extension -> NAME.pfile appended (a.zip -> a.zip.pfile).
std::string protected_name(std::string_view name);
/// The inverse: a.ptxt -> a.txt, a.zip.pfile -> a.zip; `extension` (from the header) wins when
/// the name does not tell (a renamed file). Never returns a path with a directory part.
std::string original_name(std::string_view protected_name, std::string_view extension);

}  // namespace openrms::formats::pfile
