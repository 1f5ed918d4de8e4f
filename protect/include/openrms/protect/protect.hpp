// The protect facade (DESIGN.md §2): protect, open, unprotect and inspect files for one user.
//
// protect(): detects the input format and picks the container — Office Open XML and binary
// Office (.doc/.xls/.ppt) documents get Office IRM protection (same extension), PDF files the
// rights-managed PDF wrapper (same extension, ISO 32000-2 §7.6.7), everything else a PFile (a.txt
// -> a.ptxt, a.zip -> a.zip.pfile). The publishing license comes from the LicenseSource
// (server-side publishing, with the owner license so the issuer reopens offline); the content is
// encrypted with the license's content key; output goes to a temporary file renamed on success.
// open(): reads the license from the container, then gets the user's rights: as the issuer, from
// the owner license inside it (offline); otherwise from a cached use license if it is still
// valid, else a fresh one from the source (cached again unless the policy says offline "never").
// The Document it returns answers can(right) and decrypts only for VIEW; export (unprotect)
// needs EXPORT or OWNER; re-protecting needs EDITRIGHTSDATA or OWNER.
//
// Errors (openrms::Error, one model for the whole API): bad_format (not a protected file /
// corrupt), integrity (altered file or forged license), no_right (the user lacks the right the
// operation needs, or is not authorised at all), expired (content expiry passed), revoked,
// rac_expired (renew the RAC), license_expired (only when the source cannot re-issue),
// unsupported (a container openrms does not read), invalid_argument
// (e.g. an already-protected input without re-protection, a password-encrypted Office file),
// io. Nothing half-written is ever left under an output name.
// Thread safety: a Client may be used from several threads at once if its LicenseSource and
// cache allow it (the shipped ones do). Document is not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/formats/container.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/licensing/clock.hpp"
#include "openrms/protect/license_source.hpp"

namespace openrms::protect {

using formats::ByteSink;
using formats::ByteSource;
using formats::Progress;

/// The containers (formats/container.hpp): none, pfile, office_irm, pdf.
using Container = formats::ContainerKind;
using formats::to_string;

/// Which protected container `src` is (Container::none for anything else). Never throws on
/// malformed input: a broken file that looks like a container still reports that container.
inline Container detect(const ByteSource& src) {
  return formats::detect_container(src);
}

/// How to protect.
struct Protection {
  enum class Kind { policy, template_id, do_not_forward, encrypt_only };
  Kind kind = Kind::encrypt_only;
  licensing::Policy policy;             ///< Kind::policy
  std::string template_id;              ///< Kind::template_id
  std::vector<std::string> recipients;  ///< Kind::do_not_forward (the sender is added)
  std::string owner;                    ///< empty: the policy's owner, else the issuer

  static Protection with_policy(licensing::Policy p);
  static Protection with_template(std::string id);
  static Protection do_not_forward(std::vector<std::string> recipients);
  static Protection encrypt_only();
  /// The policy sent to the server for `issuer` (templates: none).
  std::optional<licensing::Policy> policy_for(const std::string& issuer) const;
  std::string describe() const;  ///< "template 1234…", "Do Not Forward (2 recipients)" …
};

/// The user a Client acts for: an identity vouched for by the embedding application, their RAC
/// and its private key.
struct User {
  licensing::Identity identity;
  std::string rac_xml;
  crypto::PrivateKey key;
};

struct ClientOptions {
  const licensing::Clock* clock = nullptr;  ///< nullptr: the system clock
  UseLicenseCache* cache = nullptr;         ///< nullptr: no use-license caching
  crypto::SegmentOptions segments{};
  bool durable = true;  ///< fsync outputs before the rename
  Progress progress;    ///< bytes done / total of the content being processed
};

/// What a protected file says about itself (no rights needed).
struct Inspection {
  Container container = Container::none;
  std::string content_id, issuer, owner;
  std::string template_id, template_name;  ///< empty for an ad-hoc policy
  std::string license_url, license_hash;
  licensing::Time issued_at{};
  bool published_offline = false;
  std::string original_extension;           ///< PFile only
  std::optional<std::uint64_t> size;        ///< plaintext size, where the container records it
  std::string integrity;                    ///< how the content is authenticated (for people)
  std::optional<licensing::Policy> policy;  ///< with_policy: the full policy (VIEWRIGHTSDATA)
};

struct ProtectResult {
  Container container = Container::none;
  std::string content_id;
  std::filesystem::path output;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  bool reprotected = false;
};

class Client;

/// A protected file opened for one user: the decision (rights, expiry, validity) and access to
/// the content as far as the rights allow.
class Document {
 public:
  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

  const licensing::Decision& decision() const noexcept;
  bool can(licensing::Right r) const noexcept { return decision().can(r); }
  const Inspection& info() const noexcept;
  /// True if the rights came from a cached use license (no server contact).
  bool from_cache() const noexcept;

  /// Decrypts the content to `out`, verifying integrity first: nothing of an altered file
  /// reaches `out` (Errc::integrity). Needs VIEW (no_right otherwise).
  std::uint64_t read(ByteSink& out) const;
  /// Plaintext bytes from `offset` into `out`, up to the end; returns the bytes read (0 at or
  /// past the end). Needs VIEW. A PFile with per-segment integrity reads and verifies only the
  /// segments the range touches (a 64 KiB read costs one or two 1 MiB segments, whatever the
  /// file size); an older PFile is checked once, on the first call, then served; an Office IRM
  /// document verifies its header MAC once and then the 1 MiB chunks a range touches (a binary
  /// .doc/.xls/.ppt: ranges of the original document, whose inner compound file it is).
  /// Errc::integrity if a touched segment was altered (`out` zeroed); unsupported for the PDF
  /// wrapper and for IRM documents written before per-chunk integrity or, for binary ones,
  /// before the document itself became the inner file.
  std::size_t read_at(std::uint64_t offset, crypto::MutableByteView out) const;
  /// Decrypts into memory (at most max_bytes, else invalid_argument). Needs VIEW. The integrity
  /// check overlaps the decryption; on any failure the buffer is wiped and nothing is returned.
  crypto::SecureBytes read_all(std::uint64_t max_bytes = 256u << 20) const;
  /// Writes an unprotected copy atomically (a temporary file renamed once the integrity check,
  /// which overlaps the decryption, has passed; nothing is left on failure). Needs EXPORT or
  /// OWNER.
  std::uint64_t export_to(const std::filesystem::path& out) const;

  struct Impl;

 private:
  friend class Client;
  explicit Document(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct BulkOptions {
  unsigned threads = 0;        ///< files in parallel; 0 = every core
  bool skip_protected = true;  ///< already-protected files are skipped (else: a failure)
  bool overwrite = false;      ///< replace existing output files (else each is a failure)
  /// Called after each file (from worker threads, serialised): its path, and the error text
  /// when it failed (empty on success).
  std::function<void(const std::filesystem::path&, const std::string& error, std::size_t done,
                     std::size_t total)>
      on_file;
};

struct BulkResult {
  std::size_t protected_files = 0, skipped = 0;
  std::vector<std::pair<std::filesystem::path, std::string>> failures;  ///< path, error
  std::uint64_t bytes_in = 0;
};

class Client {
 public:
  Client(LicenseSource& source, User user, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const User& user() const noexcept;
  LicenseSource& source() const noexcept;
  const crypto::Backend& backend() const noexcept;

  /// Publishes a license for new content without writing a container: the license and the
  /// content key to protect with (see write_container).
  licensing::Published publish(const Protection& protection);
  /// This user's decision on the content of publishing license `pl_xml` (verified against the
  /// source's anchors), from the same places as open(): the owner license, the cache, the
  /// source. Fails as open() does.
  licensing::Decision rights_for(std::string_view pl_xml, bool* from_cache = nullptr);
  /// The same for a publishing license already parsed and verified against this client's
  /// source (no second verification).
  licensing::Decision rights_for(const licensing::PublishingLicense& pl,
                                 bool* from_cache = nullptr);
  /// Writes `in` into container `c` under an already published license (`pub.license_xml` and
  /// `pub.content_key`). `name` is the plaintext's file name (PFile records its extension).
  /// `out` must support patch() (AtomicFileSink, MemorySink, TempFile do).
  void write_container(Container c, const ByteSource& in, ByteSink& out,
                       const licensing::Published& pub, std::string_view name);
  /// Decrypts a container held in `src` with a decision from rights_for() (VIEW is checked).
  std::uint64_t read_container(const ByteSource& src, const licensing::Decision& decision,
                               ByteSink& out);

  /// Protects `in` into `out` (empty: default_output_name next to the input; NAME-reprotected.EXT
  /// when re-protecting into the same container). An input that is already protected is refused
  /// (invalid_argument) unless `reprotect`, which needs EDITRIGHTSDATA or OWNER on it
  /// (no_right). Never writes onto `in`; an existing `out` only with `overwrite`
  /// (invalid_argument otherwise).
  ProtectResult protect(const std::filesystem::path& in, std::filesystem::path out,
                        const Protection& protection, bool reprotect = false,
                        bool overwrite = false);
  /// Opens a protected file for this user (see the header comment for where rights come from).
  Document open(const std::filesystem::path& in);
  /// Opens and exports: needs EXPORT or OWNER. `out` empty: the original name next to `in`.
  /// Never writes onto `in`; an existing `out` only with `overwrite` (invalid_argument).
  std::filesystem::path unprotect(const std::filesystem::path& in, std::filesystem::path out,
                                  bool overwrite = false);
  /// Describes a protected file. with_policy asks the source for the full policy, which needs
  /// VIEWRIGHTSDATA (or being the issuer/owner): no_right otherwise.
  Inspection inspect(const std::filesystem::path& in, bool with_policy = false);
  /// Revokes the content of a protected file (issuer only).
  void revoke(std::string_view content_id);
  /// The tracking log (issuer only): entries after `after_seq`, at most `limit` (0: all); each
  /// entry's seq is the cursor for the next page.
  std::vector<licensing::TrackingEntry> track(std::string_view content_id,
                                              std::int64_t after_seq = 0, std::size_t limit = 0);

  /// Protects every regular file under `in_dir` into the same tree under `out_dir` (which must
  /// not lie inside `in_dir`), in parallel; failures are reported per file and leave nothing.
  BulkResult protect_tree(const std::filesystem::path& in_dir, const std::filesystem::path& out_dir,
                          const Protection& protection, const BulkOptions& options = {});

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Describes a protected file without a user (anyone may read what the license says in the
/// clear: content id, issuer, owner, template). The license's signature is verified against the
/// source's anchors (integrity if forged); bad_format if `in` is not a protected file.
Inspection inspect_file(const std::filesystem::path& in, LicenseSource& source,
                        const crypto::Backend& be = crypto::default_backend());

/// The output name protect() uses for `in` and the container it will pick.
std::filesystem::path default_output_name(const std::filesystem::path& in, Container c);
/// The container protect() picks for this (unprotected) input (formats::container_for).
using formats::container_for;

}  // namespace openrms::protect
