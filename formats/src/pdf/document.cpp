#include "document.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "filters.hpp"
#include "openrms/error.hpp"
#include "parser.hpp"

namespace openrms::formats::pdf {

namespace {
constexpr std::size_t kWindow = 1u << 20;
constexpr int kMaxRefDepth = 32;

[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "PDF: " + what);
}

/// Reads the whole source in 4 MiB chunks, each with `before` bytes of the previous chunk and
/// `after` bytes of the next, and calls fn(base, bytes, first, limit): a match at p belongs to
/// this chunk when first <= p < limit (so each is reported once, with context on both sides).
template <typename Fn>
void scan_chunks(const ByteSource& src, std::size_t before, std::size_t after, Fn fn) {
  constexpr std::size_t kChunk = 4u << 20;
  const std::uint64_t size = src.size();
  std::string buf;
  for (std::uint64_t off = 0; off < size; off += kChunk) {
    const std::uint64_t base = off >= before ? off - before : 0;
    const std::uint64_t end = std::min<std::uint64_t>(size, off + kChunk + after);
    buf.resize(static_cast<std::size_t>(end - base));
    src.read_at(base, MutableByteView(reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()));
    const auto first = static_cast<std::size_t>(off - base);
    const std::size_t limit = std::min(buf.size(), first + kChunk);
    fn(base, std::string_view(buf), first, limit);
  }
}

const std::int64_t* int_of(const Dict& d, std::string_view key) {
  const Object* o = d.get(key);
  return o ? o->as_int() : nullptr;
}
}  // namespace

Document::Document(const ByteSource& src, DocumentLimits limits) : src_(src), limits_(limits) {
  // Header: "%PDF-x.y", possibly after some junk (readers look in the first 1024 bytes).
  char head[1024];
  std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof head, src_.size()));
  src_.read_at(0, MutableByteView(reinterpret_cast<std::uint8_t*>(head), n));
  std::string_view hv(head, n);
  std::size_t h = hv.find("%PDF-");
  if (h == std::string_view::npos) bad("not a PDF file (no %PDF- header)");
  std::size_t e = h + 5;
  while (e < hv.size() && e < h + 13 && ((hv[e] >= '0' && hv[e] <= '9') || hv[e] == '.')) ++e;
  version_ = std::string(hv.substr(h + 5, e - h - 5));

  bool ok = false;
  try {
    ok = load_xref_chain();
  } catch (const Error& err) {
    if (err.code() != Errc::bad_format) throw;
    ok = false;
  }
  if (!ok || !trailer_.get("Root")) repair();
}

std::string_view Document::window(std::uint64_t offset, std::size_t want, bool& final) {
  const std::uint64_t size = src_.size();
  if (offset > size) bad("offset " + std::to_string(offset) + " is past the end of the file");
  ByteView mem = src_.memory();
  if (!mem.empty() || size == 0) {
    final = true;
    return {reinterpret_cast<const char*>(mem.data()) + offset, mem.size() - offset};
  }
  std::uint64_t wend = win_off_ + win_.size();
  std::uint64_t need_end = std::min<std::uint64_t>(size, offset + want);
  if (!(offset >= win_off_ && need_end <= wend && !win_.empty())) {
    // Walking backwards (the repair scan visits objects from the end) a window that starts at
    // `offset` would re-read up to kWindow bytes for every object: end it where the old one
    // began instead, so each byte is read about once in either direction.
    std::uint64_t start = offset;
    if (!win_.empty() && offset < win_off_ && win_off_ - offset < kWindow)
      start = win_off_ >= kWindow ? win_off_ - kWindow : 0;
    std::size_t len = static_cast<std::size_t>(
        std::min<std::uint64_t>(size - start, std::max<std::uint64_t>(need_end - start, kWindow)));
    win_.resize(len);
    src_.read_at(start, MutableByteView(reinterpret_cast<std::uint8_t*>(win_.data()), len));
    win_off_ = start;
    wend = start + len;
  }
  final = wend == size;
  return std::string_view(win_).substr(static_cast<std::size_t>(offset - win_off_));
}

std::uint64_t Document::next_object_offset(std::uint64_t offset) {
  if (offsets_dirty_) {
    offsets_.clear();
    for (const auto& [num, e] : xref_)
      if (e.type == 1) offsets_.push_back(e.offset);
    std::sort(offsets_.begin(), offsets_.end());
    offsets_dirty_ = false;
  }
  auto it = std::upper_bound(offsets_.begin(), offsets_.end(), offset);
  return it == offsets_.end() ? UINT64_MAX : *it;
}

IndirectObject Document::parse_at(std::uint64_t offset, std::optional<Ref> expect, int depth,
                                  std::uint64_t end) {
  if (depth > kMaxRefDepth) bad("references nested too deeply (a /Length loop?)");
  std::size_t want = 4096;
  IndirectObject io;
  bool has_stream = false;
  while (true) {
    bool final = false;
    std::string_view w = window(offset, want, final);
    if (end > offset && end - offset <= w.size()) {
      w = w.substr(0, static_cast<std::size_t>(end - offset));
      final = true;
    }
    try {
      Parser p(w, offset, final);
      Ref r;
      if (!parse_object_header(p, r))
        bad("no object at offset " + std::to_string(offset) +
            (expect ? " (expected object " + std::to_string(expect->num) + ")" : ""));
      if (expect && r.num != expect->num)
        bad("object " + std::to_string(expect->num) + " is not at its xref offset");
      io = IndirectObject{};
      io.ref = r;
      p.skip_ws();
      std::string_view rest = p.data().substr(p.pos());
      if (rest.size() < 6 && !final) throw NeedMore{};
      if (rest.substr(0, 6) == "endobj") break;  // "N G obj endobj": a null object
      io.value = p.parse_object();
      has_stream = false;
      if (io.value.as_dict()) {
        p.skip_ws();
        if (p.at_end() && !final) throw NeedMore{};
        if (!p.at_end() && p.read_token() == "stream") {
          std::size_t q = p.pos();
          std::string_view d = p.data();
          while (q < d.size() && d[q] == ' ') ++q;  // tolerated: spaces before the EOL
          if (q + 1 >= d.size() && !final) throw NeedMore{};
          if (q < d.size() && d[q] == '\r') ++q;
          if (q < d.size() && d[q] == '\n') ++q;
          has_stream = true;
          io.is_stream = true;
          io.stream.data_offset = offset + q;
        }
      }
      break;
    } catch (const NeedMore&) {
      want = std::max<std::size_t>(want, w.size()) * 4;
    }
  }
  if (has_stream) fix_stream_length(io, depth);
  return io;
}

void Document::fix_stream_length(IndirectObject& o, int depth) {
  const Dict& d = *o.value.as_dict();
  std::int64_t len = -1;
  if (const Object* l = d.get("Length")) {
    if (const auto* i = l->as_int()) {
      len = *i;
    } else if (const auto* r = l->as_ref()) {
      if (r->num != o.ref.num) {
        Object v = resolve_depth(*l, depth + 1);
        if (const auto* i2 = v.as_int()) len = *i2;
      }
    }
  }
  const std::uint64_t size = src_.size();
  const std::uint64_t start = o.stream.data_offset;
  if (len >= 0 && static_cast<std::uint64_t>(len) <= size - std::min(size, start)) {
    // Accept the declared length if "endstream" follows (after optional white space).
    char buf[32];
    std::uint64_t at = start + static_cast<std::uint64_t>(len);
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, size - at));
    src_.read_at(at, MutableByteView(reinterpret_cast<std::uint8_t*>(buf), n));
    std::size_t k = 0;
    while (k < n && is_ws(static_cast<unsigned char>(buf[k]))) ++k;
    if (n - k >= 9 && std::memcmp(buf + k, "endstream", 9) == 0) {
      o.stream.data_length = static_cast<std::uint64_t>(len);
      return;
    }
  }
  // The length lies (or is missing): the data ends before the next "endstream".
  std::uint64_t e = find_endstream(start);
  if (e == UINT64_MAX) bad("stream of object " + std::to_string(o.ref.num) + " has no end");
  char tail[2] = {0, 0};
  if (e - start >= 2) {
    src_.read_at(e - 2, MutableByteView(reinterpret_cast<std::uint8_t*>(tail), 2));
    if (tail[0] == '\r' && tail[1] == '\n') {
      e -= 2;
    } else if (tail[1] == '\n' || tail[1] == '\r') {
      e -= 1;
    }
  } else if (e - start == 1) {
    src_.read_at(e - 1, MutableByteView(reinterpret_cast<std::uint8_t*>(tail), 1));
    if (tail[0] == '\n' || tail[0] == '\r') e -= 1;
  }
  o.stream.data_length = e - start;
}

std::uint64_t Document::find_endstream(std::uint64_t from) {
  if (!endstreams_built_) {
    endstreams_built_ = true;
    scan_chunks(
        src_, 0, 8,
        [this](std::uint64_t base, std::string_view buf, std::size_t first, std::size_t limit) {
          for (std::size_t p = buf.find("endstream", first); p < limit;
               p = buf.find("endstream", p + 1))
            endstreams_.push_back(base + p);
        });
  }
  auto it = std::lower_bound(endstreams_.begin(), endstreams_.end(), from);
  return it == endstreams_.end() ? UINT64_MAX : *it;
}

void Document::set_entry(std::uint32_t num, const XrefEntry& e, bool overwrite) {
  auto it = xref_.find(num);
  if (it != xref_.end()) {
    if (overwrite) it->second = e;
    offsets_dirty_ = true;
    return;
  }
  if (xref_.size() >= limits_.max_objects) bad("too many objects");
  xref_.emplace(num, e);
  offsets_dirty_ = true;
}

void Document::merge_trailer(const Dict& d) {
  for (const auto& [k, v] : d.entries())
    if (!trailer_.get(k)) trailer_.set(k, v);
}

bool Document::load_xref_chain() {
  const std::uint64_t size = src_.size();
  std::size_t tail_len = static_cast<std::size_t>(std::min<std::uint64_t>(size, 4096));
  std::string tail(tail_len, '\0');
  src_.read_at(size - tail_len,
               MutableByteView(reinterpret_cast<std::uint8_t*>(tail.data()), tail_len));
  std::size_t sx = tail.rfind("startxref");
  if (sx == std::string::npos) return false;
  Parser p(std::string_view(tail).substr(sx + 9), size - tail_len + sx + 9, true);
  std::uint64_t start = 0;
  if (!p.read_uint(start) || start >= size) return false;

  std::vector<std::uint64_t> todo{start};
  std::set<std::uint64_t> seen;
  while (!todo.empty()) {
    std::uint64_t off = todo.back();
    todo.pop_back();
    if (!seen.insert(off).second) continue;  // a /Prev loop: each section once
    if (seen.size() > limits_.max_xref_sections) bad("too many cross-reference sections");
    if (off >= size) return false;
    std::vector<std::uint64_t> prevs;
    if (!read_xref_section(off, prevs, false)) return false;
    for (auto it = prevs.rbegin(); it != prevs.rend(); ++it) todo.push_back(*it);
  }
  return !xref_.empty();
}

bool Document::read_xref_section(std::uint64_t offset, std::vector<std::uint64_t>& prevs,
                                 bool hybrid_only) {
  const std::uint64_t size = src_.size();
  {
    bool final = false;
    std::string_view w = window(offset, 64, final);
    Parser probe(w, offset, final);
    probe.skip_ws();
    if (!probe.accept_keyword("xref")) {
      // A cross-reference stream.
      IndirectObject xs = parse_at(offset, std::nullopt, 0);
      const Dict* d = xs.value.as_dict();
      if (!xs.is_stream || !d || !d->get("Type") || !d->get("Type")->is_name("XRef")) return false;
      has_xref_streams_ = true;
      read_xref_stream_entries(xs);
      if (hybrid_only) return true;
      merge_trailer(*d);
      if (const auto* prev = int_of(*d, "Prev"); prev && *prev >= 0)
        prevs.push_back(static_cast<std::uint64_t>(*prev));
      return true;
    }
  }
  // A classic table: "xref" then subsections "start count" of 20-byte entries, then "trailer".
  std::size_t want = 4096;
  Dict trailer;
  while (true) {
    bool final = false;
    std::string_view w = window(offset, want, final);
    try {
      Parser p(w, offset, final);
      p.accept_keyword("xref");
      while (true) {
        std::uint64_t first = 0, count = 0;
        std::size_t save = p.pos();
        if (!p.read_uint(first)) break;
        if (!p.read_uint(count)) {
          p.set_pos(save);
          break;
        }
        if (count > (size - offset) / 18 + 1) bad("xref subsection claims more entries than fit");
        if (first + count > 0x80000000ull) bad("xref subsection out of range");
        for (std::uint64_t i = 0; i < count; ++i) {
          std::uint64_t eoff = 0, gen = 0;
          if (!p.read_uint(eoff) || !p.read_uint(gen)) {
            p.skip_ws();
            if (p.at_end()) p.truncated("xref table");
            bad("malformed xref entry");
          }
          p.skip_ws();
          std::string_view t = p.read_token();
          if (t != "n" && t != "f") bad("malformed xref entry type");
          // Writers that number the first subsection from 1 but start with the free head entry.
          if (i == 0 && first == 1 && t == "f" && eoff == 0 && gen == 65535) first = 0;
          XrefEntry e;
          e.type = (t == "n" && eoff != 0) ? 1 : 0;
          e.gen = static_cast<std::uint16_t>(std::min<std::uint64_t>(gen, 65535));
          e.offset = eoff;
          set_entry(static_cast<std::uint32_t>(first + i), e, false);
        }
      }
      if (!p.accept_keyword("trailer")) bad("xref table without trailer");
      Object t = p.parse_object();
      if (!t.as_dict()) bad("trailer is not a dictionary");
      trailer = std::move(*t.as_dict());
      break;
    } catch (const NeedMore&) {
      want = std::max<std::size_t>(want, w.size()) * 4;
    }
  }
  if (!hybrid_only) merge_trailer(trailer);
  // Hybrid file: the /XRefStm entries rank after this table and before /Prev (§7.5.8.4).
  if (const auto* xs = int_of(trailer, "XRefStm");
      xs && *xs > 0 && static_cast<std::uint64_t>(*xs) < size) {
    std::vector<std::uint64_t> ignored;
    try {
      read_xref_section(static_cast<std::uint64_t>(*xs), ignored, true);
    } catch (const Error& e) {
      if (e.code() != Errc::bad_format) throw;
    }
  }
  if (const auto* prev = int_of(trailer, "Prev"); prev && *prev >= 0)
    prevs.push_back(static_cast<std::uint64_t>(*prev));
  return true;
}

void Document::read_xref_stream_entries(IndirectObject& xs) {
  const Dict& d = *xs.value.as_dict();
  const Object* wo = d.get("W");
  const Array* wa = wo ? wo->as_array() : nullptr;
  if (!wa || wa->size() != 3) bad("xref stream without a valid /W");
  std::size_t w[3];
  for (int i = 0; i < 3; ++i) {
    const auto* v = (*wa)[i].as_int();
    if (!v || *v < 0 || *v > 8) bad("xref stream /W out of range");
    w[i] = static_cast<std::size_t>(*v);
  }
  const std::size_t width = w[0] + w[1] + w[2];
  if (width == 0) bad("xref stream /W is all zero");
  std::string data = decode_budgeted(xs, false);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> sections;
  if (const Object* idx = d.get("Index"); idx && idx->as_array()) {
    const Array& a = *idx->as_array();
    for (std::size_t i = 0; i + 1 < a.size(); i += 2) {
      const auto* s = a[i].as_int();
      const auto* c = a[i + 1].as_int();
      if (!s || !c || *s < 0 || *c < 0) bad("xref stream /Index is malformed");
      sections.emplace_back(static_cast<std::uint64_t>(*s), static_cast<std::uint64_t>(*c));
    }
  } else {
    const auto* sz = int_of(d, "Size");
    if (!sz || *sz < 0) bad("xref stream without /Size");
    sections.emplace_back(0, static_cast<std::uint64_t>(*sz));
  }
  auto field = [&](std::size_t pos, std::size_t len) {
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < len; ++k) v = v << 8 | static_cast<unsigned char>(data[pos + k]);
    return v;
  };
  std::size_t pos = 0;
  for (auto [first, count] : sections) {
    for (std::uint64_t i = 0; i < count && pos + width <= data.size(); ++i, pos += width) {
      if (first + i > 0x7fffffffull) bad("xref stream object number out of range");
      std::uint64_t type = w[0] ? field(pos, w[0]) : 1;
      std::uint64_t f2 = field(pos + w[0], w[1]);
      std::uint64_t f3 = field(pos + w[0] + w[1], w[2]);
      XrefEntry e;
      if (type == 1) {
        e.type = 1;
        e.offset = f2;
        e.gen = static_cast<std::uint16_t>(std::min<std::uint64_t>(f3, 65535));
      } else if (type == 2) {
        if (f2 > 0x7fffffffull || f3 > 0xffffffffull) bad("xref stream entry out of range");
        e.type = 2;
        e.offset = f2;
        e.index = static_cast<std::uint32_t>(f3);
      } else {
        e.type = 0;  // free, or an unknown type: a reference to null (§7.5.8.3)
      }
      set_entry(static_cast<std::uint32_t>(first + i), e, false);
    }
  }
}

std::vector<std::uint32_t> Document::object_numbers() const {
  std::vector<std::uint32_t> out;
  out.reserve(xref_.size());
  for (const auto& [num, e] : xref_)
    if (e.type == 1 || e.type == 2) out.push_back(num);
  std::sort(out.begin(), out.end());
  return out;
}

IndirectObject Document::load(std::uint32_t num) {
  return load_depth(num, 0);
}

void Document::each_direct_dict(const std::function<void(const Ref&, const Dict&)>& fn) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_offset;
  for (const auto& [num, e] : xref_)
    if (e.type == 1) by_offset.emplace_back(e.offset, num);
  std::sort(by_offset.begin(), by_offset.end());
  for (auto it = by_offset.rbegin(); it != by_offset.rend(); ++it) {
    try {
      const std::uint64_t end = it == by_offset.rbegin() ? UINT64_MAX : std::prev(it)->first;
      IndirectObject io = parse_at(it->first, std::nullopt, 0, end);
      if (const Dict* d = io.value.as_dict()) fn(io.ref, *d);
    } catch (const Error&) {  // damaged: the object is not there to find
    }
  }
}

std::vector<Ref> Document::find_dicts(const std::function<bool(const Dict&)>& pred) {
  validate_offsets();
  std::vector<Ref> out;
  each_direct_dict([&](const Ref& r, const Dict& d) {
    if (pred(d)) out.push_back(r);
  });
  return out;
}

IndirectObject Document::load_depth(std::uint32_t num, int depth) {
  if (depth > kMaxRefDepth) bad("references nested too deeply");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto it = xref_.find(num);
    if (it == xref_.end() || it->second.type == 0) {
      IndirectObject io;
      io.ref = Ref{num, 0};
      return io;
    }
    XrefEntry e = it->second;
    try {
      if (e.type == 1) {
        IndirectObject io =
            parse_at(e.offset, Ref{num, e.gen}, depth, next_object_offset(e.offset));
        return io;
      }
      const ObjStm& os = object_stream(static_cast<std::uint32_t>(e.offset), depth);
      std::size_t at = SIZE_MAX;
      if (e.index < os.index.size() && os.index[e.index].first == num) {
        at = os.index[e.index].second;
      } else {
        for (const auto& [n, off] : os.index)
          if (n == num) at = off;
      }
      if (at == SIZE_MAX || at > os.data.size())
        bad("object " + std::to_string(num) + " is not in its object stream");
      Parser p(std::string_view(os.data).substr(at), 0, true);
      IndirectObject io;
      io.ref = Ref{num, 0};
      io.value = p.parse_object();
      return io;
    } catch (const Error& err) {
      if (err.code() != Errc::bad_format || repaired_ || attempt > 0) throw;
      repair();
    }
  }
  bad("object " + std::to_string(num) + " cannot be read");
}

Object Document::resolve(const Object& o) {
  return resolve_depth(o, 0);
}

Object Document::resolve_depth(const Object& o, int depth) {
  const Ref* r = o.as_ref();
  if (!r) return o;
  Object cur = o;
  for (int i = 0; i < kMaxRefDepth; ++i) {
    const Ref* rr = cur.as_ref();
    if (!rr) return cur;
    cur = load_depth(rr->num, depth + 1).value;
  }
  return Object{};  // a reference chain that does not end: null
}

const Document::ObjStm& Document::object_stream(std::uint32_t num, int depth) {
  if (auto it = objstm_cache_.find(num); it != objstm_cache_.end()) {
    it->second.last_use = ++objstm_tick_;
    return *it->second.os;
  }
  IndirectObject s = load_depth(num, depth + 1);
  const Dict* d = s.value.as_dict();
  if (!s.is_stream || !d) bad("object stream " + std::to_string(num) + " is not a stream");
  const auto* n = int_of(*d, "N");
  const auto* first = int_of(*d, "First");
  if (!n || !first || *n < 0 || *first < 0) bad("object stream without valid /N and /First");
  auto os = std::make_shared<ObjStm>();
  os->data = read_stream_decoded(s);
  if (static_cast<std::uint64_t>(*first) > os->data.size() ||
      static_cast<std::uint64_t>(*n) > os->data.size() / 2 + 1)
    bad("object stream header does not fit its data");
  Parser p(std::string_view(os->data).substr(0, static_cast<std::size_t>(*first)), 0, true);
  for (std::int64_t i = 0; i < *n; ++i) {
    std::uint64_t on = 0, off = 0;
    if (!p.read_uint(on) || !p.read_uint(off)) break;
    if (on > 0x7fffffff) bad("object stream entry out of range");
    os->index.emplace_back(
        static_cast<std::uint32_t>(on),
        static_cast<std::size_t>(*first) +
            static_cast<std::size_t>(std::min<std::uint64_t>(off, os->data.size())));
  }
  // Least recently used first out: an access pattern alternating between object streams
  // (indirect /Length values pointing into two of them) keeps both instead of re-decoding.
  objstm_cached_bytes_ += os->data.size();
  while (!objstm_cache_.empty() &&
         (objstm_cache_.size() >= 8 || objstm_cached_bytes_ > limits_.max_cached_objstm_bytes)) {
    auto victim = std::min_element(
        objstm_cache_.begin(), objstm_cache_.end(),
        [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
    objstm_cached_bytes_ -= victim->second.os->data.size();
    objstm_cache_.erase(victim);
  }
  auto& slot = objstm_cache_[num];
  slot.os = std::move(os);
  slot.last_use = ++objstm_tick_;
  return *slot.os;
}

std::string Document::read_stream_raw(const IndirectObject& s, std::size_t max) {
  if (s.stream.data_length > max)
    fail(Errc::bad_format, "PDF: stream of object " + std::to_string(s.ref.num) +
                               " is larger than the limit of " + std::to_string(max) + " bytes");
  std::string out(static_cast<std::size_t>(s.stream.data_length), '\0');
  src_.read_at(s.stream.data_offset,
               MutableByteView(reinterpret_cast<std::uint8_t*>(out.data()), out.size()));
  return out;
}

std::string Document::decode_budgeted(const IndirectObject& s, bool decrypt) {
  const std::uint64_t budget =
      limits_.max_decoded_total + 32 * static_cast<std::uint64_t>(src_.size());
  if (decoded_total_ >= budget)
    fail(Errc::bad_format, "PDF: the object and cross-reference streams decode to more than " +
                               std::to_string(budget >> 20) +
                               " MiB in all (a decompression bomb, or a damaged file)");
  const std::size_t max = static_cast<std::size_t>(
      std::min<std::uint64_t>(limits_.max_decoded_stream, budget - decoded_total_));
  std::string raw = read_stream_raw(s, limits_.max_decoded_stream);
  const Dict& d = *s.value.as_dict();
  if (decrypt && decryptor_) raw = decryptor_(s.ref, d, std::move(raw));
  decoded_total_ += raw.size();
  // Every stage's output counts, a failed one's too: a stream that expands to the per-stream
  // limit and then fails has cost that much, and a damaged file can hold many of them.
  return decode_stream(std::move(raw), d, max, &decoded_total_);
}

std::string Document::read_stream_decoded(const IndirectObject& s) {
  const Object* t = s.value.as_dict()->get("Type");
  return decode_budgeted(s, !(t && t->is_name("XRef")));
}

void Document::repair() {
  repaired_ = true;
  xref_.clear();
  offsets_dirty_ = true;
  objstm_cache_.clear();
  objstm_cached_bytes_ = 0;
  Dict old_trailer = std::move(trailer_);
  trailer_ = Dict{};
  std::vector<std::uint64_t> trailers;
  scan_chunks(
      src_, 64, 8,
      [&](std::uint64_t off, std::string_view buf, std::size_t first, std::size_t limit) {
        const std::size_t len = buf.size();
        for (std::size_t p = buf.find("obj", first); p < limit; p = buf.find("obj", p + 1)) {
          if (p + 3 < len && is_regular(static_cast<unsigned char>(buf[p + 3]))) continue;
          // Walk back over "NUM GEN ".
          std::size_t q = p;
          auto back_ws = [&] {
            std::size_t k = 0;
            while (q > 0 && is_ws(static_cast<unsigned char>(buf[q - 1]))) --q, ++k;
            return k;
          };
          auto back_digits = [&] {
            std::size_t k = 0;
            while (q > 0 && buf[q - 1] >= '0' && buf[q - 1] <= '9' && k < 11) --q, ++k;
            return k;
          };
          if (back_ws() == 0) continue;
          std::size_t gl = back_digits();
          if (gl == 0 || gl > 5) continue;
          std::size_t gstart = q;
          if (back_ws() == 0) continue;
          std::size_t nl = back_digits();
          if (nl == 0 || nl > 10) continue;
          if (q > 0 && is_regular(static_cast<unsigned char>(buf[q - 1]))) continue;
          std::uint64_t num = std::strtoull(std::string(buf.substr(q, nl)).c_str(), nullptr, 10);
          std::uint64_t gen =
              std::strtoull(std::string(buf.substr(gstart, gl)).c_str(), nullptr, 10);
          if (num > 0x7fffffff || gen > 65535) continue;
          XrefEntry e;
          e.type = 1;
          e.gen = static_cast<std::uint16_t>(gen);
          e.offset = off + q;
          set_entry(static_cast<std::uint32_t>(num), e, true);  // later definitions win
        }
        for (std::size_t p = buf.find("trailer", first); p < limit; p = buf.find("trailer", p + 1))
          trailers.push_back(off + p + 7);
      });
  for (auto it = trailers.rbegin(); it != trailers.rend(); ++it) {
    try {
      bool final = false;
      std::string_view w = window(*it, 1 << 16, final);
      Parser p(w, *it, true);
      Object t = p.parse_object();
      if (const Dict* d = t.as_dict()) merge_trailer(*d);
    } catch (const Error&) {
    } catch (const NeedMore&) {
    }
  }
  if (!trailer_.get("Root") || !trailer_.get("Encrypt")) {
    // Look at the objects themselves: xref-stream dictionaries carry the trailer keys, and the
    // catalog can be recognised by its /Type.
    std::optional<Ref> catalog;
    each_direct_dict([&](const Ref& r, const Dict& d) {
      const Object* t = d.get("Type");
      if (t && t->is_name("XRef")) {
        has_xref_streams_ = true;
        merge_trailer(d);
      }
      if (t && t->is_name("Catalog") && !catalog) catalog = r;
    });
    if (!trailer_.get("Root") && catalog) trailer_.set("Root", make_ref(*catalog));
  }
  for (const auto& [k, v] : old_trailer.entries())
    if (!trailer_.get(k) && (k == "Root" || k == "Encrypt" || k == "ID" || k == "Info"))
      trailer_.set(k, v);
  if (!trailer_.get("Root")) bad("no document catalog found (the file is damaged beyond repair)");
  for (const char* k : {"Prev", "XRefStm", "Type", "W", "Index", "Filter", "DecodeParms", "Length"})
    trailer_.erase(k);
}

void Document::index_object_streams() {
  if (!repaired_) return;
  std::vector<std::uint32_t> nums = object_numbers();
  for (std::uint32_t num : nums) {
    try {
      IndirectObject io = load(num);
      const Dict* d = io.value.as_dict();
      if (!io.is_stream || !d || !d->get("Type") || !d->get("Type")->is_name("ObjStm")) continue;
      const ObjStm& os = object_stream(num, 0);
      for (std::size_t i = 0; i < os.index.size(); ++i) {
        XrefEntry e;
        e.type = 2;
        e.offset = num;
        e.index = static_cast<std::uint32_t>(i);
        set_entry(os.index[i].first, e, false);
      }
    } catch (const Error& err) {
      if (err.code() != Errc::bad_format) throw;
    }
  }
}

void Document::validate_offsets() {
  if (repaired_) return;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_offset;
  for (const auto& [num, e] : xref_)
    if (e.type == 1) by_offset.emplace_back(e.offset, num);
  std::sort(by_offset.begin(), by_offset.end());
  for (const auto& [off, num] : by_offset) {
    bool ok = false;
    if (off < src_.size()) {
      bool final = false;
      std::string_view w = window(off, 64, final);
      Parser p(w.substr(0, std::min<std::size_t>(w.size(), 64)), off, true);
      Ref r;
      try {
        ok = parse_object_header(p, r) && r.num == num;
      } catch (const Error&) {
        ok = false;
      }
    }
    if (!ok) {
      repair();
      return;
    }
  }
}

}  // namespace openrms::formats::pdf
