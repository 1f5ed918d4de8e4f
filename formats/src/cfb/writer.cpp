// MS-CFB streaming writer. Layout (one pass, no seeking):
//   header | large streams, each contiguous | mini stream | mini FAT | directory | FAT | DIFAT
// Every sector number is computed before the first byte is written, so large streams flow
// straight from their producers to the sink.
#include <algorithm>
#include <cstring>

#include "cfb_constants.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/cfb/compound_file.hpp"

namespace openrms::formats::cfb {

using namespace detail;

namespace {

struct Node {
  std::u16string name;
  EntryType type = EntryType::storage;
  std::size_t parent = 0;
  std::vector<std::size_t> kids;
  std::uint64_t size = 0;
  Writer::Producer producer;
  std::uint8_t clsid[16] = {};
  // layout
  std::uint32_t id = 0;
  std::uint32_t start = ENDOFCHAIN;
  std::uint32_t left = NOSTREAM, right = NOSTREAM, child = NOSTREAM;
  bool red = false;
};

// Counts bytes and forwards them; a producer must write exactly the declared size.
class CountingSink final : public ByteSink {
 public:
  CountingSink(ByteSink& inner, std::uint64_t limit) : inner_(inner), limit_(limit) {}
  void write(ByteView d) override {
    if (d.size() > limit_ - count_)
      fail(Errc::internal, "compound-file stream producer wrote more than it declared");
    inner_.write(d);
    count_ += d.size();
  }
  std::uint64_t count() const { return count_; }

 private:
  ByteSink& inner_;
  std::uint64_t limit_;
  std::uint64_t count_ = 0;
};

void check_name(std::u16string_view n) {
  if (n.empty()) fail(Errc::invalid_argument, "compound-file names cannot be empty");
  if (n.size() > 31) fail(Errc::invalid_argument, "compound-file names are at most 31 characters");
  for (char16_t c : n)
    if (c == u'/' || c == u'\\' || c == u':' || c == u'!' || c == 0)
      fail(Errc::invalid_argument, "compound-file names cannot contain / \\ : ! or NUL");
}

}  // namespace

struct Writer::Impl {
  WriterOptions opt;
  std::vector<Node> nodes;  // [0] = root
  bool written = false;

  std::size_t lookup_child(std::size_t parent, std::u16string_view name) const {
    for (std::size_t k : nodes[parent].kids)
      if (compare_names(nodes[k].name, name) == 0) return k;
    return SIZE_MAX;
  }

  // Resolves a path, creating storages when `create` is set. Returns the node index.
  std::size_t resolve(std::string_view path, bool create_last_storage, bool create_parents) {
    std::size_t cur = 0;
    while (!path.empty()) {
      std::size_t slash = path.find('/');
      std::string_view comp = path.substr(0, slash);
      bool last = slash == std::string_view::npos;
      path = last ? std::string_view() : path.substr(slash + 1);
      std::u16string name = utf8_to_utf16(comp);
      check_name(name);
      std::size_t k = lookup_child(cur, name);
      if (k == SIZE_MAX) {
        if (last ? !create_last_storage : !create_parents)
          fail(Errc::not_found, "no storage '" + std::string(comp) + "'");
        Node n;
        n.name = name;
        n.type = EntryType::storage;
        n.parent = cur;
        nodes.push_back(std::move(n));
        k = nodes.size() - 1;
        nodes[cur].kids.push_back(k);
      } else if (nodes[k].type != EntryType::storage) {
        fail(Errc::invalid_argument, "'" + std::string(comp) + "' is a stream, not a storage");
      }
      cur = k;
    }
    return cur;
  }

  void add_stream(std::string_view path, std::uint64_t size, Producer p) {
    if (written) fail(Errc::invalid_argument, "compound file already written");
    std::size_t slash = path.rfind('/');
    std::size_t parent =
        slash == std::string_view::npos ? 0 : resolve(path.substr(0, slash), true, true);
    std::u16string name =
        utf8_to_utf16(slash == std::string_view::npos ? path : path.substr(slash + 1));
    check_name(name);
    if (lookup_child(parent, name) != SIZE_MAX)
      fail(Errc::invalid_argument, "duplicate compound-file entry '" + std::string(path) + "'");
    Node n;
    n.name = std::move(name);
    n.type = EntryType::stream;
    n.parent = parent;
    n.size = size;
    n.producer = std::move(p);
    nodes.push_back(std::move(n));
    nodes[parent].kids.push_back(nodes.size() - 1);
  }

  // Builds a balanced binary tree over sorted children; nodes on the deepest level are red,
  // all others black, which satisfies the red-black rules §2.6.4 asks for.
  std::uint32_t build(std::vector<std::size_t>& sorted, std::size_t lo, std::size_t hi,
                      unsigned depth, unsigned max_depth) {
    if (lo >= hi) return NOSTREAM;
    std::size_t mid = lo + (hi - lo) / 2;
    Node& n = nodes[sorted[mid]];
    n.red = depth == max_depth && max_depth > 0;
    std::uint32_t l = build(sorted, lo, mid, depth + 1, max_depth);
    std::uint32_t r = build(sorted, mid + 1, hi, depth + 1, max_depth);
    nodes[sorted[mid]].left = l;
    nodes[sorted[mid]].right = r;
    return nodes[sorted[mid]].id;
  }

  void write(ByteSink& sink);
};

Writer::Writer(WriterOptions opt) : impl_(std::make_unique<Impl>()) {
  if (opt.major_version != 3 && opt.major_version != 4)
    fail(Errc::invalid_argument, "compound-file version must be 3 or 4");
  impl_->opt = opt;
  Node root;
  root.name = u"Root Entry";
  root.type = EntryType::root;
  impl_->nodes.push_back(std::move(root));
}
Writer::~Writer() = default;

void Writer::add_storage(std::string_view path) {
  if (path.empty()) fail(Errc::invalid_argument, "empty storage path");
  std::size_t slash = path.rfind('/');
  std::size_t parent =
      slash == std::string_view::npos ? 0 : impl_->resolve(path.substr(0, slash), true, true);
  std::u16string name =
      utf8_to_utf16(slash == std::string_view::npos ? path : path.substr(slash + 1));
  check_name(name);
  if (impl_->lookup_child(parent, name) != SIZE_MAX)
    fail(Errc::invalid_argument, "duplicate compound-file entry '" + std::string(path) + "'");
  impl_->resolve(path, true, true);
}

void Writer::add_stream(std::string_view path, ByteView data) {
  auto copy = std::make_shared<Bytes>(data.begin(), data.end());
  impl_->add_stream(path, copy->size(), [copy](ByteSink& s) { s.write(*copy); });
}

void Writer::add_stream(std::string_view path, std::uint64_t size, Producer producer) {
  if (!producer) fail(Errc::invalid_argument, "null stream producer");
  impl_->add_stream(path, size, std::move(producer));
}

void Writer::set_clsid(std::string_view storage_path, const std::uint8_t (&clsid)[16]) {
  std::size_t k = impl_->resolve(storage_path, false, false);
  std::memcpy(impl_->nodes[k].clsid, clsid, 16);
}

void Writer::write(ByteSink& sink) {
  if (impl_->written) fail(Errc::invalid_argument, "compound file already written");
  impl_->written = true;
  impl_->write(sink);
}

void Writer::Impl::write(ByteSink& sink) {
  const std::uint32_t ss = opt.major_version == 4 ? 4096 : 512;
  const std::uint32_t per_sector = ss / 4;
  constexpr std::uint32_t kCutoff = 4096;

  // Directory ids: the order of `nodes` (root first).
  if (nodes.size() > 0x7FFFFFFF) fail(Errc::invalid_argument, "too many compound-file entries");
  for (std::size_t i = 0; i < nodes.size(); ++i) nodes[i].id = static_cast<std::uint32_t>(i);
  for (auto& n : nodes) {
    if (n.type == EntryType::stream) continue;
    std::vector<std::size_t> sorted = n.kids;
    std::sort(sorted.begin(), sorted.end(), [&](std::size_t a, std::size_t b) {
      return compare_names(nodes[a].name, nodes[b].name) < 0;
    });
    unsigned max_depth = 0;
    for (std::size_t c = sorted.size(); c > 1; c = (c - 1) - (c - 1) / 2) ++max_depth;
    // A complete tree has no red level; only a partially filled last level is red.
    std::size_t full = (std::size_t{1} << (max_depth + 1)) - 1;
    if (sorted.size() == full) max_depth = 0;
    n.child = build(sorted, 0, sorted.size(), 0, max_depth);
  }

  // Sector allocation.
  std::uint64_t next = 0;
  auto need = [&](std::uint64_t bytes, std::uint64_t unit) { return (bytes + unit - 1) / unit; };
  std::vector<std::size_t> big, small;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].type != EntryType::stream || nodes[i].size == 0) continue;
    (nodes[i].size >= kCutoff ? big : small).push_back(i);
  }
  struct Run {
    std::uint64_t first, count;
    std::uint32_t mark;  // 0 = chain, else FATSECT / DIFSECT
  };
  std::vector<Run> runs;
  for (std::size_t i : big) {
    std::uint64_t n = need(nodes[i].size, ss);
    nodes[i].start = static_cast<std::uint32_t>(next);
    runs.push_back({next, n, 0});
    next += n;
  }
  std::uint64_t minis = 0;
  for (std::size_t i : small) {
    nodes[i].start = static_cast<std::uint32_t>(minis);
    minis += need(nodes[i].size, 64);
  }
  std::uint64_t ministream_bytes = minis * 64;
  std::uint64_t ministream_secs = need(ministream_bytes, ss);
  nodes[0].start = ministream_secs ? static_cast<std::uint32_t>(next) : ENDOFCHAIN;
  nodes[0].size = ministream_bytes;
  if (ministream_secs) runs.push_back({next, ministream_secs, 0});
  next += ministream_secs;
  std::uint64_t minifat_secs = need(minis * 4, ss);
  std::uint64_t minifat_first = next;
  if (minifat_secs) runs.push_back({next, minifat_secs, 0});
  next += minifat_secs;
  std::uint64_t dir_secs = need(nodes.size() * 128, ss);
  std::uint64_t dir_first = next;
  runs.push_back({next, dir_secs, 0});
  next += dir_secs;
  std::uint64_t fat_secs = 0, difat_secs = 0;
  for (;;) {
    std::uint64_t total = next + fat_secs + difat_secs;
    std::uint64_t f = need(total, per_sector);
    std::uint64_t d = f > 109 ? need(f - 109, per_sector - 1) : 0;
    if (f == fat_secs && d == difat_secs) break;
    fat_secs = f;
    difat_secs = d;
  }
  std::uint64_t fat_first = next;
  runs.push_back({next, fat_secs, FATSECT});
  next += fat_secs;
  std::uint64_t difat_first = next;
  if (difat_secs) runs.push_back({next, difat_secs, DIFSECT});
  next += difat_secs;
  if (next > MAXREGSECT) fail(Errc::invalid_argument, "compound file would be too large");

  // Header (§2.2).
  std::vector<std::uint8_t> sector(ss, 0);
  std::uint8_t* h = sector.data();
  std::memcpy(h, kSignature, 8);
  put16(h + 24, 0x003E);
  put16(h + 26, opt.major_version);
  put16(h + 28, 0xFFFE);
  put16(h + 30, opt.major_version == 4 ? 12 : 9);
  put16(h + 32, 6);
  put32(h + 40, opt.major_version == 4 ? static_cast<std::uint32_t>(dir_secs) : 0);
  put32(h + 44, static_cast<std::uint32_t>(fat_secs));
  put32(h + 48, static_cast<std::uint32_t>(dir_first));
  put32(h + 56, kCutoff);
  put32(h + 60, minifat_secs ? static_cast<std::uint32_t>(minifat_first) : ENDOFCHAIN);
  put32(h + 64, static_cast<std::uint32_t>(minifat_secs));
  put32(h + 68, difat_secs ? static_cast<std::uint32_t>(difat_first) : ENDOFCHAIN);
  put32(h + 72, static_cast<std::uint32_t>(difat_secs));
  for (std::uint32_t i = 0; i < 109; ++i)
    put32(h + 76 + 4 * i, i < fat_secs ? static_cast<std::uint32_t>(fat_first + i) : FREESECT);
  sink.write(sector);

  const std::vector<std::uint8_t> zeros(ss, 0);
  auto pad = [&](std::uint64_t count, std::uint64_t unit) {
    std::uint64_t rem = count % unit;
    if (rem) sink.write(ByteView(zeros.data(), static_cast<std::size_t>(unit - rem)));
  };
  auto produce = [&](Node& n, ByteSink& to) {
    CountingSink c(to, n.size);
    n.producer(c);
    if (c.count() != n.size)
      fail(Errc::internal, "compound-file stream producer wrote fewer bytes than it declared");
  };

  // Large streams.
  for (std::size_t i : big) {
    produce(nodes[i], sink);
    pad(nodes[i].size, ss);
  }
  // Mini stream.
  if (ministream_secs) {
    Bytes ms;
    ms.reserve(static_cast<std::size_t>(ministream_secs * ss));
    MemorySink msink(ms);
    for (std::size_t i : small) {
      produce(nodes[i], msink);
      ms.resize((ms.size() + 63) / 64 * 64, 0);
    }
    ms.resize(static_cast<std::size_t>(ministream_secs * ss), 0);
    sink.write(ms);
  }
  // Mini FAT.
  if (minifat_secs) {
    std::vector<std::uint8_t> mf(static_cast<std::size_t>(minifat_secs * ss), 0xFF);
    for (std::size_t i : small) {
      std::uint64_t first = nodes[i].start, n = need(nodes[i].size, 64);
      for (std::uint64_t k = 0; k < n; ++k)
        put32(mf.data() + 4 * (first + k),
              k + 1 < n ? static_cast<std::uint32_t>(first + k + 1) : ENDOFCHAIN);
    }
    sink.write(mf);
  }
  // Directory (§2.6).
  {
    std::vector<std::uint8_t> dir(static_cast<std::size_t>(dir_secs * ss), 0);
    for (std::size_t i = 0; i < dir.size() / 128; ++i) {
      std::uint8_t* e = dir.data() + i * 128;
      put32(e + 68, NOSTREAM);
      put32(e + 72, NOSTREAM);
      put32(e + 76, NOSTREAM);
    }
    for (auto& n : nodes) {
      std::uint8_t* e = dir.data() + static_cast<std::size_t>(n.id) * 128;
      for (std::size_t k = 0; k < n.name.size(); ++k) put16(e + 2 * k, n.name[k]);
      put16(e + 64, static_cast<std::uint16_t>((n.name.size() + 1) * 2));
      e[66] = static_cast<std::uint8_t>(n.type);
      e[67] = n.red ? 0 : 1;
      put32(e + 68, n.left);
      put32(e + 72, n.right);
      put32(e + 76, n.type == EntryType::stream ? NOSTREAM : n.child);
      std::memcpy(e + 80, n.clsid, 16);
      bool has_data = n.type == EntryType::root ? ministream_secs > 0
                                                : (n.type == EntryType::stream && n.size > 0);
      put32(e + 116, has_data ? n.start : (n.type == EntryType::storage ? 0 : ENDOFCHAIN));
      put64(e + 120, n.type == EntryType::storage ? 0 : n.size);
    }
    sink.write(dir);
  }
  // FAT, generated sector by sector from the runs.
  {
    std::size_t r = 0;
    for (std::uint64_t fs = 0; fs < fat_secs; ++fs) {
      for (std::uint32_t k = 0; k < per_sector; ++k) {
        std::uint64_t s = fs * per_sector + k;
        while (r < runs.size() && s >= runs[r].first + runs[r].count) ++r;
        std::uint32_t v = FREESECT;
        if (r < runs.size() && s >= runs[r].first) {
          if (runs[r].mark) {
            v = runs[r].mark;
          } else {
            v = s + 1 < runs[r].first + runs[r].count ? static_cast<std::uint32_t>(s + 1)
                                                      : ENDOFCHAIN;
          }
        }
        put32(sector.data() + 4 * k, v);
      }
      sink.write(sector);
    }
  }
  // DIFAT sectors (§2.5) for FAT sectors beyond the header's 109.
  for (std::uint64_t d = 0; d < difat_secs; ++d) {
    for (std::uint32_t k = 0; k < per_sector - 1; ++k) {
      std::uint64_t idx = 109 + d * (per_sector - 1) + k;
      put32(sector.data() + 4 * k,
            idx < fat_secs ? static_cast<std::uint32_t>(fat_first + idx) : FREESECT);
    }
    put32(sector.data() + ss - 4,
          d + 1 < difat_secs ? static_cast<std::uint32_t>(difat_first + d + 1) : ENDOFCHAIN);
    sink.write(sector);
  }
}

}  // namespace openrms::formats::cfb
