#include "filters.hpp"

#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "openrms/error.hpp"

namespace openrms::formats::pdf {

namespace {

// Inflates into chunks that are neither zero-filled nor copied while growing, then joins them
// once: a bomb that reaches max_out has cost max_out bytes of memory, not the 1.5× (and the
// page faults) of a doubling string.
std::string inflate_bounded(std::string_view in, std::size_t max_out, std::uint64_t& produced) {
  constexpr std::size_t kMaxChunk = 16u << 20;
  z_stream z{};
  if (inflateInit(&z) != Z_OK) fail(Errc::internal, "zlib initialisation failed");
  struct Chunk {
    std::unique_ptr<char[]> data;
    std::size_t size = 0, used = 0;
  };
  std::vector<Chunk> chunks;
  std::size_t total = 0;  // bytes written into all chunks
  std::size_t next = std::min(max_out, std::max<std::size_t>(in.size() * 4, 4096));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  auto give_up = [&](const std::string& why) {
    inflateEnd(&z);
    produced += total;
    fail(Errc::bad_format, why);
  };
  while (true) {
    if (chunks.empty() || chunks.back().used == chunks.back().size) {
      if (total >= max_out)
        give_up("compressed stream expands beyond the limit of " + std::to_string(max_out) +
                " bytes");
      const std::size_t n = std::min(next, max_out - total);
      chunks.push_back({std::make_unique_for_overwrite<char[]>(n), n, 0});
      next = std::min(kMaxChunk, n * 2);
    }
    Chunk& c = chunks.back();
    z.next_out = reinterpret_cast<Bytef*>(c.data.get() + c.used);
    z.avail_out = static_cast<uInt>(c.size - c.used);
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t wrote = c.size - c.used - z.avail_out;
    c.used += wrote;
    total += wrote;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // truncated input: keep what we have
    if (rc == Z_DATA_ERROR && total > 0) break;       // corrupt tail: readers keep the prefix
    if (rc != Z_OK && rc != Z_BUF_ERROR) give_up("corrupt FlateDecode stream");
  }
  inflateEnd(&z);
  produced += total;
  std::string out;
  out.reserve(total);
  for (const Chunk& c : chunks) out.append(c.data.get(), c.used);
  return out;
}

std::int64_t int_param(const Dict* parms, std::string_view key, std::int64_t def) {
  if (!parms) return def;
  const Object* o = parms->get(key);
  if (!o) return def;
  if (const auto* i = o->as_int()) return *i;
  return def;
}

std::string apply_predictor(std::string data, const Dict* parms) {
  std::int64_t pred = int_param(parms, "Predictor", 1);
  if (pred <= 1) return data;
  std::int64_t colors = int_param(parms, "Colors", 1);
  std::int64_t bpc = int_param(parms, "BitsPerComponent", 8);
  std::int64_t columns = int_param(parms, "Columns", 1);
  if (colors < 1 || colors > 32 || columns < 1 || columns > (1 << 24) ||
      (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16))
    fail(Errc::bad_format, "bad predictor parameters");
  const std::size_t bpp = static_cast<std::size_t>(std::max<std::int64_t>(1, colors * bpc / 8));
  const std::size_t row = static_cast<std::size_t>((colors * bpc * columns + 7) / 8);
  if (pred == 2) {  // TIFF predictor 2, 8-bit components only (the only kind used for xrefs)
    if (bpc != 8) fail(Errc::unsupported, "TIFF predictor with other than 8-bit components");
    for (std::size_t r = 0; r + row <= data.size(); r += row)
      for (std::size_t i = bpp; i < row; ++i)
        data[r + i] = static_cast<char>(data[r + i] + data[r + i - bpp]);
    return data;
  }
  if (pred < 10) fail(Errc::unsupported, "unknown predictor " + std::to_string(pred));
  // PNG predictors: each row is a filter-type byte followed by `row` bytes. The parameters
  // may claim rows far longer than the data (a 1 GiB row in a 300-byte file): nothing is sized
  // from them, only from the bytes present. A short last row is decoded as far as it goes.
  std::string out;
  out.reserve(data.size());
  std::string prev(std::min(row, data.size()), '\0');
  std::string cur;
  std::size_t i = 0;
  while (i < data.size()) {
    auto type = static_cast<unsigned char>(data[i++]);
    const std::size_t n = std::min(row, data.size() - i);
    cur.assign(data.data() + i, n);
    i += n;
    auto* c = reinterpret_cast<unsigned char*>(cur.data());
    const auto* p = reinterpret_cast<const unsigned char*>(prev.data());
    switch (type) {
      case 0:
        break;
      case 1:
        for (std::size_t k = bpp; k < n; ++k) c[k] = static_cast<unsigned char>(c[k] + c[k - bpp]);
        break;
      case 2:
        for (std::size_t k = 0; k < n; ++k) c[k] = static_cast<unsigned char>(c[k] + p[k]);
        break;
      case 3:
        for (std::size_t k = 0; k < n; ++k) {
          unsigned left = k >= bpp ? c[k - bpp] : 0;
          c[k] = static_cast<unsigned char>(c[k] + ((left + p[k]) >> 1));
        }
        break;
      case 4:
        for (std::size_t k = 0; k < n; ++k) {
          int a = k >= bpp ? c[k - bpp] : 0, b = p[k], cc = k >= bpp ? p[k - bpp] : 0;
          int pa = std::abs(b - cc), pb = std::abs(a - cc), pc = std::abs(a + b - 2 * cc);
          int pr = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : cc);
          c[k] = static_cast<unsigned char>(c[k] + pr);
        }
        break;
      default:
        fail(Errc::bad_format, "bad PNG predictor row type " + std::to_string(type));
    }
    out.append(cur.data(), n);
    prev.swap(cur);
  }
  return out;
}

std::string ascii_hex_decode(std::string_view in) {
  std::string out;
  int hi = -1;
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '>') break;
    int v = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) out.push_back(static_cast<char>(hi << 4));
  return out;
}

}  // namespace

std::string decode_stream(std::string raw, const Dict& dict, std::size_t max_out,
                          std::uint64_t* produced) {
  std::uint64_t ignored = 0;
  std::uint64_t& meter = produced ? *produced : ignored;
  const Object* f = dict.get("Filter");
  if (!f) f = dict.get("F");  // inline-image abbreviation, also seen in broken writers
  if (!f || f->is_null()) return raw;
  std::vector<const Name*> filters;
  std::vector<const Dict*> parms;
  const Object* dp = dict.get("DecodeParms");
  if (!dp) dp = dict.get("DP");
  if (const auto* n = f->as_name()) {
    filters.push_back(n);
    parms.push_back(dp ? dp->as_dict() : nullptr);
  } else if (const auto* a = f->as_array()) {
    const Array* pa = dp ? dp->as_array() : nullptr;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const Name* n2 = (*a)[i].as_name();
      if (!n2) fail(Errc::bad_format, "stream /Filter array holds a non-name");
      filters.push_back(n2);
      parms.push_back(pa && i < pa->size() ? (*pa)[i].as_dict() : nullptr);
    }
  } else {
    fail(Errc::bad_format, "stream /Filter is neither a name nor an array");
  }
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const std::string& name = filters[i]->bytes;
    if (name == "FlateDecode" || name == "Fl") {
      raw = apply_predictor(inflate_bounded(raw, max_out, meter), parms[i]);
    } else if (name == "ASCIIHexDecode" || name == "AHx") {
      raw = ascii_hex_decode(raw);
      meter += raw.size();
    } else if (name == "Crypt") {
      continue;
    } else {
      fail(Errc::unsupported, "stream filter /" + name + " is not supported here");
    }
  }
  return raw;
}

std::string flate_encode(std::string_view in, int level) {
  uLongf cap = compressBound(static_cast<uLong>(in.size()));
  std::string out(cap, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &cap,
                reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()),
                level) != Z_OK)
    fail(Errc::internal, "zlib compression failed");
  out.resize(cap);
  return out;
}

}  // namespace openrms::formats::pdf
