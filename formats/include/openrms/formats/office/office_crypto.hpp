// Office documents: detection and ECMA-376 password encryption ([MS-OFFCRYPTO] §2.3.4).
//
// Supported: Agile encryption (EncryptionInfo 4.4, §2.3.4.10–2.3.4.15) — decrypt with any AES key
// size and SHA-1/256/384/512, with separate keyData and key-encryptor algorithms; encrypt with
// selectable parameters (default AES-256, SHA-512, 100,000 spins, 16-byte salts), always writing
// dataIntegrity and the six streams Office writes. Standard encryption (EncryptionInfo 3.2/4.2,
// §2.3.4.5–2.3.4.9, AES-ECB, SHA-1, 50,000 spins) — decrypt, and encrypt with AES-128/192/256.
// Legacy binary formats (.doc/.xls/.ppt): RC4, RC4 CryptoAPI and Excel's XOR obfuscation are
// decrypted (never written: they are broken); Word's XOR obfuscation is detected only.
//
// Errors (openrms::Error): bad_format (not an encrypted Office file, corrupt container or
// EncryptionInfo), unsupported (well-formed but e.g. RC2, certificate-only, extensible or IRM
// encryption), wrong_password (no password key encryptor accepts the password), integrity (the
// password is right but the dataIntegrity HMAC does not match: the package was altered),
// invalid_argument (bad options, a password over 255 characters). Passwords are UTF-8 in this
// API and UTF-16LE in the key derivation; they are held in wiping buffers and never reach a
// message.
//
// Output: encrypt() and decrypt() write to a ByteSink as they go. If they throw, the sink holds
// a partial result that must be discarded — AtomicFileSink does that by not committing, so use
// it (or the *_file helpers) for files. Memory use is bounded (a few chunks of 4 MiB) whatever
// the document size.
//
// Thread safety: all functions are reentrant; they may use a pool of worker threads internally
// (SegmentOptions::threads) and return only after all work is done.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/backend.hpp"
#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::office {

enum class Container {
  not_office,       ///< neither an OOXML package nor an Office compound file
  ooxml,            ///< a plain OOXML package (ZIP with [Content_Types].xml)
  ooxml_encrypted,  ///< OOXML inside a compound file with EncryptionInfo/EncryptedPackage
  legacy_binary,    ///< Word 97–2003 .doc, Excel .xls, PowerPoint .ppt compound file
  compound_other    ///< a compound file that is none of the above
};

enum class Scheme {
  none,             ///< not encrypted
  agile,            ///< ECMA-376 Agile (EncryptionInfo 4.4)
  standard,         ///< ECMA-376 Standard (EncryptionInfo 3.2 / 4.2)
  extensible,       ///< ECMA-376 Extensible (3.3 / 4.3): not supported
  irm,              ///< rights-managed (DRMEncryptedDataSpace)
  rc4_cryptoapi,    ///< legacy binary: RC4 CryptoAPI (§2.3.5)
  rc4_binary,       ///< legacy binary: Office binary document RC4 (§2.3.6)
  xor_obfuscation,  ///< legacy binary: XOR obfuscation (§2.3.7)
  unknown           ///< encrypted, but the scheme could not be determined
};

std::string_view to_string(Container c) noexcept;
std::string_view to_string(Scheme s) noexcept;

struct Detection {
  Container container = Container::not_office;
  Scheme scheme = Scheme::none;
  std::string application;  ///< "Word", "Excel", "PowerPoint" where known, else empty
  bool encrypted() const noexcept { return scheme != Scheme::none; }
};

/// Identifies what `source` is. Never throws for malformed input: a file that cannot be parsed
/// as what its signature claims is reported as not_office (ZIP) or compound_other (CFB).
Detection detect(const ByteSource& source);

/// One key encryptor of an Agile file, or the single key of a Standard file.
struct KeyEncryptorInfo {
  std::string kind;  ///< "password" or "certificate"
  std::string cipher, chaining, hash;
  unsigned key_bits = 0, block_size = 0, hash_size = 0, salt_size = 0;
  std::uint32_t spin_count = 0;
};

/// What an encrypted OOXML file's EncryptionInfo says (no password needed).
struct EncryptionDescription {
  Scheme scheme = Scheme::none;
  std::uint16_t version_major = 0, version_minor = 0;
  /// The content (package) cipher: keyData for Agile, the EncryptionHeader for Standard.
  std::string cipher, chaining, hash;
  unsigned key_bits = 0, block_size = 0, hash_size = 0, salt_size = 0;
  bool data_integrity = false;  ///< Agile: an HMAC over the package is present
  std::string csp_name;         ///< Standard: the CryptoAPI provider name
  std::vector<KeyEncryptorInfo> key_encryptors;
  std::uint64_t package_size = 0;         ///< plaintext size declared by EncryptedPackage
  std::uint64_t package_stream_size = 0;  ///< stored EncryptedPackage stream size
  std::uint16_t cfb_version = 0;
};

/// Parses EncryptionInfo and the EncryptedPackage header. bad_format / unsupported as above.
EncryptionDescription describe(const ByteSource& encrypted);

/// What `source` is and how it is encrypted, as one JSON object (the schema `openrms office info
/// --json`, the C API and the Python package share): container, application, encryption; for
/// Agile and Standard files also version, cipher, chaining, hash, salt_size, data_integrity
/// (Agile), csp (Standard), key_encryptors, package_size, compound_file_version. Never needs a
/// password. Errors as describe() for a damaged EncryptionInfo.
std::string describe_json(const ByteSource& source);

enum class Method { agile, standard };

struct EncryptOptions {
  Method method = Method::agile;
  unsigned key_bits = 0;  ///< 128, 192 or 256; 0 = 256 for Agile, 128 for Standard
  crypto::HashAlg hash = crypto::HashAlg::sha512;  ///< Agile: SHA1, SHA256, SHA384 or SHA512
  std::uint32_t spin_count = 100000;               ///< Agile: 0..10,000,000
  std::size_t salt_size = 16;                      ///< Agile: 16..64
  /// Agile: the password key encryptor may use other algorithms than the package (keyData), as
  /// some Office versions write. Unset = the same as keyData.
  std::optional<crypto::HashAlg> password_hash;
  unsigned password_key_bits = 0;
  std::uint16_t cfb_version = 0;  ///< 0 = 3, or 4 for packages of 256 MiB and more
  bool require_ooxml = true;      ///< refuse input that is not a ZIP package
  crypto::SegmentOptions segments{};
  Progress progress;
  bool durable = true;  ///< encrypt_file(): fsync before the rename (see AtomicFileSink)
};

/// Encrypts the OOXML package `plaintext` into a compound file written to `out`.
/// Errc::invalid_argument for an empty password, a password over 255 UTF-16 code units,
/// invalid UTF-8, or bad options; Errc::bad_format if require_ooxml and the input is not a ZIP
/// (an already-encrypted file is reported as such).
void encrypt(const ByteSource& plaintext, ByteSink& out, std::string_view password,
             const EncryptOptions& opt = {});

struct DecryptOptions {
  crypto::SegmentOptions segments{};
  Progress progress;
  /// Agile files name their own KDF cost; a hostile file can ask for 10,000,000 spins (~1.5 s of
  /// CPU) per key encryptor. This bounds the spins of one password try over all the file's
  /// password key encryptors together (encryptors with the same hash, salt and count are hashed
  /// once). Servers may lower it; a file over the limit gives Errc::unsupported before any
  /// hashing. Without a password, the default "VelvetSweatshop" is tried only when one try
  /// costs at most 1,000,000 spins (Excel writes 100,000); otherwise wrong_password at once.
  std::uint32_t max_spin_count = 10'000'000;
  bool durable = true;  ///< decrypt_file(): fsync before the rename (see AtomicFileSink)
  /// Agile dataIntegrity (§2.3.4.14): true = verify the HMAC over the whole EncryptedPackage and
  /// fail with Errc::integrity (nothing written by decrypt_file) on a mismatch. false = skip it,
  /// as msoffcrypto-tool does by default: about twice as fast (HMAC-SHA-512 runs at ~1 GB/s, the
  /// slowest stage), but altered ciphertext then decrypts to altered bytes without an error.
  bool verify_integrity = true;
};

struct DecryptResult {
  Scheme scheme = Scheme::none;
  bool used_default_password = false;  ///< opened with Excel's "VelvetSweatshop"
  bool integrity_verified = false;     ///< Agile with dataIntegrity: HMAC checked and matched
                                       ///< (false when DecryptOptions::verify_integrity is off)
  std::uint64_t size = 0;              ///< plaintext bytes written
};

/// Decrypts an encrypted OOXML file to its package, or a Word, Excel or PowerPoint 97–2003
/// document protected with RC4 or RC4 CryptoAPI ([MS-OFFCRYPTO] §2.3.6, §2.3.5), or an Excel one
/// with XOR obfuscation (§2.3.7), to the same compound file with its encrypted streams decrypted
/// and marked not encrypted, every record where it was (Word: WordDocument, the table and Data
/// streams, the FIB's fEncrypted; Excel: the Workbook records, FilePass blanked; PowerPoint: the
/// persist objects and pictures, the encryption session removed). An RC4 CryptoAPI encrypted
/// summary stream becomes the property-set streams again. With no password, Excel's default
/// "VelvetSweatshop" is tried (files "protected" that way open without a prompt); if it does not
/// fit, Errc::wrong_password says a password is needed. Word's XOR obfuscation:
/// Errc::unsupported.
DecryptResult decrypt(const ByteSource& encrypted, ByteSink& out,
                      std::optional<std::string_view> password, const DecryptOptions& opt = {});

/// File helpers: read `in`, write `out` atomically (temp file + rename on success only).
void encrypt_file(const std::filesystem::path& in, const std::filesystem::path& out,
                  std::string_view password, const EncryptOptions& opt = {});
DecryptResult decrypt_file(const std::filesystem::path& in, const std::filesystem::path& out,
                           std::optional<std::string_view> password,
                           const DecryptOptions& opt = {});

/// The password as UTF-16LE bytes (no BOM, no terminator), as every Office KDF uses it.
/// Errc::invalid_argument for invalid UTF-8.
crypto::SecureBytes password_utf16le(std::string_view utf8);

}  // namespace openrms::formats::office
