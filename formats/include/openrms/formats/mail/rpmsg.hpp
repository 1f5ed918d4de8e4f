// message.rpmsg: the protected part of rights-managed mail (FORMATS.md B5, [MS-OXORMMS]).
//
// On disk: the prefix 76 E8 04 60 C4 11 E3 86, then blocks { uint32 LE 0x00000FA0, uint32 LE
// inflated size (<= 4096), uint32 LE compressed size, zlib data }. Inflated, a compound file in
// the Office IRM binary flavour (office/irm.hpp, Flavour::binary): \006DataSpaces with the
// publishing license in \011DRMTransform/\006Primary and the encrypted content in \011DRMContent
// (uint64 LE size || AES-ECB, as the specification demands for IRM content).
// openrms's content is the original RFC 5322 message, byte for byte (Outlook stores its own
// property streams there instead; an openrms rpmsg is read by openrms only, its license being
// openrms's). openrms adds the stream "OpenRMS.Attachments" (the publishing licenses under which
// attachments are delivered protected) and "OpenRMS.Integrity" (the MAC of the inflated compound
// file, verified before anything is decrypted; DESIGN.md §4).
//
// Errors (openrms::Error): bad_format (no prefix, a bad block, a size over the limit, not an IRM
// compound file, a malformed attachment table), integrity (MAC wrong: altered, or the wrong key),
// invalid_argument (key size). Memory: the inflated compound file is held in memory (bounded by
// max_size, checked before inflating each block).
// Thread safety: reentrant; a Reader is not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/crypto/backend.hpp"

namespace openrms::formats::mail::rpmsg {

using crypto::Bytes;
using crypto::ByteView;

inline constexpr std::uint8_t kPrefix[8] = {0x76, 0xE8, 0x04, 0x60, 0xC4, 0x11, 0xE3, 0x86};

bool has_signature(ByteView data) noexcept;

/// The prefix and zlib blocks around `plain`.
Bytes compress(ByteView plain);
/// The inverse; bad_format on a malformed block or output beyond max_size.
Bytes decompress(ByteView rpmsg, std::uint64_t max_size = 1ull << 30);

/// An attachment the recipient receives protected: its position in the message
/// (mime::Attachment::index), the container to deliver it in ("office-irm", "pdf", "pfile") and
/// its publishing license.
struct AttachmentLicense {
  std::uint32_t index = 0;
  std::string container;
  std::string license;
  friend bool operator==(const AttachmentLicense&, const AttachmentLicense&) = default;
};

struct Info {
  std::string license;     ///< the message's publishing license
  std::uint64_t size = 0;  ///< bytes of the protected message
  std::vector<AttachmentLicense> attachments;
};

/// Writes message.rpmsg for `message` under `license`, encrypting with `key` (16, 24 or 32
/// bytes).
Bytes write(ByteView message, std::string_view license, ByteView key,
            const std::vector<AttachmentLicense>& attachments,
            const crypto::Backend* backend = nullptr);

class Reader {
 public:
  /// Inflates and reads the license and tables (no key needed). Not yet authenticated: the
  /// attachment table is trusted only after decrypt() has verified the MAC.
  explicit Reader(ByteView rpmsg, std::uint64_t max_size = 1ull << 30);
  const Info& info() const noexcept { return info_; }
  /// Verifies the MAC, then decrypts the message.
  crypto::SecureBytes decrypt(ByteView key, const crypto::Backend* backend = nullptr) const;

 private:
  Bytes cfb_;
  Info info_;
};

}  // namespace openrms::formats::mail::rpmsg
