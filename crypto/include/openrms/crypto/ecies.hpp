// Sealing a secret to a public key — the key-sealing primitive of the licensing suites.
//
// ecdsa-p256 suite (ECIES): an ephemeral P-256 key pair; Z = ECDH(ephemeral, recipient);
//   okm = HKDF-SHA256(ikm = Z, salt = "", info = "openrms-ecies-v1" || eph_spki || recipient_spki,
//   44) key = okm[0:32], nonce = okm[32:44]; box = AES-256-GCM(key, nonce, aad, secret) (16-byte
//   tag) sealed = 0x01 || BE16(len(eph_spki)) || eph_spki || box
// The key is fresh per sealing, so the derived nonce is never reused under one key.
// rsa-3072 suite: RSA-OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017 §7.1), label = aad.
//
// seal_to() picks by the key type (EC P-256/P-384 -> ECIES on that curve, RSA -> OAEP).
// open_sealed() fails with Errc::integrity for any wrong key, tampered box or wrong aad (one
// message for all), Errc::bad_format for a structurally broken box.
// Thread-safe (no shared mutable state).
#pragma once

#include "openrms/crypto/backend.hpp"

namespace openrms::crypto {

Bytes seal_to(const Backend& be, const PublicKey& recipient, ByteView secret, ByteView aad = {});
SecureBytes open_sealed(const Backend& be, const PrivateKey& recipient, ByteView sealed,
                        ByteView aad = {});

}  // namespace openrms::crypto
