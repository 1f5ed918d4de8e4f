// PDF password encryption: the standard security handler of ISO 32000-1 §7.6.3 and
// ISO 32000-2 §7.6.4, on openrms's own PDF object engine.
//
// Reading: any PDF 1.0–2.0 file — xref tables and streams, hybrid files, object streams,
// incremental updates (newest revision wins), linearized files; a damaged xref is rebuilt by
// scanning the file. Decryption: revisions 2, 3, 4 (RC4 40–128 and AESV2 crypt filters,
// Identity, StmF/StrF/EFF, EncryptMetadata false), 5 and 6 (AESV3, Algorithm 2.B; R6 passwords
// SASLprep'd with a raw-UTF-8 fallback, 127-byte limit), with the user or the owner password.
// Encryption: R6/AESV3 (default) or R4/AESV2 with passwords, or to certificates (PubSec
// adbe.pkcs7.s5 with AESV3, or AESV2 with revision 4; RSA or EC recipients, permissions per
// recipient).
// Public-key security (Adobe.PubSec, ISO 32000-2 §7.6.5): documents encrypted to certificates
// (adbe.pkcs7.s3/s4 with RC4, s5 with RC4, AESV2 or AESV3 crypt filters, EncryptMetadata false)
// decrypt with one recipient's certificate and private key (crypto::RecipientKey: PKCS#12 or
// PEM); the permissions come from that recipient's envelope.
//
// Output: decrypt() and encrypt() rewrite the whole file with a fresh cross-reference section;
// stream data is copied through without decoding and in bounded chunks. Objects keep their
// numbers. Strings and streams are processed per ISO 32000; left unencrypted as the standard
// says: the /Encrypt dictionary, xref streams, /ID, signature /Contents, and the XMP metadata
// stream when EncryptMetadata is false. Streams inside object streams are carried whole.
//
// Errors (openrms::Error): bad_format (not a PDF, damaged beyond repair, malformed encryption
// dictionary), unsupported (another security handler, an unknown revision, sub-filter or crypt
// method), wrong_password (neither the user nor the owner password; for PubSec: no key given, or
// no recipient is the key's certificate — the message names the certificate), integrity (R5/R6
// /Perms does not match /P: the permissions were tampered with; PubSec: a recipient names the
// certificate but the key does not open it), invalid_argument (bad options).
// Passwords are UTF-8; they are never copied into messages.
//
// If encrypt()/decrypt() throw, the sink holds partial output: use AtomicFileSink or the *_file
// helpers, which leave no file behind. Thread safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/cms.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::pdf {

/// The user access permissions of ISO 32000-2 Table 22 (bit numbers in comments, 1-based).
struct PermissionFlags {
  bool print = true;               ///< bit 3
  bool modify = true;              ///< bit 4
  bool copy = true;                ///< bit 5: copy or extract text and graphics
  bool annotate = true;            ///< bit 6: add/modify annotations, fill forms
  bool fill_forms = true;          ///< bit 9
  bool accessibility = true;       ///< bit 10: extract for accessibility (deprecated in 2.0)
  bool assemble = true;            ///< bit 11: insert, rotate, delete pages, bookmarks
  bool print_high_quality = true;  ///< bit 12
};
PermissionFlags decode_permissions(std::int32_t p) noexcept;
/// The /P value: the given bits, bits 7–8 and 13–32 set, bits 1–2 clear.
std::int32_t encode_permissions(const PermissionFlags& f) noexcept;
/// Parses a comma-separated list of permission names ("print,copy", also "all" and "none";
/// names: print, modify, copy, annotate, fill-forms, accessibility, assemble, print-high) or a
/// decimal /P value. Errc::invalid_argument for an unknown name.
std::int32_t parse_permissions(std::string_view spec);
/// The documented mapping from openrms usage rights (policy-encoding names, case-insensitive) to
/// /P: PRINT → print + high-quality print; EXTRACT → copy + accessibility; DOCEDIT or EDIT →
/// modify + assemble + fill forms; COMMENT → annotate; OWNER → everything. VIEW alone gives no
/// permission bits (the document opens and displays). Unknown names are ignored.
std::int32_t permissions_for_rights(std::span<const std::string_view> rights);

/// What opened the document: `recipient` is a public-key recipient's private key.
enum class PasswordMatch { not_encrypted, none, user, owner, recipient };
std::string_view to_string(PasswordMatch m) noexcept;

struct Description {
  std::string version;  ///< header version, e.g. "1.7"
  bool encrypted = false;
  std::string filter;      ///< "Standard", "Adobe.PubSec", or another handler's name
  std::string sub_filter;  ///< PubSec: "adbe.pkcs7.s3", "adbe.pkcs7.s4" or "adbe.pkcs7.s5"
  /// PubSec: who each /Recipients envelope is for (one entry per recipient info).
  std::vector<crypto::EnvelopeRecipient> recipients;
  int v = 0, r = 0;                                                ///< /V and /R
  unsigned key_bits = 0;                                           ///< file key length
  std::string string_method, stream_method, embedded_file_method;  ///< "RC4", "AESV2", ...
  bool encrypt_metadata = true;
  std::int32_t permissions = -4;  ///< PubSec: known only once a recipient key opened it
  PermissionFlags flags;
  /// Which password opened it: the one given, or the empty user password when none was given.
  PasswordMatch matched = PasswordMatch::not_encrypted;
  bool xref_stream = false;  ///< the newest revision uses cross-reference streams
  bool repaired = false;     ///< the xref was rebuilt by scanning, or the encryption dictionary
                             ///< or a crypt filter was found by search (damaged references)
  std::uint64_t objects = 0;
};

/// Describes `pdf`. Without a password the empty user password is tried (documents that open
/// without a prompt); `matched` says whether it or the given password fitted. A PubSec document
/// is tried with `key` when given. Never throws wrong_password: a mismatch is reported as
/// PasswordMatch::none.
Description describe(const ByteSource& pdf, std::optional<std::string_view> password = {},
                     const crypto::RecipientKey* key = nullptr);

/// describe() as one JSON object (the schema `openrms pdf info --json`, the C API and the Python
/// package share): version, encrypted, xref_stream, repaired, objects; for the standard handler
/// filter, revision, version_v, algorithm, key_bits, streams, strings, embedded_files,
/// encrypt_metadata, permissions, permits, password_matched (opens_without_password when no
/// password was given); for PubSec sub_filter, algorithm, recipients, and with a key
/// key_opens_it and that recipient's permissions.
std::string describe_json(const ByteSource& pdf, std::optional<std::string_view> password = {},
                          const crypto::RecipientKey* key = nullptr);
/// The permitted operations as a comma-separated list of the names parse_permissions() takes
/// ("print,print-high,copy"), or "none".
std::string describe_permissions(const PermissionFlags& f);

struct DecryptOptions {
  /// R5/R6: refuse files whose /Perms does not match /P (Errc::integrity). Acrobat does;
  /// lenient readers do not.
  bool verify_perms = true;
  /// For a document encrypted to certificates: a recipient's certificate and private key.
  const crypto::RecipientKey* key = nullptr;
  Progress progress;
  bool durable = true;  ///< decrypt_file(): fsync before the rename (see AtomicFileSink)
  const crypto::Backend* backend = nullptr;  ///< null = the process default
};

struct DecryptResult {
  PasswordMatch matched = PasswordMatch::not_encrypted;
  std::uint64_t objects = 0, bytes = 0;
};

/// Writes an unencrypted copy of `pdf`. Without a password, the empty user password is tried.
/// An unencrypted input is rewritten as is (matched = not_encrypted).
DecryptResult decrypt(const ByteSource& pdf, ByteSink& out,
                      std::optional<std::string_view> password, const DecryptOptions& opt = {});

/// A recipient of a document encrypted to certificates, with the permissions (/P bits) its
/// envelope grants.
struct Recipient {
  crypto::Certificate certificate;
  std::int32_t permissions = -4;
};

struct EncryptOptions {
  int revision = 6;                ///< 6 (AES-256, PDF 2.0) or 4 (AES-128, PDF 1.6)
  std::string_view user_password;  ///< may be empty: the document opens without a prompt
  /// Empty = a random owner password nobody knows (permissions cannot then be lifted).
  std::string_view owner_password;
  std::int32_t permissions = -4;  ///< /P (all permitted by default)
  bool encrypt_metadata = true;
  /// Encrypt to these certificates instead (Adobe.PubSec, adbe.pkcs7.s5): each opens with its
  /// holder's private key. Recipients with equal permissions share one envelope. The passwords
  /// and `permissions` must then be left unset.
  std::vector<Recipient> recipients;
  /// For an input that is already encrypted: its current password (user or owner), or for one
  /// encrypted to certificates, a recipient's key.
  std::optional<std::string_view> current_password;
  const crypto::RecipientKey* current_key = nullptr;
  Progress progress;
  bool durable = true;
  const crypto::Backend* backend = nullptr;  ///< null = the process default
};

/// Writes an encrypted copy of `pdf` (re-encrypting an encrypted one with new passwords or
/// recipients). invalid_argument: revision not 4/6, an R4 password outside Latin-1, an R6
/// password SASLprep rejects, passwords together with recipients, a recipient whose key is neither
/// RSA nor EC. The /ID is kept from the input or freshly generated.
DecryptResult encrypt(const ByteSource& pdf, ByteSink& out, const EncryptOptions& opt);

DecryptResult decrypt_file(const std::filesystem::path& in, const std::filesystem::path& out,
                           std::optional<std::string_view> password,
                           const DecryptOptions& opt = {});
DecryptResult encrypt_file(const std::filesystem::path& in, const std::filesystem::path& out,
                           const EncryptOptions& opt);

}  // namespace openrms::formats::pdf
