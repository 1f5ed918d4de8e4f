// An Office IRM container parsed once — internal (the container interface keeps it, so that the
// compound file is read once however many questions are asked of it).
#pragma once

#include "openrms/crypto/backend.hpp"
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

/// True if the inner compound file of a binary-flavour container is the whole original document
/// (every summary stream of the outer root is inside too: written so since openrms keeps the
/// document as the inner file), so it is returned byte for byte.
bool inner_is_whole(const Opened& o, const cfb::Reader& inner);

/// Random access to the package of a container with integrity version 2 (OOXML: the package;
/// binary: the document itself): the header MAC is checked when it is made, then each read
/// verifies the chunks it touches. Errc::unsupported for other integrity versions and for a
/// binary document whose inner file is not the whole original. `o` and `src` must outlive it.
/// read_at() may run from several threads at once.
class ChunkReader {
 public:
  ChunkReader(const Opened& o, const ByteSource& src, ByteView content_key,
              const crypto::Backend& be);
  std::uint64_t size() const noexcept { return o_.info.size; }
  std::size_t read_at(std::uint64_t offset, MutableByteView out) const;

 private:
  /// Chunk i's plaintext (verified) into `buf`; returns its length.
  std::size_t chunk(std::uint64_t i, crypto::SecureBytes& buf) const;
  const Opened& o_;
  const ByteSource& src_;
  const crypto::Backend& be_;
  crypto::SecureBytes key_, kc_;
};

}  // namespace openrms::formats::office::irm::internal
