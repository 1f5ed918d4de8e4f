// The rows of the tracking log as PostgreSQL streams them in its binary COPY format
// (PostgreSQL 15 documentation, COPY, "Binary Format"), read without libpq so the parser can be
// fuzzed alone (fuzz/copy_rows_fuzz.cpp).
//
// Why COPY: the server sends each row as soon as it is produced and the reader handles it as it
// arrives, so the database's work and the caller's (writing JSON) overlap on two processes
// without a thread of ours; a SELECT's result comes whole, after all of it is produced. Binary,
// because integers then need no formatting on the server nor parsing here.
//
// Framing, as the server sends it (one CopyData message per row): the first message begins with
// the 19-byte header (signature, flags, extension length) and any extension; every message holds
// whole rows; a row is a 16-bit field count and per field a 32-bit length (-1: NULL) and its
// bytes; the count -1 is the trailer, after which nothing may follow. All integers big-endian.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "openrms/error.hpp"

namespace openrms::licensing::detail {

/// One row of `SELECT seq, time, party, license_id` (BIGINT, BIGINT, BIGINT, TEXT), viewed in
/// the message it came in.
struct CopyRow {
  std::int64_t seq = 0, time = 0, party = 0;
  std::string_view license_id;
};

/// Reads the messages of one binary COPY of tracking rows, in order. Anything but that shape
/// (a wrong signature, a critical flag, a row of another shape, a NULL, a row cut short, bytes
/// after the trailer, a message after it) is Error{io}: the database sent what this store did
/// not ask for. Never reads outside a message. Not thread-safe (one reader per COPY).
class CopyRowReader {
 public:
  /// Passes each row of `message` to `row` (called as `row(const CopyRow&)`), in order.
  template <class F>
  void message(std::span<const char> message, F&& row) {
    Cursor c{message};
    if (ended_) bad("data after the end of the rows");
    if (!started_) {
      header(c);
      started_ = true;
    }
    while (!c.empty()) {
      const std::int16_t fields = c.i16();
      if (fields == -1) {
        ended_ = true;
        if (!c.empty()) bad("data after the end of the rows");
        return;
      }
      if (fields != 4) bad("a row of " + std::to_string(fields) + " columns, not 4");
      // A braced list is evaluated left to right: the columns in their order.
      const CopyRow r{c.int8_field(), c.int8_field(), c.int8_field(), c.text_field()};
      row(r);
    }
  }

  /// True once the trailer was read: every row the server sent was passed on.
  bool ended() const { return ended_; }

 private:
  [[noreturn]] static void bad(const std::string& what) {
    fail(Errc::io, "store: the tracking log's COPY stream is malformed: " + what);
  }

  struct Cursor {
    std::span<const char> rest;
    bool empty() const { return rest.empty(); }
    std::span<const char> take(std::size_t n) {
      if (n > rest.size()) bad("a row is cut short");
      auto s = rest.first(n);
      rest = rest.subspan(n);
      return s;
    }
    std::uint64_t be(std::size_t n) {
      std::uint64_t v = 0;
      for (const char b : take(n)) v = v << 8 | static_cast<unsigned char>(b);
      return v;
    }
    std::int16_t i16() { return static_cast<std::int16_t>(be(2)); }
    std::int32_t i32() { return static_cast<std::int32_t>(be(4)); }
    std::int32_t length() {
      const std::int32_t n = i32();
      if (n < 0) bad("a NULL column");
      return n;
    }
    std::int64_t int8_field() {
      if (length() != 8) bad("an integer column that is not 8 bytes");
      return static_cast<std::int64_t>(be(8));
    }
    std::string_view text_field() {
      auto s = take(static_cast<std::size_t>(length()));
      return {s.data(), s.size()};
    }
  };

  static void header(Cursor& c) {
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its NUL
    if (std::memcmp(c.take(sizeof kSignature).data(), kSignature, sizeof kSignature) != 0)
      bad("no binary COPY signature");
    // Bits 16-31 are critical: a reader must stop at one it does not know (bit 16, OIDs, is
    // one this query never asks for).
    if ((static_cast<std::uint32_t>(c.i32()) & 0xFFFF0000u) != 0) bad("a critical header flag");
    const std::int32_t extension = c.i32();
    if (extension < 0) bad("a negative header extension length");
    c.take(static_cast<std::size_t>(extension));
  }

  bool started_ = false, ended_ = false;
};

}  // namespace openrms::licensing::detail
