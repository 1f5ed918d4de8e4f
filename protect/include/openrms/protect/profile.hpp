// A user's working set-up in one object: where licenses come from (the embedded license server
// over an SQLite store, or a licensing service) and the user's credentials as `openrms user
// enroll` lays them out (DIR/EMAIL.rac.xml, DIR/EMAIL.key.pem, DIR/EMAIL.licenses/). What the
// command, the C API and the Python package open before they protect or open files.
//
// Errors (openrms::Error): not_found (no store at the path, or no RAC/key for the user),
// invalid_argument (a store never initialised, both a store and a server, an address that is
// not one user's e-mail usable as a file name), wrong_password (a passphrase-protected key
// without its passphrase, or a wrong one), unauthenticated (a server without a token), io;
// and whatever the store or the service reports.
// Thread safety: a Profile may be used from several threads at once once opened (its Client
// and sources are); opening and destroying it are not concurrent with use.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "openrms/crypto/secure.hpp"
#include "openrms/protect/protect.hpp"

namespace openrms::protect {

/// $OPENRMS_STORE, else $XDG_DATA_HOME/openrms/store.db, else ~/.local/share/openrms/store.db.
std::filesystem::path default_store_path();

/// Where `openrms user enroll` keeps one user's credentials in `dir`. invalid_argument unless
/// `email` is one user's address that is also a plain file name (no '/', no leading '.', no
/// control characters), so no name can point outside `dir`.
struct UserFiles {
  std::filesystem::path rac, key, licenses;
  static UserFiles in(const std::filesystem::path& dir, std::string_view email);
};

/// A user's private key from its PEM file: PKCS#8, or encrypted PKCS#8 opened with
/// `passphrase` (wrong_password when it is missing or wrong).
crypto::PrivateKey load_user_key(std::string_view pem,
                                 std::optional<std::string_view> passphrase = std::nullopt);

struct ProfileOptions {
  /// A license source the caller has opened and keeps alive while the profile lives: used as
  /// it is, and store and server_url must then be empty. Else the profile opens one:
  LicenseSource* source = nullptr;
  /// The embedded server's SQLite store (empty: default_store_path()) and its key-encryption
  /// key file (empty: the store path + ".kek").
  std::filesystem::path store, kek_file;
  /// A licensing service ('openrms serve') instead of the store, its bearer token, and CA
  /// certificates to verify it with (empty: the system's).
  std::string server_url, token, ca_file;
  /// The user to act for (empty: none; only inspection then) and the folder of their files.
  std::string user;
  std::filesystem::path dir = ".";
  std::optional<crypto::SecureString> key_passphrase;
  /// Asked for the passphrase of a passphrase-protected key when key_passphrase is empty (a
  /// prompt, a file named elsewhere); it may throw. Without either such a key is wrong_password.
  std::function<crypto::SecureString(const std::string& user)> ask_passphrase;
  bool cache_use_licenses = true;  ///< in `cache_dir` (empty: DIR/EMAIL.licenses)
  std::filesystem::path cache_dir;
  ClientOptions client;  ///< clock, segments, durability, progress (its cache is set here)
};

class Profile {
 public:
  explicit Profile(ProfileOptions options);
  ~Profile();
  Profile(const Profile&) = delete;
  Profile& operator=(const Profile&) = delete;

  LicenseSource& source() noexcept;
  /// The user's client; invalid_argument when the profile was opened without a user.
  Client& client();
  bool has_user() const noexcept;
  /// The embedded license server (null with a licensing service).
  licensing::LicenseServer* server() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// What a protected file says about itself, as one JSON object (the schema `openrms inspect
/// --json` prints): container, content_id, issuer, owner, template or policy kind, issued_at,
/// published, license_url, size, integrity, and with the policy its grants and expiry.
std::string inspection_json(const Inspection& x);
/// A user's decision on opened content as one JSON object (the schema of `openrms open
/// --json`): user, role, rights, content_expiry, license_valid_until, license_from.
std::string decision_json(const Document& d);

}  // namespace openrms::protect
