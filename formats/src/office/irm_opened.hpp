// An Office IRM container parsed once — internal (the container interface keeps it, so that the
// compound file is read once however many questions are asked of it).
#pragma once

#include "openrms/formats/cfb/compound_file.hpp"
#include "openrms/formats/office/irm.hpp"

namespace openrms::formats::office::irm::internal {

struct Opened {
  cfb::Reader r;
  Info info;
  const cfb::Entry* package = nullptr;
  const cfb::Entry* mac = nullptr;
  // integrity version 2: where the integrity stream and the package's ciphertext sit in the file,
  // the chunk count, and the stored header MAC ‖ tags
  // (ct_len 0: a package in the mini stream, whose bytes the header MAC covers as well)
  std::uint64_t mac_offset = 0, ct_offset = 0, ct_len = 0, chunks = 0;
  Bytes v2_area;
};

/// Parses `src` (which must outlive the result). Errc::bad_format if it is no IRM container.
Opened open(const ByteSource& src);

/// decrypt() over an Opened of `src`; `src` must be private (a PrivateCopy, or memory the
/// caller owns), so that the bytes verified are the bytes decrypted.
ReadResult decrypt(const Opened& o, const ByteSource& src, ByteSink& out, ByteView content_key,
                   const ReadOptions& opt);
/// decrypt_binary_document() over an Opened of `src` (private, as above).
ReadResult decrypt_binary(const Opened& o, const ByteSource& src, ByteSink& out,
                          ByteView content_key, const ReadOptions& opt);

}  // namespace openrms::formats::office::irm::internal
