// PDF document reader: cross-reference loading and object access (ISO 32000-2 §7.5) — internal.
//
// Loads the newest revision: xref tables (§7.5.4), xref streams (§7.5.8), hybrid files
// (/XRefStm, §7.5.8.4), incremental updates (/Prev chains, newest entry wins, §7.5.6), linearized
// files (just another /Prev chain). If the xref is missing or broken (no startxref, a section
// that does not parse, an entry that does not point at its object), the table is rebuilt by
// scanning the file for "N G obj" and "trailer", as mature readers do; repaired() says so.
//
// Objects are parsed lazily, on request. Stream data is never read until asked for, and then in
// bounded pieces (read_raw) or, for the small streams the engine must understand (object streams,
// xref streams), decoded whole under a size limit. Stream /Length values that lie are corrected
// by looking for "endstream".
//
// Hostile input: every loop is bounded (visited sets for /Prev chains and reference chains, a
// nesting limit, decode limits), every count is checked against the bytes that could hold it.
// Failures are Errc::bad_format (or unsupported for an unknown stream filter). Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "object.hpp"
#include "openrms/formats/io.hpp"

namespace openrms::formats::pdf {

struct XrefEntry {
  std::uint8_t type = 0;     ///< 0 free, 1 at an offset, 2 in an object stream
  std::uint16_t gen = 0;     ///< type 1: generation
  std::uint64_t offset = 0;  ///< type 1: byte offset; type 2: the object stream's number
  std::uint32_t index = 0;   ///< type 2: index inside the object stream
};

struct DocumentLimits {
  std::size_t max_decoded_stream = 64u << 20;  ///< one object/xref stream, decoded
  /// All object/xref stream decoding of one document together (re-decodes included), on top
  /// of 32 bytes per byte of file: no access pattern makes a small file decode gigabytes, and a
  /// few-kilobyte file stops after one maximal stream (its page faults alone took seconds on a
  /// busy machine when four were allowed).
  std::size_t max_decoded_total = 64u << 20;
  std::size_t max_cached_objstm_bytes = 96u << 20;  ///< decoded object streams kept
  std::size_t max_xref_sections = 4096;
  std::size_t max_objects = 16u << 20;
};

/// Decrypts the raw data of a stream (set by the security handler); must not be called for
/// xref streams. Receives the object's reference and its dictionary.
using StreamDecryptor = std::function<std::string(Ref, const Dict&, std::string)>;

class Document {
 public:
  explicit Document(const ByteSource& src, DocumentLimits limits = {});

  const ByteSource& source() const noexcept { return src_; }
  /// The merged trailer of the newest revision (or of the repair scan).
  const Dict& trailer() const noexcept { return trailer_; }
  /// Replaces a trailer entry (an /Encrypt reference recovered from a damaged file).
  void set_trailer_entry(std::string key, Object value) {
    trailer_.set(std::move(key), std::move(value));
  }
  /// "1.7" etc. from the header (empty if there is none); the catalog /Version may override it.
  const std::string& header_version() const noexcept { return version_; }
  bool repaired() const noexcept { return repaired_; }
  /// Bytes produced by object/xref stream decoding so far, failed decodes included: what the
  /// document has cost against DocumentLimits::max_decoded_total.
  std::uint64_t decoded_bytes() const noexcept { return decoded_total_; }
  bool has_xref_streams() const noexcept { return has_xref_streams_; }
  const std::unordered_map<std::uint32_t, XrefEntry>& xref() const noexcept { return xref_; }
  /// Object numbers in use (type 1 or 2), ascending.
  std::vector<std::uint32_t> object_numbers() const;

  /// The objects stored directly in the file (not in object streams) whose value is a dictionary
  /// `pred` accepts, last in the file first: for finding what a damaged file's references no
  /// longer point at (the encryption dictionary, crypt filters). Checks the table first
  /// (validate_offsets). Objects that do not parse are skipped.
  std::vector<Ref> find_dicts(const std::function<bool(const Dict&)>& pred);
  /// Loads an object by number. For an unknown or free number, a null object (§7.3.10).
  IndirectObject load(std::uint32_t num);
  /// Follows references (bounded) until a direct object; null for dangling references.
  Object resolve(const Object& o);
  /// The stream's raw bytes (as stored: filtered, possibly encrypted), at most `max` bytes.
  std::string read_stream_raw(const IndirectObject& s, std::size_t max);
  /// The stream's data with the decryptor applied (except for xref streams) and filters decoded.
  std::string read_stream_decoded(const IndirectObject& s);
  /// Reads source bytes (for copying stream data through in chunks).
  void read_raw(std::uint64_t offset, MutableByteView out) const { src_.read_at(offset, out); }

  void set_stream_decryptor(StreamDecryptor d) { decryptor_ = std::move(d); }
  /// After a repair, adds the objects held in object streams to the table (needs the decryptor
  /// for encrypted files, hence a separate step). No-op when the xref was intact.
  void index_object_streams();
  /// Checks every type-1 entry points at its "N G obj"; repairs the table if one does not.
  void validate_offsets();

 private:
  struct ObjStm {
    std::string data;
    std::vector<std::pair<std::uint32_t, std::size_t>> index;  // (num, offset in data)
  };

  std::string_view window(std::uint64_t offset, std::size_t want, bool& final);
  /// Parses the object at `offset`, reading no further than `end` (the next known object: an
  /// unterminated string or array then fails at that object instead of running to the end of
  /// the file for every object — the repair scan would be quadratic).
  IndirectObject parse_at(std::uint64_t offset, std::optional<Ref> expect, int depth,
                          std::uint64_t end = UINT64_MAX);
  /// The offset of the next type-1 object after `offset` (UINT64_MAX if none).
  std::uint64_t next_object_offset(std::uint64_t offset);
  std::string decode_budgeted(const IndirectObject& s, bool decrypt);
  void fix_stream_length(IndirectObject& o, int depth);
  bool load_xref_chain();
  bool read_xref_section(std::uint64_t offset, std::vector<std::uint64_t>& prevs, bool hybrid_only);
  void read_xref_stream_entries(IndirectObject& xs);
  void merge_trailer(const Dict& d);
  void repair();
  /// Calls `fn` for each object stored directly in the file whose value is a dictionary, last
  /// in the file first; objects that do not parse are skipped.
  void each_direct_dict(const std::function<void(const Ref&, const Dict&)>& fn);
  const ObjStm& object_stream(std::uint32_t num, int depth);
  Object resolve_depth(const Object& o, int depth);
  IndirectObject load_depth(std::uint32_t num, int depth);
  void set_entry(std::uint32_t num, const XrefEntry& e, bool overwrite);
  std::uint64_t find_endstream(std::uint64_t from);

  const ByteSource& src_;
  DocumentLimits limits_;
  std::string version_;
  Dict trailer_;
  std::unordered_map<std::uint32_t, XrefEntry> xref_;
  bool repaired_ = false;
  bool has_xref_streams_ = false;
  StreamDecryptor decryptor_;
  // One read-ahead window over the source: the engine reads objects mostly in ascending order.
  std::string win_;
  std::uint64_t win_off_ = 0;
  // Decoded object streams, least recently used evicted first, bounded in count and bytes.
  struct CachedObjStm {
    std::shared_ptr<ObjStm> os;
    std::uint64_t last_use = 0;
  };
  std::map<std::uint32_t, CachedObjStm> objstm_cache_;
  std::size_t objstm_cached_bytes_ = 0;
  std::uint64_t objstm_tick_ = 0;
  std::uint64_t decoded_total_ = 0;     // against DocumentLimits::max_decoded_total
  std::vector<std::uint64_t> offsets_;  // sorted type-1 offsets, built on first need
  bool offsets_dirty_ = true;
  std::vector<std::uint64_t> endstreams_;  // all "endstream" offsets, built on first need
  bool endstreams_built_ = false;
};

}  // namespace openrms::formats::pdf
