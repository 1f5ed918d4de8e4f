// Office IRM protection of OOXML documents: the DRMEncryptedDataSpace container
// ([MS-OFFCRYPTO] §2.2, FORMATS.md B3), written the way Office writes it.
//
// A compound file holding \006DataSpaces (Version, DataSpaceMap: EncryptedPackage ->
// DRMEncryptedDataSpace, DataSpaceInfo, TransformInfo/DRMEncryptedTransform/\006Primary with the
// publishing license at byte 176) and EncryptedPackage = uint64 LE plaintext size ||
// AES-ECB(key, package zero-padded to 16) — ECB because the specification demands it; the
// license-agnostic key is given by the caller (16, 24 or 32 bytes; Office uses AES-128).
// openrms adds the stream "OpenRMS.Integrity" (laid out first, at a fixed place; Office ignores
// it), under keys derived from the content key (DESIGN.md §4):
//   version 2 (written by default): "openrms-integrity-v2:" ‖ u8 log2(C) (20) ‖ LE64 N ‖
//     header MAC (32) ‖ N chunk tags (32 each), at least 4096 bytes. The package's ciphertext
//     (EncryptedPackage after its 8-byte size, laid out in consecutive sectors) is cut into N
//     chunks of C = 1 MiB; tag_i = HMAC-SHA256(Kc, LE64 i ‖ LE64 N ‖ LE64 plaintext size ‖
//     chunk i); header MAC = HMAC-SHA256(Kh, every file byte outside the ciphertext with the
//     header MAC and tags read as zeros ‖ the N tags). Readers check the header MAC (a few KB
//     of reading), then release each chunk as its tag verifies; any changed byte anywhere is
//     still refused, and tags are computed and checked in parallel.
//   version 1: "openrms-integrity-v1:" ‖ HMAC-SHA256 over the whole compound file with the MAC
//     read as zeros (4096 bytes); verified before any plaintext is released.
//
// Errors (openrms::Error): bad_format (not an IRM-protected OOXML file, a malformed \006Primary,
// a truncated EncryptedPackage), integrity (MAC missing or wrong: altered, or the wrong key),
// invalid_argument (key size; a plaintext that is not an OOXML package when require_ooxml).
// The binary flavour (Flavour::binary, FORMATS.md B3/B5) is the same container with the content in
// \011DRMContent, the data space \011DRMDataSpace and the transform \011DRMTransform — the layout
// of rights-managed mail (message.rpmsg) and binary Office documents. For .doc/.xls/.ppt,
// write_binary_document() makes the document itself, byte for byte, the inner compound file (the
// \011DRMContent plaintext) and copies its summary-information streams beside it, as Office
// keeps them; no placeholder document is written (an application unaware of IRM reports the
// file as damaged instead of showing a notice — a documented limit).
// Extra streams given to write() are stored at the root and covered by the MAC.
// Streaming and bounded memory; a throw leaves partial output in the sink (use AtomicFileSink).
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::office::irm {

enum class Flavour {
  ooxml,  ///< EncryptedPackage / DRMEncryptedDataSpace / DRMEncryptedTransform
  binary  ///< \011DRMContent / \011DRMDataSpace / \011DRMTransform
};

struct Info {
  Flavour flavour = Flavour::ooxml;
  std::string license;        ///< the publishing license from \006Primary (BOM removed)
  std::uint64_t size = 0;     ///< plaintext size declared by EncryptedPackage
  bool has_mac = false;       ///< the OpenRMS.Integrity stream is present and well formed
  int integrity_version = 0;  ///< 0 none, 1 whole-file MAC, 2 per-chunk tags
  std::uint16_t cfb_version = 3;
};

/// Reads the license and sizes without any key. Errc::bad_format if not IRM-protected OOXML.
Info read_info(const ByteSource& src);

struct WriteOptions {
  Flavour flavour = Flavour::ooxml;
  /// 2 (default): per-chunk tags (see the header comment); 1: one MAC over the whole file.
  int integrity_version = 2;
  bool require_ooxml = true;  ///< refuse a plaintext that is not a ZIP package (ooxml flavour)
  /// Root streams written beside the content (names must not clash), covered by the MAC.
  std::vector<std::pair<std::string, Bytes>> extra_streams;
  const crypto::Backend* backend = nullptr;
  Progress progress;
};

/// Writes the IRM container for the OOXML package `plaintext`. `out` must support patch().
void write(const ByteSource& plaintext, ByteSink& out, std::string_view license,
           ByteView content_key, const WriteOptions& opt = {});

struct ReadOptions {
  bool require_integrity = true;  ///< refuse files without openrms's MAC
  const crypto::Backend* backend = nullptr;
  Progress progress;
  /// As pfile::ReadOptions::overlap_verification: only for an output discarded unless decrypt()
  /// returns; the MAC check then overlaps the decryption instead of preceding it.
  bool overlap_verification = false;
};

struct ReadResult {
  Info info;
  bool integrity_verified = false;
  std::uint64_t size = 0;
};

/// Protects a binary Office document (.doc/.xls/.ppt compound file): the binary flavour with the
/// document's streams in an inner compound file, \005SummaryInformation and
/// \005DocumentSummaryInformation kept at the root. Errc::invalid_argument if `document` is not
/// a compound file; `out` must support patch(). Memory: the inner file goes through a TempFile.
void write_binary_document(const ByteSource& document, ByteSink& out, std::string_view license,
                           ByteView content_key, const WriteOptions& opt = {});

/// The inverse: verifies the MAC and writes the inner compound file, which is the original
/// document byte for byte. Files whose inner compound file lacks the root summary streams (as
/// openrms wrote them before, and as Office writes them) are rebuilt as one compound file (its
/// streams and storages, the root summary streams, CLSIDs): streams byte-identical, the layout
/// openrms's. ReadResult::size is the size of the document written.
ReadResult decrypt_binary_document(const ByteSource& src, ByteSink& out, ByteView content_key,
                                   const ReadOptions& opt = {});

/// Reads a root stream of an IRM container (at most max_bytes, else bad_format); nullopt if absent.
/// Not authenticated by itself: trust it only after decrypt() verified the MAC.
std::optional<Bytes> read_stream(const ByteSource& src, std::string_view name,
                                 std::size_t max_bytes);

/// Verifies the MAC over the whole file first, then decrypts the package to `out`.
ReadResult decrypt(const ByteSource& src, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt = {});

}  // namespace openrms::formats::office::irm
