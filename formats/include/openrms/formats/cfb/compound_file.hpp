// Compound File Binary format ([MS-CFB]) — reader and streaming writer, versions 3 and 4.
//
// Reader contract: the constructor parses the header (§2.2), the DIFAT (§2.5), the FAT (§2.3),
// the mini FAT (§2.4) and the directory (§2.6) and validates every chain it will follow. Hostile
// input gives Errc::bad_format with a message saying what is wrong — never a crash — in time and
// memory linear in the file size: a sector chain longer than the number of sectors is a loop, each
// directory entry is visited once, sector numbers are range-checked, stream sizes are checked
// against their chains. Rules real writers bend are tolerated: a partial last sector, bytes after
// the last sector, a stream shorter than its chain, garbage in the high 32 bits of a v3 stream
// size, a mini-stream entry with a stale "size" in unused directory slots.
//
// Names are compared as §2.6.4 says: shorter names sort first, equal lengths compare code unit by
// code unit after simple upper-casing (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic).
// Paths use '/' between names; the root storage is "". Names are UTF-8 in this API and UTF-16 in
// the file.
//
// Thread safety: a Reader is immutable after construction; open() and read_stream() may be
// called from several threads (the ByteSource must allow concurrent read_at, as ours do). A
// StreamReader is single-threaded.
//
// Writer contract: streams are declared with their exact size and a producer; write() lays the
// file out in one pass — header, the large streams (>= 4096 bytes) in declaration order, the mini
// stream, the mini FAT, the directory, the FAT, the DIFAT — so a many-GB stream flows straight
// from its producer to the sink without being held in memory. Producers run in that order: large
// streams first, then small ones (so a small stream can describe a large one written earlier).
// A producer that writes a different number of bytes than declared is an Errc::internal error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "openrms/formats/io.hpp"

namespace openrms::formats::cfb {

enum class EntryType : std::uint8_t { storage = 1, stream = 2, root = 5 };

struct Entry {
  std::uint32_t id = 0;      ///< directory entry index (stream id)
  std::uint32_t parent = 0;  ///< id of the containing storage (root: itself)
  EntryType type = EntryType::stream;
  std::string name;         ///< UTF-8
  std::string path;         ///< "Storage/Sub/Stream"; root = ""
  std::uint64_t size = 0;   ///< stream size (0 for storages)
  std::uint32_t start = 0;  ///< first sector (or mini sector)
  std::uint8_t clsid[16] = {};
};

struct ReaderLimits {
  std::uint32_t max_directory_entries = 1u << 20;  ///< §2.6: 4-byte ids; we refuse more
  std::uint32_t max_depth = 256;                   ///< nesting of storages
};

class StreamReader;

class Reader {
 public:
  /// Parses `source`, which must outlive the Reader. Errc::bad_format on a malformed file.
  explicit Reader(const ByteSource& source, ReaderLimits limits = {});
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) = delete;

  std::uint16_t major_version() const noexcept;
  std::uint32_t sector_size() const noexcept;
  /// Every reachable storage and stream, depth-first, parents before children; [0] is the root.
  const std::vector<Entry>& entries() const noexcept;
  /// Looks up a path ("\x06DataSpaces/Version"); names compared per §2.6.4 case rules.
  const Entry* find(std::string_view path) const;
  /// Children of a storage, in directory-tree order.
  std::vector<const Entry*> children(const Entry& storage) const;

  /// A sequential reader over a stream's bytes. Errc::invalid_argument if `e` is a storage.
  std::unique_ptr<StreamReader> open(const Entry& e) const;
  /// Reads a whole stream; Errc::bad_format if it is larger than `max_bytes`.
  Bytes read_stream(const Entry& e, std::uint64_t max_bytes = 64u << 20) const;
  /// The file offset of stream `e` if it lives in regular sectors that follow each other in the
  /// file (as openrms's writer lays out large streams), else nullopt (mini stream, empty,
  /// fragmented, or a chain shorter than the size).
  std::optional<std::uint64_t> contiguous_offset(const Entry& e) const;
  /// Reads the stream at `path`; Errc::not_found if there is none.
  Bytes read_stream(std::string_view path, std::uint64_t max_bytes = 64u << 20) const;

  /// True if `data` starts with the compound-file signature D0 CF 11 E0 A1 B1 1A E1.
  static bool has_signature(ByteView first_bytes) noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

class StreamReader {
 public:
  virtual ~StreamReader() = default;
  virtual std::uint64_t size() const noexcept = 0;
  virtual std::uint64_t position() const noexcept = 0;
  /// Reads up to out.size() bytes at the current position; returns 0 at the end of the stream.
  virtual std::size_t read(MutableByteView out) = 0;
  /// Reads exactly out.size() bytes; Errc::bad_format if the stream ends first.
  void read_exact(MutableByteView out);
};

struct WriterOptions {
  std::uint16_t major_version = 3;  ///< 3 (512-byte sectors) or 4 (4096-byte sectors)
};

class Writer {
 public:
  /// Writes exactly `size` bytes of the stream to the sink it is given.
  using Producer = std::function<void(ByteSink&)>;

  explicit Writer(WriterOptions opt = {});
  ~Writer();

  /// Declares a storage (parents are created as needed). Errc::invalid_argument for an empty
  /// name, a name over 31 UTF-16 code units, a name with '/', '\\', ':' or '!', or a duplicate.
  void add_storage(std::string_view path);
  /// Declares a stream whose bytes are copied now.
  void add_stream(std::string_view path, ByteView data);
  /// Declares a stream of `size` bytes produced later by `producer` during write().
  void add_stream(std::string_view path, std::uint64_t size, Producer producer);
  /// Sets a storage's CLSID (root: "").
  void set_clsid(std::string_view storage_path, const std::uint8_t (&clsid)[16]);

  /// Writes the compound file. May be called once.
  void write(ByteSink& sink);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// §2.6.4 comparison of two UTF-16 names: negative, zero or positive.
int compare_names(std::u16string_view a, std::u16string_view b) noexcept;

/// UTF-8 <-> UTF-16 helpers shared by the format layer. Errc::invalid_argument (to_utf16) or
/// replacement characters (to_utf8) for invalid input.
std::u16string utf8_to_utf16(std::string_view s);
std::string utf16_to_utf8(std::u16string_view s);

}  // namespace openrms::formats::cfb
