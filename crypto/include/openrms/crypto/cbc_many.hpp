// AES-CBC encryption of many independent messages under one key: the streams of an encrypted
// PDF (ISO 32000-2 §7.6.3: AESV2/AESV3, each stream or string its own random IV, one file key
// for AESV3). One CBC chain is serial — each block waits for the one before — so a single
// stream runs at the AES unit's latency (~0.9 GB/s here for AES-256). With many messages the
// chains are interleaved, up to eight at once in 128-bit AES-NI lanes (the kernels the segment
// ciphers use), which keeps the units busy: several times the serial rate on one core.
//
// Guarantees: the ciphertext of each message is exactly what Aes::cbc_encrypt of the backend
// gives for its IV and bytes (no padding is added: messages are whole blocks, padded by the
// caller); messages may have any number of blocks, different from each other, and are encrypted
// in place. CPUs without AES-NI use the backend per message. Round keys are wiped.
// Errors: Error{invalid_argument} for a key that is not 16, 24 or 32 bytes or a message whose
// size is not a multiple of 16 (nothing is encrypted then).
// Thread safety: a call touches only its messages; calls on disjoint messages may run at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "openrms/crypto/backend.hpp"

namespace openrms::crypto {

/// One message: `size` bytes (a multiple of 16) at `data`, encrypted in place, chained from
/// the 16-byte `iv` (which is not changed).
struct CbcMessage {
  const std::uint8_t* iv = nullptr;
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

/// Encrypts every message with AES-CBC under `key`. `be` serves CPUs without AES-NI, and is
/// what the lanes must agree with.
void cbc_encrypt_many(const Backend& be, ByteView key, std::span<const CbcMessage> messages);

}  // namespace openrms::crypto
