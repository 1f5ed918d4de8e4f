#include "openrms/crypto/pkcs11.hpp"

#include <libp11.h>
#include <openssl/err.h>

#include <cstring>
#include <mutex>
#include <span>

#include "openrms/error.hpp"
#include "openssl_keys.hpp"

namespace openrms::crypto {
namespace {

// PKCS#11 v2.40 return values libp11 leaves as the reason of its OpenSSL error.
constexpr unsigned long kCkrPinIncorrect = 0xA0, kCkrPinInvalid = 0xA1, kCkrPinLenRange = 0xA2,
                        kCkrPinExpired = 0xA3, kCkrPinLocked = 0xA4;

std::string last_error() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "no detail";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

struct Pkcs11Token::Session {
  PKCS11_CTX* ctx = nullptr;
  PKCS11_SLOT* slots = nullptr;
  unsigned nslots = 0;
  PKCS11_SLOT* slot = nullptr;
  std::string label;
  std::mutex mu;  // key enumeration (libp11 caches the list on the token)

  std::span<PKCS11_KEY> keys();

  ~Session() {
    if (slots != nullptr) PKCS11_release_all_slots(ctx, slots, nslots);
    if (ctx != nullptr) {
      PKCS11_CTX_unload(ctx);
      PKCS11_CTX_free(ctx);
    }
  }
};

Pkcs11Token::Pkcs11Token(const Pkcs11Config& c) : s_(std::make_shared<Session>()) {
  Session& s = *s_;
  s.label = c.token;
  s.ctx = PKCS11_CTX_new();
  if (s.ctx == nullptr) fail(Errc::internal, "PKCS#11: out of memory");
  if (PKCS11_CTX_load(s.ctx, c.module.c_str()) != 0) {
    PKCS11_CTX_free(s.ctx);
    s.ctx = nullptr;
    fail(Errc::unavailable,
         "PKCS#11: cannot load the module " + c.module + " (" + last_error() + ")");
  }
  if (PKCS11_enumerate_slots(s.ctx, &s.slots, &s.nslots) != 0)
    fail(Errc::unavailable,
         "PKCS#11: the module " + c.module + " lists no slots (" + last_error() + ")");
  for (unsigned i = 0; i < s.nslots; ++i) {
    const PKCS11_TOKEN* t = s.slots[i].token;
    if (t != nullptr && t->initialized && t->label != nullptr && c.token == t->label) {
      s.slot = &s.slots[i];
      break;
    }
  }
  if (s.slot == nullptr)
    fail(Errc::unavailable, "PKCS#11: no token labelled '" + c.token + "' in " + c.module +
                                " (is it plugged in and initialised?)");
  if (s.slot->token->userPinLocked)
    fail(Errc::wrong_password, "PKCS#11: the user PIN of token '" + c.token +
                                   "' is locked (too many wrong PINs): its security officer "
                                   "must unlock it");
  if (PKCS11_open_session(s.slot, 0) != 0)
    fail(Errc::unavailable,
         "PKCS#11: cannot open a session on token '" + c.token + "' (" + last_error() + ")");
  int logged_in = 0;
  if (PKCS11_is_logged_in(s.slot, 0, &logged_in) == 0 && logged_in) return;
  if (PKCS11_login(s.slot, 0, c.pin.c_str()) != 0) {
    const unsigned long reason = ERR_GET_REASON(ERR_peek_last_error());
    ERR_clear_error();
    switch (reason) {
      case kCkrPinLocked:
        fail(Errc::wrong_password,
             "PKCS#11: the user PIN of token '" + c.token + "' is locked (too many wrong PINs)");
      case kCkrPinExpired:
        fail(Errc::wrong_password,
             "PKCS#11: the user PIN of token '" + c.token + "' has expired: change it first");
      case kCkrPinIncorrect:
      case kCkrPinInvalid:
      case kCkrPinLenRange:
        fail(Errc::wrong_password, "PKCS#11: wrong PIN for token '" + c.token + "'");
      default:
        fail(
            Errc::unavailable, "PKCS#11: cannot log in to token '" + c.token +
                                   "' (PKCS#11 error 0x" +
                                   [&] {
                                     char hex[20];
                                     std::snprintf(hex, sizeof hex, "%lX", reason);
                                     return std::string(hex);
                                   }() +
                                   ")");
    }
  }
}

Pkcs11Token::~Pkcs11Token() = default;

const std::string& Pkcs11Token::label() const noexcept {
  return s_->label;
}

// The token's keys (libp11 keeps the list; call with mu held).
std::span<PKCS11_KEY> Pkcs11Token::Session::keys() {
  PKCS11_KEY* list = nullptr;
  unsigned n = 0;
  if (PKCS11_enumerate_keys(slot->token, &list, &n) != 0)
    fail(Errc::unavailable,
         "PKCS#11: cannot list the keys of token '" + label + "' (" + last_error() + ")");
  return {list, n};
}

std::vector<std::string> Pkcs11Token::private_key_labels() const {
  std::lock_guard lock(s_->mu);
  std::vector<std::string> out;
  for (const PKCS11_KEY& k : s_->keys())
    if (k.isPrivate && k.label != nullptr) out.emplace_back(k.label);
  return out;
}

PrivateKey Pkcs11Token::private_key(std::string_view key_label) const {
  EVP_PKEY* pkey = nullptr;
  {
    std::lock_guard lock(s_->mu);
    auto keys = s_->keys();
    for (std::size_t i = 0; i < keys.size() && pkey == nullptr; ++i)
      if (keys[i].isPrivate && keys[i].label != nullptr && key_label == keys[i].label) {
        pkey = PKCS11_get_private_key(&keys[i]);  // a reference of our own
        if (pkey == nullptr)
          fail(Errc::unsupported, "PKCS#11: key '" + std::string(key_label) + "' on token '" +
                                      s_->label + "' cannot be used (" + last_error() + ")");
      }
  }
  if (pkey == nullptr)
    fail(Errc::not_found, "PKCS#11: token '" + s_->label + "' has no private key labelled '" +
                              std::string(key_label) + "'");
  return openssl_private_key(pkey, s_);
}

}  // namespace openrms::crypto
