#include "writer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <future>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "filters.hpp"
#include "openrms/crypto/cbc_many.hpp"
#include "openrms/crypto/parallel.hpp"
#include "openrms/error.hpp"

namespace openrms::formats::pdf {

namespace {

constexpr std::size_t kChunk = 4u << 20;
/// Streams under the license handler that cannot stream are transformed whole up to this size.
constexpr std::size_t kMaxWholeStream = 1u << 30;
/// License-handler streams above this size go through the handler's streaming transform.
constexpr std::size_t kMinStreamed = 1u << 20;

class Out {
 public:
  explicit Out(ByteSink& sink) : sink_(sink) { buf_.reserve(1u << 20); }
  void write(std::string_view s) {
    if (buf_.size() + s.size() > (1u << 20) || s.size() >= (64u << 10)) flush();
    if (s.size() >= (64u << 10)) {
      sink_.write(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
    } else {
      buf_.append(s);
    }
    off_ += s.size();
  }
  void flush() {
    if (!buf_.empty())
      sink_.write(ByteView(reinterpret_cast<const std::uint8_t*>(buf_.data()), buf_.size()));
    buf_.clear();
  }
  std::uint64_t offset() const noexcept { return off_; }

 private:
  ByteSink& sink_;
  std::string buf_;
  std::uint64_t off_ = 0;
};

bool is_signature_dict(const Dict& d) {
  const Object* t = d.get("Type");
  if (t && (t->is_name("Sig") || t->is_name("DocTimeStamp"))) return true;
  return d.get("ByteRange") && d.get("Contents") && d.get("Filter");
}

struct StringCrypt {
  const RewriteOptions& opt;
  Ref ref;
  void apply(Object& o, int depth) const {
    if (depth > 256) return;
    if (String* s = o.as_string()) {
      if (opt.decrypt)
        s->bytes = opt.decrypt->decrypt(opt.decrypt->string_method(), ref, std::move(s->bytes));
      if (opt.encrypt) s->bytes = opt.encrypt->encrypt(opt.encrypt->string_method(), ref, s->bytes);
      if (opt.encrypt) s->hex = true;
    } else if (Array* a = o.as_array()) {
      for (Object& e : *a) apply(e, depth + 1);
    } else if (Dict* d = o.as_dict()) {
      const bool sig = is_signature_dict(*d);
      for (auto& [k, v] : d->entries()) {
        if (sig && k == "Contents") continue;  // signature bytes are never encrypted (§7.6.2)
        apply(v, depth + 1);
      }
    }
  }
};

/// Removes a leading /Crypt filter (and its parameters) from a stream dictionary.
void drop_crypt_filter(Dict& d) {
  Object* f = d.get("Filter");
  if (!f) return;
  if (f->is_name("Crypt")) {
    d.erase("Filter");
    d.erase("DecodeParms");
    return;
  }
  Array* a = f->as_array();
  if (!a || a->empty() || !a->front().is_name("Crypt")) return;
  a->erase(a->begin());
  if (Object* dp = d.get("DecodeParms"); dp && dp->as_array() && !dp->as_array()->empty())
    dp->as_array()->erase(dp->as_array()->begin());
  if (a->empty()) {
    d.erase("Filter");
    d.erase("DecodeParms");
  }
}

std::uint64_t aes_plain_length(Document& doc, const IndirectObject& s,
                               const crypto::SecureBytes& key, const crypto::Backend& be) {
  const std::uint64_t len = s.stream.data_length;
  if (len < 32) return 0;
  const std::uint64_t body = (len - 16) / 16 * 16;
  std::uint8_t last[32];
  doc.read_raw(s.stream.data_offset + body - 16, MutableByteView(last, 32));
  std::uint8_t plain[16];
  be.aes(key)->cbc_decrypt(ByteView(last, 16), ByteView(last + 16, 16), MutableByteView(plain, 16));
  std::size_t pad = plain[15];
  bool ok = pad >= 1 && pad <= 16;
  for (std::size_t i = 0; ok && i < pad; ++i) ok = plain[15 - i] == pad;
  crypto::secure_wipe(plain, sizeof plain);
  return body - (ok ? pad : 0);
}

/// Streams one stream's data from the source through decryption and encryption to `out`.
void pipe_stream(const Document& doc, const IndirectObject& s, CryptMethod dm,
                 const crypto::SecureBytes& dkey, CryptMethod em, const crypto::SecureBytes& ekey,
                 std::uint64_t mid_len, const crypto::Backend& be, Out& out,
                 const std::function<void(std::uint64_t)>& tick, std::string& buf,
                 std::string& carry) {
  const std::uint64_t len = s.stream.data_length;
  std::unique_ptr<crypto::Rc4> drc4, erc4;
  std::unique_ptr<crypto::Aes> daes, eaes;
  std::uint8_t div[16] = {}, eiv[16] = {};
  std::uint64_t pos = 0, in_end = len;
  if (dm == CryptMethod::rc4) drc4 = be.rc4(dkey);
  if (dm == CryptMethod::aesv2 || dm == CryptMethod::aesv3) {
    daes = be.aes(dkey);
    if (len >= 32) doc.read_raw(s.stream.data_offset, MutableByteView(div, 16));
    pos = 16;
    in_end = len < 32 ? 16 : 16 + (len - 16) / 16 * 16;
  }
  if (em == CryptMethod::rc4) erc4 = be.rc4(ekey);
  if (em == CryptMethod::aesv2 || em == CryptMethod::aesv3) {
    eaes = be.aes(ekey);
    be.random(MutableByteView(eiv, 16));
    out.write(std::string_view(reinterpret_cast<const char*>(eiv), 16));
  }
  carry.clear();
  std::uint64_t produced = 0;
  while (pos < in_end) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, in_end - pos));
    buf.resize(n);
    auto* b = reinterpret_cast<std::uint8_t*>(buf.data());
    doc.read_raw(s.stream.data_offset + pos, MutableByteView(b, n));
    if (drc4) {
      drc4->apply(ByteView(b, n), MutableByteView(b, n));
    } else if (daes) {
      std::uint8_t next_iv[16];
      std::memcpy(next_iv, b + n - 16, 16);
      daes->cbc_decrypt(ByteView(div, 16), ByteView(b, n), MutableByteView(b, n));
      std::memcpy(div, next_iv, 16);
    }
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, mid_len - produced));
    produced += take;
    std::string_view plain(buf.data(), take);
    if (erc4) {
      erc4->apply(ByteView(b, take), MutableByteView(b, take));
      out.write(plain);
    } else if (eaes) {
      carry.append(plain);
      std::size_t whole = carry.size() / 16 * 16;
      if (whole) {
        auto* c = reinterpret_cast<std::uint8_t*>(carry.data());
        eaes->cbc_encrypt(ByteView(eiv, 16), ByteView(c, whole), MutableByteView(c, whole));
        std::memcpy(eiv, c + whole - 16, 16);
        out.write(std::string_view(carry.data(), whole));
        carry.erase(0, whole);
      }
    } else {
      out.write(plain);
    }
    pos += n;
    tick(n);
  }
  if (eaes) {
    const std::size_t pad = 16 - carry.size();
    carry.append(pad, static_cast<char>(pad));
    auto* c = reinterpret_cast<std::uint8_t*>(carry.data());
    eaes->cbc_encrypt(ByteView(eiv, 16), ByteView(c, 16), MutableByteView(c, 16));
    out.write(carry);
  }
  crypto::secure_wipe(buf.data(), buf.size());
}

/// The xref subsections to write: object 0 and every written number, as (first, count) runs.
/// Small gaps are filled with free entries; large ones split the section, so a file whose
/// objects are numbered sparsely (hostile or not) does not get a table of billions of lines.
std::vector<std::pair<std::uint32_t, std::uint32_t>> xref_runs(
    const std::map<std::uint32_t, XrefEntry>& written) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> runs{{0, 1}};
  for (const auto& [n, e] : written) {
    auto& last = runs.back();
    const std::uint64_t end = std::uint64_t{last.first} + last.second;
    if (n < end) continue;
    if (n - end <= 64) {
      last.second = n - last.first + 1;
    } else {
      runs.emplace_back(n, 1);
    }
  }
  return runs;
}

std::size_t bytes_for(std::uint64_t v) {
  std::size_t n = 1;
  while (n < 8 && (v >> (8 * n)) != 0) ++n;
  return n;
}

}  // namespace

namespace {

/// Streams up to kMaxBatchedStream are transformed in memory on the thread pool, in batches of
/// about kBatchBytes (small: every buffer is touched once per process) written in order while
/// the next batch is transformed; larger ones flow through in chunks.
constexpr std::uint64_t kBatchBytes = 4u << 20;
constexpr std::uint64_t kMaxBatchedStream = 8u << 20;
constexpr std::size_t kBatchObjects = 4096;

bool is_aes(CryptMethod m) {
  return m == CryptMethod::aesv2 || m == CryptMethod::aesv3;
}

/// A buffer that grows but is never zero-filled (the stream bytes overwrite it at once).
class Slot {
 public:
  std::uint8_t* reserve(std::size_t n) {
    if (n > cap_) {
      p_.reset(new std::uint8_t[n]);
      cap_ = n;
    }
    return p_.get();
  }
  void wipe(std::size_t n) { crypto::secure_wipe(p_.get(), std::min(n, cap_)); }

 private:
  std::unique_ptr<std::uint8_t[]> p_;
  std::size_t cap_ = 0;
};

/// One stream's data read, decrypted and encrypted in place in `slot` (reused from stream to
/// stream: fresh buffers would cost a page fault per 4 KiB, more than the encryption); returns
/// the output bytes inside it. For AES output the result is the IV and the padded plaintext,
/// left for encrypt_aes() to encrypt with the batch's other AES streams. Touches only
/// thread-safe state (the source's read_at, fresh cipher instances), so it runs on the pool. The
/// plaintext starts at p0 with 16 bytes free before it for an output IV and 16 after it for the
/// padding.
std::span<std::uint8_t> transform_whole(const Document& doc, const IndirectObject& s,
                                        CryptMethod dm, const crypto::SecureBytes& dkey,
                                        CryptMethod em, const crypto::SecureBytes& ekey,
                                        std::uint64_t mid_len, const crypto::Backend& be,
                                        Slot& slot) {
  const std::size_t in_len = static_cast<std::size_t>(s.stream.data_length);
  std::uint8_t* base = slot.reserve(in_len + 32);
  doc.read_raw(s.stream.data_offset, MutableByteView(base + 16, in_len));
  std::size_t p0 = 16;
  if (dm == CryptMethod::rc4) {
    be.rc4(dkey)->apply(ByteView(base + 16, in_len), MutableByteView(base + 16, in_len));
  } else if (is_aes(dm)) {
    p0 = 32;  // after the input's IV
    const std::size_t body = in_len < 32 ? 0 : (in_len - 16) / 16 * 16;
    if (body)
      be.aes(dkey)->cbc_decrypt(ByteView(base + 16, 16), ByteView(base + 32, body),
                                MutableByteView(base + 32, body));
  }
  const std::size_t n = static_cast<std::size_t>(mid_len);
  std::uint8_t* plain = base + p0;
  if (em == CryptMethod::rc4) {
    be.rc4(ekey)->apply(ByteView(plain, n), MutableByteView(plain, n));
  } else if (is_aes(em)) {
    const std::size_t pad = 16 - n % 16;
    std::memset(plain + n, static_cast<int>(pad), pad);
    be.random(MutableByteView(plain - 16, 16));
    return {plain - 16, 16 + n + pad};
  }
  return {plain, n};
}

/// The AES streams of a batch, each an IV and its padded plaintext (transform_whole), encrypted
/// in place. Streams under one key (AESV3 has one file key) share the AES units eight chains at
/// a time (crypto::cbc_encrypt_many: one CBC chain alone runs at a fraction of the units'
/// rate), in slices of about equal bytes, one per core.
void encrypt_aes(
    const std::vector<std::pair<const crypto::SecureBytes*, std::span<std::uint8_t>>>& streams,
    const crypto::Backend& be) {
  std::size_t total = 0;
  for (const auto& [key, bytes] : streams) total += bytes.size();
  const std::size_t slice = total / crypto::parallelism() + 1;
  struct Slice {
    const crypto::SecureBytes* key;
    std::vector<crypto::CbcMessage> messages;
  };
  std::vector<Slice> slices;
  std::size_t filled = 0;
  for (const auto& [key, bytes] : streams) {
    if (slices.empty() || *slices.back().key != *key || filled >= slice) {
      slices.push_back({key, {}});
      filled = 0;
    }
    slices.back().messages.push_back({bytes.data(), bytes.data() + 16, bytes.size() - 16});
    filled += bytes.size();
  }
  crypto::parallel_for(slices.size(), [&](std::size_t i) {
    crypto::cbc_encrypt_many(be, ByteView(*slices[i].key), slices[i].messages);
  });
}

/// The rewrite as a pipeline: each object is loaded and its strings transformed in order on the
/// calling thread (the security handlers' string paths keep per-document caches), its stream data
/// is read and transformed on the thread pool, and the objects are written in order with their
/// offsets; then the new /Encrypt dictionary, and the cross-reference section and trailer.
class Rewriter {
 public:
  Rewriter(Document& doc, ByteSink& sink, const RewriteOptions& opt)
      : doc_(doc),
        opt_(opt),
        out_(sink),
        be_(opt.backend ? *opt.backend : crypto::default_backend()) {
    if (const Object* e = doc.trailer().get("Encrypt"); e && e->as_ref())
      encrypt_ref_ = *e->as_ref();
    if (const Object* r = doc.trailer().get("Root"); r && r->as_ref()) root_ = *r->as_ref();
  }

  RewriteStats run() {
    const std::vector<std::uint32_t> nums = doc_.object_numbers();
    for (std::uint32_t n : nums)
      if (doc_.xref().find(n)->second.type == 2) has_objstm_ = true;
    header();
    for (std::uint32_t num : nums) object(num);
    drain();
    const std::optional<Ref> encrypt = encryption_dict();
    Dict trailer = new_trailer(encrypt);
    if (has_objstm_) {
      xref_stream(std::move(trailer));
    } else {
      xref_table(std::move(trailer));
    }
    out_.flush();
    st_.bytes = out_.offset();
    if (opt_.progress) opt_.progress(doc_.source().size(), doc_.source().size());
    return st_;
  }

 private:
  /// One object waiting to be written: its text up to the stream data (or all of it), and for a
  /// stream the transform that yields the data.
  struct Pending {
    Pending(std::uint32_t n, std::uint16_t g)
        : num(n), gen(g), text(std::to_string(n) + " " + std::to_string(g) + " obj\n") {}
    std::uint32_t num;
    std::uint16_t gen;
    std::string text;
    std::optional<IndirectObject> stream;
    CryptMethod dm = CryptMethod::identity, em = CryptMethod::identity;
    crypto::SecureBytes dkey, ekey;
    std::uint64_t mid_len = 0, out_len = 0;
  };

  // Keep the input's version unless a feature written needs a later one.
  void header() {
    std::string version = doc_.header_version();
    auto need = [&](const std::string& v) {
      if (version.empty() || version < v) version = v;
    };
    if (version.empty()) version = "1.4";
    if (has_objstm_) need("1.5");
    if (opt_.encrypt) need(opt_.encrypt->min_version());
    version_ = version;
    out_.write("%PDF-" + version + "\n%\xe2\xe3\xcf\xd3\n");
  }

  void tick(std::uint64_t n) {
    done_bytes_ += n;
    if (opt_.progress && done_bytes_ - last_tick_ >= (8u << 20)) {
      last_tick_ = done_bytes_;
      opt_.progress(std::min(done_bytes_, doc_.source().size()), doc_.source().size());
    }
  }

  void object(std::uint32_t num) {
    // Loading an object may repair the document's table (a damaged file): then an object
    // listed before may be gone, and the rewrite cannot go on consistently.
    auto found = doc_.xref().find(num);
    if (found == doc_.xref().end())
      fail(Errc::bad_format, "PDF: object " + std::to_string(num) +
                                 " vanished when the damaged cross-reference table was rebuilt");
    const XrefEntry xe = found->second;
    if (xe.type == 2) {
      written_[num] = xe;
      max_num_ = std::max(max_num_, num);
      return;
    }
    if (encrypt_ref_ && encrypt_ref_->num == num) return;
    IndirectObject io = doc_.load(num);
    Dict* d = io.value.as_dict();
    if (d && io.is_stream && d->get("Type") && d->get("Type")->is_name("XRef")) return;
    if (d && !io.is_stream && d->get("Linearized")) return;
    ++st_.objects;
    max_num_ = std::max(max_num_, num);  // dropped objects (old /Encrypt, xref streams) don't count
    if (d && !io.is_stream && root_ && root_->num == num) declare_extension(*d);

    Pending p(num, io.ref.gen);
    StringCrypt{opt_, io.ref}.apply(io.value, 0);  // stream dictionaries' strings too
    if (!io.is_stream) {
      serialize(io.value, p.text);
      p.text += "\nendobj\n";
      // With no stream in flight there is nothing to keep in order behind: write it now.
      if (batch_.empty() && ready_.objects.empty()) return begin_object(p);
      return queue(std::move(p));
    }
    ++st_.streams;
    p.dm = opt_.decrypt ? opt_.decrypt->method_for_stream(*d) : CryptMethod::identity;
    if (opt_.decrypt) drop_crypt_filter(*d);
    p.em = opt_.encrypt ? opt_.encrypt->method_for_stream(*d) : CryptMethod::identity;
    if (p.dm != CryptMethod::identity) p.dkey = opt_.decrypt->object_key(io.ref, p.dm);
    if (p.em != CryptMethod::identity) p.ekey = opt_.encrypt->object_key(io.ref, p.em);
    if (p.dm == CryptMethod::cbc4k || p.em == CryptMethod::cbc4k) {
      drain();
      return framed_stream(std::move(p), io);
    }
    p.mid_len = io.stream.data_length;
    if (p.dm == CryptMethod::aesv2 || p.dm == CryptMethod::aesv3)
      p.mid_len = aes_plain_length(doc_, io, p.dkey, be_);
    p.out_len = p.mid_len;
    if (p.em == CryptMethod::aesv2 || p.em == CryptMethod::aesv3)
      p.out_len = 16 + (p.mid_len / 16 + 1) * 16;
    d->set("Length", make_int(static_cast<std::int64_t>(p.out_len)));
    serialize(io.value, p.text);
    p.text += "\nstream\n";
    const std::uint64_t in_len = io.stream.data_length;
    p.stream = std::move(io);
    if (in_len > opt_.chunk_threshold || in_len > kMaxBatchedStream) {
      drain();
      return chunked_stream(std::move(p));
    }
    queued_bytes_ += in_len;
    queue(std::move(p));
  }

  // Acrobat's /Extensions entry for AES-256 in a 1.7 file (qpdf writes it too); a higher level
  // already declared is kept, and an indirect /Extensions is left alone.
  void declare_extension(Dict& catalog) const {
    const int level = opt_.encrypt ? opt_.encrypt->adbe_extension_level() : 0;
    if (level == 0 || version_ >= "2.0") return;
    Object* ext = catalog.get("Extensions");
    if (ext && !ext->as_dict()) return;
    if (!ext) {
      catalog.set("Extensions", Object{Dict{}});
      ext = catalog.get("Extensions");
    }
    const Object* adbe = ext->as_dict()->get("ADBE");
    const Object* have = adbe && adbe->as_dict() ? adbe->as_dict()->get("ExtensionLevel") : nullptr;
    if (have && have->as_int() && *have->as_int() >= level) return;
    Dict a;
    a.set("BaseVersion", make_name("1.7"));
    a.set("ExtensionLevel", make_int(level));
    ext->as_dict()->set("ADBE", Object{std::move(a)});
  }

  void queue(Pending p) {
    batch_.push_back(std::move(p));
    if (batch_.size() >= kBatchObjects || queued_bytes_ >= kBatchBytes) flush();
  }

  // A batch whose stream data has been transformed, waiting to be written; its bytes live in
  // one of two slot sets, so the next batch can be transformed while it is written.
  struct Ready {
    std::vector<Pending> objects;
    std::vector<std::span<std::uint8_t>> data;  // of its streams, in order
    std::vector<Slot>* slots = nullptr;
  };

  // Transforms the queued batch on the pool while the calling thread writes the previous one
  // (the sink, the offsets and the progress callback stay on the calling thread).
  void flush() {
    std::vector<Pending*> jobs;
    for (Pending& p : batch_)
      if (p.stream) jobs.push_back(&p);
    std::vector<Slot>& slots = slot_sets_[next_set_];
    next_set_ ^= 1;
    if (slots.size() < jobs.size()) slots.resize(jobs.size());
    Ready now{std::move(batch_), std::vector<std::span<std::uint8_t>>(jobs.size()), &slots};
    batch_.clear();
    queued_bytes_ = 0;
    auto transform = [&] {
      crypto::parallel_for(jobs.size(), [&](std::size_t i) {
        const Pending& p = *jobs[i];
        now.data[i] =
            transform_whole(doc_, *p.stream, p.dm, p.dkey, p.em, p.ekey, p.mid_len, be_, slots[i]);
      });
      std::vector<std::pair<const crypto::SecureBytes*, std::span<std::uint8_t>>> aes;
      for (std::size_t i = 0; i < jobs.size(); ++i)
        if (is_aes(jobs[i]->em)) aes.emplace_back(&jobs[i]->ekey, now.data[i]);
      encrypt_aes(aes, be_);
    };
    if (ready_.objects.empty() || jobs.empty()) {
      write_ready();
      transform();
    } else {
      auto helper = std::async(std::launch::async, transform);
      try {
        write_ready();
      } catch (...) {
        helper.wait();
        throw;
      }
      helper.get();
    }
    ready_ = std::move(now);
  }

  // Everything queued, transformed and written: before anything is written directly.
  void drain() {
    flush();
    write_ready();
  }

  void write_ready() {
    std::size_t next = 0;
    for (const Pending& p : ready_.objects) {
      begin_object(p);
      if (!p.stream) continue;
      Slot& slot = (*ready_.slots)[next];
      const std::span<std::uint8_t> data = ready_.data[next++];
      const std::string_view bytes(reinterpret_cast<const char*>(data.data()), data.size());
      if (bytes.size() != p.out_len) fail(Errc::internal, "PDF writer: stream length mismatch");
      out_.write(bytes);
      // Decrypted output stays plaintext in the buffer; encryption overwrote it in place.
      if (p.em == CryptMethod::identity && p.dm != CryptMethod::identity)
        slot.wipe(static_cast<std::size_t>(p.stream->stream.data_length) + 32);
      out_.write("\nendstream\nendobj\n");
      tick(p.stream->stream.data_length);
    }
    ready_ = Ready{};
  }

  void begin_object(const Pending& p) {
    written_[p.num] = XrefEntry{1, p.gen, out_.offset(), 0};
    out_.write(p.text);
  }

  // A stream too large for a batch, in chunks through reused buffers.
  void chunked_stream(Pending p) {
    begin_object(p);
    pipe_stream(
        doc_, *p.stream, p.dm, p.dkey, p.em, p.ekey, p.mid_len, be_, out_,
        [this](std::uint64_t n) { tick(n); }, scratch_, carry_);
    out_.write("\nendstream\nendobj\n");
  }

  // The license handler frames each stream with its length. One-way transforms of large
  // streams go through its streaming form; anything else is transformed whole, in memory.
  void framed_stream(Pending p, IndirectObject& io) {
    Dict* d = io.value.as_dict();
    const std::uint64_t in_len = io.stream.data_length;
    auto emit = [this](ByteView b) {
      out_.write(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    };
    std::unique_ptr<SecurityHandler::StreamTransform> t;
    const bool large = in_len > std::max<std::size_t>(opt_.chunk_threshold, kMinStreamed);
    if (large && p.dm == CryptMethod::identity) {
      t = opt_.encrypt->stream_encryptor(p.em, io.ref, in_len, emit);
    } else if (large && p.em == CryptMethod::identity) {
      std::uint8_t head[4096];
      const std::size_t hn = static_cast<std::size_t>(std::min<std::uint64_t>(in_len, 4096));
      doc_.read_raw(io.stream.data_offset, MutableByteView(head, hn));
      t = opt_.decrypt->stream_decryptor(p.dm, io.ref, ByteView(head, hn), in_len, emit);
    }
    if (t) {
      d->set("Length", make_int(static_cast<std::int64_t>(t->output_size())));
      serialize(io.value, p.text);
      p.text += "\nstream\n";
      begin_object(p);
      const std::uint64_t before = out_.offset();
      scratch_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, in_len)));
      for (std::uint64_t pos = 0; pos < in_len;) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(scratch_.size(), in_len - pos));
        auto* b = reinterpret_cast<std::uint8_t*>(scratch_.data());
        doc_.read_raw(io.stream.data_offset + pos, MutableByteView(b, n));
        t->update(ByteView(b, n));
        pos += n;
        tick(n);
      }
      t->finish();
      crypto::secure_wipe(scratch_.data(), scratch_.size());
      if (out_.offset() - before != t->output_size())
        fail(Errc::internal, "PDF writer: stream length mismatch");
    } else {
      std::string data = doc_.read_stream_raw(io, kMaxWholeStream);
      if (p.dm != CryptMethod::identity)
        data = opt_.decrypt->decrypt(p.dm, io.ref, std::move(data));
      if (p.em != CryptMethod::identity) data = opt_.encrypt->encrypt(p.em, io.ref, data);
      d->set("Length", make_int(static_cast<std::int64_t>(data.size())));
      serialize(io.value, p.text);
      p.text += "\nstream\n";
      begin_object(p);
      out_.write(data);
      crypto::secure_wipe(data.data(), data.size());
      tick(in_len);
    }
    out_.write("\nendstream\nendobj\n");
  }

  std::optional<Ref> encryption_dict() {
    if (!opt_.encrypt) return std::nullopt;
    const Ref r{++max_num_, 0};
    Pending p(r.num, 0);
    serialize(Object{opt_.encrypt->to_dict()}, p.text);
    p.text += "\nendobj\n";
    begin_object(p);
    return r;
  }

  Dict new_trailer(const std::optional<Ref>& encrypt) const {
    const Dict& trailer = doc_.trailer();
    Dict nt;
    if (const Object* r = trailer.get("Root")) nt.set("Root", *r);
    if (const Object* i = trailer.get("Info"); i && i->as_ref()) nt.set("Info", *i);
    if (!opt_.id0.empty() || !opt_.id1.empty()) {
      Array id;
      id.push_back(make_string(opt_.id0, true));
      id.push_back(make_string(opt_.id1.empty() ? opt_.id0 : opt_.id1, true));
      nt.set("ID", Object{std::move(id)});
    }
    if (encrypt) nt.set("Encrypt", make_ref(*encrypt));
    // Other trailer keys (private data some producers keep there) are carried over, as qpdf
    // does; trailer strings are never encrypted.
    for (const auto& [k, v] : trailer.entries()) {
      static const char* const kDrop[] = {
          "Size",  "Prev",   "XRefStm",     "Encrypt", "ID", "Root", "Info",    "Type",        "W",
          "Index", "Filter", "DecodeParms", "Length",  "DL", "F",    "FFilter", "FDecodeParms"};
      if (std::find(std::begin(kDrop), std::end(kDrop), k) != std::end(kDrop)) continue;
      if (v.as_ref()) continue;  // an indirect value might be an object we dropped
      nt.set(k, v);
    }
    return nt;
  }

  void xref_table(Dict nt) {
    const std::uint64_t xref_at = out_.offset();
    out_.write("xref\n");
    std::string table;
    table.reserve(20 * 4096);
    char line[24];
    for (auto [first, count] : xref_runs(written_)) {
      table += std::to_string(first) + " " + std::to_string(count) + "\n";
      for (std::uint32_t n = first; n < first + count; ++n) {
        auto it = written_.find(n);
        if (it != written_.end()) {
          std::snprintf(line, sizeof line, "%010llu %05u n\r\n",
                        static_cast<unsigned long long>(it->second.offset), it->second.gen);
        } else {
          std::snprintf(line, sizeof line, "0000000000 %05u f\r\n", n == 0 ? 65535u : 0u);
        }
        table.append(line, 20);
        if (table.size() >= 20 * 4096) {
          out_.write(table);
          table.clear();
        }
      }
    }
    out_.write(table);
    nt.set("Size", make_int(max_num_ + 1));
    std::string text = "trailer\n";
    serialize(Object{std::move(nt)}, text);
    text += "\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n";
    out_.write(text);
  }

  void xref_stream(Dict nt) {
    const std::uint32_t xnum = max_num_ + 1;
    const std::uint64_t xref_at = out_.offset();
    written_[xnum] = XrefEntry{1, 0, xref_at, 0};
    std::uint64_t max1 = 0, max2 = 65535;
    for (const auto& [n, e] : written_) {
      max1 = std::max(max1, e.offset);
      max2 = std::max<std::uint64_t>(max2, e.type == 2 ? e.index : e.gen);
    }
    const std::size_t w1 = bytes_for(max1), w2 = bytes_for(max2);
    std::string rows;
    const auto runs = xref_runs(written_);
    Array index;
    for (auto [first, count] : runs) {
      index.push_back(make_int(first));
      index.push_back(make_int(count));
    }
    auto put = [&](std::uint64_t v, std::size_t w) {
      for (std::size_t k = w; k-- > 0;) rows.push_back(static_cast<char>(v >> (8 * k)));
    };
    for (auto [first, count] : runs)
      for (std::uint32_t n = first; n < first + count; ++n) {
        auto it = written_.find(n);
        const XrefEntry e = it == written_.end() ? XrefEntry{0, 0, 0, 0} : it->second;
        put(e.type, 1);
        put(e.type == 0 ? 0 : e.offset, w1);
        put(e.type == 0 ? (n == 0 ? 65535 : 0) : e.type == 2 ? e.index : e.gen, w2);
      }
    std::string z = flate_encode(rows);
    nt.set("Type", make_name("XRef"));
    nt.set("Size", make_int(xnum + 1));
    nt.set("Index", Object{std::move(index)});
    Array w;
    w.push_back(make_int(1));
    w.push_back(make_int(static_cast<std::int64_t>(w1)));
    w.push_back(make_int(static_cast<std::int64_t>(w2)));
    nt.set("W", Object{std::move(w)});
    nt.set("Filter", make_name("FlateDecode"));
    nt.set("Length", make_int(static_cast<std::int64_t>(z.size())));
    std::string text = std::to_string(xnum) + " 0 obj\n";
    serialize(Object{std::move(nt)}, text);
    text += "\nstream\n";
    out_.write(text);
    out_.write(z);
    out_.write("\nendstream\nendobj\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n");
  }

  Document& doc_;
  const RewriteOptions& opt_;
  Out out_;
  const crypto::Backend& be_;
  std::optional<Ref> encrypt_ref_, root_;
  std::string version_;  // of the output
  bool has_objstm_ = false;
  RewriteStats st_;
  std::map<std::uint32_t, XrefEntry> written_;
  std::uint32_t max_num_ = 0;
  std::uint64_t done_bytes_ = 0, last_tick_ = 0, queued_bytes_ = 0;
  std::vector<Pending> batch_;
  Ready ready_;
  // Stream buffers by job, two sets used in turn, kept between batches.
  std::vector<Slot> slot_sets_[2];
  int next_set_ = 0;
  std::string scratch_, carry_;  // reused: no fresh (page-faulting) buffers per chunked stream
};

}  // namespace

RewriteStats rewrite(Document& doc, ByteSink& sink, const RewriteOptions& opt) {
  return Rewriter(doc, sink, opt).run();
}

}  // namespace openrms::formats::pdf
