// One interface over the rights-protected containers (DESIGN.md §1): PFile (FORMATS.md B2),
// Office IRM data spaces (B3, OOXML and binary flavours) and the rights-managed PDF wrapper (B4).
//
// open_container() detects the container once and parses it once: the reader it returns holds
// the license, the sizes and the flavour, and decrypts from that parse (a binary Office IRM file's
// compound file is read once, not once per question). writer_for() picks the writer for a
// kind; container_for() says which kind a plaintext gets. The keys a container uses come from
// ContentKey (the license's content key, or a typed derivation of it), not from labels spread
// over the callers. One ContainerOptions carries the crypto backend, threads and progress to
// every format, PDF included. The license itself is opaque here: licensing/ parses it.
//
// Errors (openrms::Error): bad_format (not a protected container, or a damaged one), integrity
// (altered content, a stripped check, or a key that does not belong), unsupported (a container
// version openrms does not read; random access on a container whose integrity is whole-file),
// invalid_argument (container_for: a password-encrypted Office document; writer input the
// container cannot take), io. Readers and writers keep references to the sources they are
// given, which must outlive them. Thread safety: a ContainerReader may be used from one thread at
// a time; different readers are independent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats {

enum class ContainerKind {
  none,        ///< not a protected file
  pfile,       ///< PFile (FORMATS.md B2)
  office_irm,  ///< Office IRM data spaces: OOXML, or binary .doc/.xls/.ppt (FORMATS.md B3)
  pdf          ///< rights-managed PDF wrapper (FORMATS.md B4)
};
std::string_view to_string(ContainerKind c) noexcept;

/// The content key a license carries (AES-256 for PFile and PDF) and the keys derived from it
/// where a container demands a smaller one, so that no two containers share raw key material:
/// HKDF-SHA256(ikm = content key, salt = "", info = the purpose's label).
class ContentKey {
 public:
  enum class Purpose {
    office_irm_aes128,  ///< "openrms-office-irm-aes128-v1": Office IRM's AES-128 (B3)
    rpmsg_aes128,       ///< "openrms-rpmsg-aes128-v1": message.rpmsg's AES-128 (B5)
  };
  /// 16..64 bytes, else invalid_argument. The copy is wiped when the ContentKey goes.
  explicit ContentKey(ByteView key);
  ByteView bytes() const noexcept { return key_; }
  crypto::SecureBytes derive(Purpose p, const crypto::Backend& be) const;

 private:
  crypto::SecureBytes key_;
};

/// What every container reader and writer gets from its caller.
struct ContainerOptions {
  crypto::SegmentOptions segments{};  ///< backend (null: the default), threads, lane engine
  Progress progress;
  bool require_integrity = true;  ///< refuse containers without openrms's integrity
  const crypto::Backend& backend() const noexcept {
    return segments.backend ? *segments.backend : crypto::default_backend();
  }
};

/// Plaintext bytes at any offset (see ContainerReader::random_access).
class RandomAccess {
 public:
  virtual ~RandomAccess() = default;
  virtual std::uint64_t size() const noexcept = 0;
  /// Reads from `offset` up to the end; returns the bytes read. Errc::integrity if a touched
  /// segment was altered (`out` zeroed).
  virtual std::size_t read_at(std::uint64_t offset, MutableByteView out) const = 0;
};

/// A container opened (detected and parsed) once.
class ContainerReader {
 public:
  virtual ~ContainerReader() = default;
  virtual ContainerKind kind() const noexcept = 0;
  /// The embedded publishing license, as stored (BOM removed).
  virtual const std::string& license() const noexcept = 0;
  /// The plaintext size where the container records it.
  virtual std::optional<std::uint64_t> size() const noexcept = 0;
  /// The original file extension where the container records it (PFile), else empty.
  virtual std::string original_extension() const { return {}; }
  /// How the content is authenticated, for people: "per-segment AES-256-GCM (1 MiB segments)",
  /// "whole-file HMAC-SHA256", or "none (written by other software)".
  virtual std::string integrity() const = 0;
  /// The name for the unprotected content of a file named `protected_name` (no directory part):
  /// a.ptxt → a.txt, a.zip.pfile → a.zip; containers that keep the name: a.docx →
  /// a-unprotected.docx.
  virtual std::string original_name(std::string_view protected_name) const;
  /// Decrypts the content to `out` with integrity checked. `discarded_on_failure`: the caller
  /// throws the output away unless this returns (a temporary file renamed afterwards, a wiped
  /// buffer), which lets a whole-file check overlap the decryption. Returns plaintext bytes.
  virtual std::uint64_t decrypt(ByteSink& out, const ContentKey& key,
                                bool discarded_on_failure = false) const = 0;
  /// Random access to the plaintext, verifying only the segments or chunks a read touches (PFile;
  /// Office IRM documents with per-chunk integrity, OOXML flavour). Errc::unsupported where the
  /// integrity is whole-file (the PDF wrapper, older files) and reading a range would mean
  /// checking everything, and for binary Office IRM documents.
  virtual std::unique_ptr<RandomAccess> random_access(const ContentKey& key) const;
};

/// Which container `src` is (ContainerKind::none for anything else). Never throws: a broken file
/// that looks like a container still reports that container.
ContainerKind detect_container(const ByteSource& src) noexcept;

/// Detects and parses the container in `src`. Errc::bad_format if it is none.
std::unique_ptr<ContainerReader> open_container(const ByteSource& src,
                                                const ContainerOptions& opt = {});

/// The container a plaintext gets: Office Open XML and binary Office documents → Office IRM,
/// PDF → the rights-managed PDF wrapper, anything else (also a damaged compound file or ZIP) →
/// PFile. Errc::invalid_argument for a password-encrypted Office document.
ContainerKind container_for(const ByteSource& plaintext);

/// What a writer needs to know about the plaintext besides its bytes.
struct WriteContext {
  std::string name;        ///< the plaintext's file name (PFile records its extension)
  std::string cover_text;  ///< PDF: extra lines for the cover page (issuer, license server)
};

class ContainerWriter {
 public:
  virtual ~ContainerWriter() = default;
  virtual ContainerKind kind() const noexcept = 0;
  /// Writes `plaintext` into the container with `license` embedded. `out` must support
  /// patch() (AtomicFileSink, MemorySink and TempFile do).
  virtual void write(const ByteSource& plaintext, ByteSink& out, std::string_view license,
                     const ContentKey& key, const WriteContext& ctx) const = 0;
  /// The output file name for a plaintext named `name` (a.txt → a.ptxt; Office and PDF keep it).
  virtual std::string output_name(std::string_view name) const { return std::string(name); }
};

/// The writer for `kind` (invalid_argument for none).
std::unique_ptr<ContainerWriter> writer_for(ContainerKind kind, const ContainerOptions& opt = {});

}  // namespace openrms::formats
