// PDF object model (ISO 32000-2 §7.3) — internal to formats/pdf.
//
// A parsed object is a tree of Object values. Strings hold their decoded bytes (escapes and hex
// resolved); names hold their decoded bytes (#xx resolved); reals keep their source text so that
// rewriting a file never changes a number. Dictionaries keep the source order (writers and tests
// compare output, and readers do not care); lookups are linear, which is faster than a map for the
// few keys PDF dictionaries have. Streams are top-level only: a Stream is a dictionary plus the
// position of its raw (still encoded, possibly encrypted) data in the source.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "openrms/crypto/secure.hpp"

namespace openrms::formats::pdf {

using crypto::Bytes;
using crypto::ByteView;
using crypto::MutableByteView;

struct Object;
using Array = std::vector<Object>;

struct Null {};
struct Real {
  std::string text;  ///< as written in the source (or generated), e.g. "0.5", "-.25"
};
struct String {
  std::string bytes;
  bool hex = false;  ///< written as <...> in the source
};
struct Name {
  std::string bytes;
};
struct Ref {
  std::uint32_t num = 0;
  std::uint16_t gen = 0;
  bool operator==(const Ref&) const = default;
};

struct DictEntry;  // {first: key, second: value}; defined after Object

class Dict {
 public:
  using Entry = DictEntry;
  // Special members are defined below, once DictEntry (which holds an Object) is complete.
  Dict();
  Dict(const Dict&);
  Dict(Dict&&) noexcept;
  Dict& operator=(const Dict&);
  Dict& operator=(Dict&&) noexcept;
  ~Dict();
  const Object* get(std::string_view key) const noexcept;
  Object* get(std::string_view key) noexcept;
  /// Replaces the value of `key` (keeping its position) or appends it.
  void set(std::string key, Object value);
  bool erase(std::string_view key) noexcept;
  bool empty() const noexcept;
  std::size_t size() const noexcept;
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::vector<Entry>& entries() noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;
};

struct Object {
  using Value = std::variant<Null, bool, std::int64_t, Real, String, Name, Array, Dict, Ref>;
  Value v;

  Object() = default;
  Object(Value val) : v(std::move(val)) {}  // NOLINT(google-explicit-constructor)

  bool is_null() const noexcept { return std::holds_alternative<Null>(v); }
  const std::int64_t* as_int() const noexcept { return std::get_if<std::int64_t>(&v); }
  const bool* as_bool() const noexcept { return std::get_if<bool>(&v); }
  const String* as_string() const noexcept { return std::get_if<String>(&v); }
  String* as_string() noexcept { return std::get_if<String>(&v); }
  const Name* as_name() const noexcept { return std::get_if<Name>(&v); }
  const Array* as_array() const noexcept { return std::get_if<Array>(&v); }
  Array* as_array() noexcept { return std::get_if<Array>(&v); }
  const Dict* as_dict() const noexcept { return std::get_if<Dict>(&v); }
  Dict* as_dict() noexcept { return std::get_if<Dict>(&v); }
  const Ref* as_ref() const noexcept { return std::get_if<Ref>(&v); }
  const Real* as_real() const noexcept { return std::get_if<Real>(&v); }
  /// True for a name equal to `n`.
  bool is_name(std::string_view n) const noexcept {
    const Name* p = as_name();
    return p && p->bytes == n;
  }
  /// Integer value, also from a real with an integral value ("16.0" as some writers put it).
  bool get_number(double& out) const noexcept;
};

struct DictEntry {
  std::string first;
  Object second;
};

inline Dict::Dict() = default;
inline Dict::Dict(const Dict&) = default;
inline Dict::Dict(Dict&&) noexcept = default;
inline Dict& Dict::operator=(const Dict&) = default;
inline Dict& Dict::operator=(Dict&&) noexcept = default;
inline Dict::~Dict() = default;
inline bool Dict::empty() const noexcept {
  return entries_.empty();
}
inline std::size_t Dict::size() const noexcept {
  return entries_.size();
}

inline Object make_name(std::string n) {
  return Object{Name{std::move(n)}};
}
inline Object make_int(std::int64_t i) {
  return Object{i};
}
inline Object make_ref(Ref r) {
  return Object{r};
}
inline Object make_string(std::string s, bool hex = false) {
  return Object{String{std::move(s), hex}};
}

/// A top-level stream: its dictionary and where its raw data lies in the source.
struct StreamInfo {
  std::uint64_t data_offset = 0;
  std::uint64_t data_length = 0;  ///< after checking /Length against `endstream`
};

/// One indirect object as read from the file.
struct IndirectObject {
  Ref ref;
  Object value;
  bool is_stream = false;
  StreamInfo stream;
};

/// Serialises `o` in PDF syntax (no indirect-object wrapper) and appends it to `out`.
/// Strings are written as literal strings when printable, hex otherwise.
void serialize(const Object& o, std::string& out);

}  // namespace openrms::formats::pdf
