#include "writer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "filters.hpp"
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
    if (buf_.size() + s.size() > (1u << 20)) flush();
    if (s.size() >= (1u << 20)) {
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
void pipe_stream(Document& doc, const IndirectObject& s, CryptMethod dm,
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

RewriteStats rewrite(Document& doc, ByteSink& sink, const RewriteOptions& opt) {
  const crypto::Backend& be = crypto::default_backend();
  RewriteStats st;
  Out out(sink);
  const Dict& trailer = doc.trailer();
  std::optional<Ref> encrypt_ref;
  if (const Object* e = trailer.get("Encrypt"); e && e->as_ref()) encrypt_ref = *e->as_ref();

  std::vector<std::uint32_t> nums = doc.object_numbers();
  bool has_objstm = false;
  for (std::uint32_t n : nums)
    if (doc.xref().find(n)->second.type == 2) has_objstm = true;

  // Header: keep the input's version unless a feature we write needs a later one.
  std::string version = doc.header_version();
  auto need = [&](const char* v) {
    if (version.empty() || version < v) version = v;
  };
  if (version.empty()) version = "1.4";
  if (has_objstm) need("1.5");
  std::string enc_version = opt.encrypt ? opt.encrypt->min_version() : std::string();
  if (!enc_version.empty()) need(enc_version.c_str());
  out.write("%PDF-" + version + "\n%\xe2\xe3\xcf\xd3\n");

  std::map<std::uint32_t, XrefEntry> written;
  std::uint32_t max_num = 0;
  std::uint64_t done_bytes = 0, last_tick = 0;
  const std::uint64_t total = doc.source().size();
  auto tick = [&](std::uint64_t n) {
    done_bytes += n;
    if (opt.progress && done_bytes - last_tick >= (8u << 20)) {
      last_tick = done_bytes;
      opt.progress(std::min(done_bytes, total), total);
    }
  };

  std::string text, scratch, carry;  // reused: no fresh (page-faulting) buffers per stream
  for (std::uint32_t num : nums) {
    // Loading an object may repair the document's table (a damaged file): then an object
    // listed before may be gone, and the rewrite cannot go on consistently.
    auto found = doc.xref().find(num);
    if (found == doc.xref().end())
      fail(Errc::bad_format, "PDF: object " + std::to_string(num) +
                                 " vanished when the damaged cross-reference table was rebuilt");
    const XrefEntry xe = found->second;
    if (xe.type == 2) {
      written[num] = xe;
      max_num = std::max(max_num, num);
      continue;
    }
    if (encrypt_ref && encrypt_ref->num == num) continue;
    IndirectObject io = doc.load(num);
    Dict* d = io.value.as_dict();
    if (d && io.is_stream) {
      const Object* t = d->get("Type");
      if (t && t->is_name("XRef")) continue;
    }
    if (d && !io.is_stream && d->get("Linearized")) continue;
    ++st.objects;
    XrefEntry e;
    e.type = 1;
    e.gen = io.ref.gen;
    e.offset = out.offset();
    written[num] = e;
    max_num = std::max(max_num, num);  // dropped objects (old /Encrypt, xref streams) don't count

    text.clear();
    text += std::to_string(num);
    text.push_back(' ');
    text += std::to_string(io.ref.gen);
    text += " obj\n";
    if (!io.is_stream) {
      StringCrypt{opt, io.ref}.apply(io.value, 0);
      serialize(io.value, text);
      text += "\nendobj\n";
      out.write(text);
      continue;
    }
    ++st.streams;
    // Strings inside the stream dictionary are encrypted like any others.
    StringCrypt{opt, io.ref}.apply(io.value, 0);
    CryptMethod dm = opt.decrypt ? opt.decrypt->method_for_stream(*d) : CryptMethod::identity;
    if (opt.decrypt) drop_crypt_filter(*d);
    CryptMethod em = opt.encrypt ? opt.encrypt->method_for_stream(*d) : CryptMethod::identity;
    crypto::SecureBytes dkey, ekey;
    if (dm != CryptMethod::identity) dkey = opt.decrypt->object_key(io.ref, dm);
    if (em != CryptMethod::identity) ekey = opt.encrypt->object_key(io.ref, em);
    const std::uint64_t in_len = io.stream.data_length;
    if (dm == CryptMethod::cbc4k || em == CryptMethod::cbc4k) {
      // The license handler frames each stream with its length. One-way transforms of large
      // streams go through its streaming form; anything else is transformed whole, in memory.
      auto emit = [&out](ByteView b) {
        out.write(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
      };
      std::unique_ptr<SecurityHandler::StreamTransform> t;
      const bool large = in_len > std::max<std::size_t>(opt.chunk_threshold, kMinStreamed);
      if (large && dm == CryptMethod::identity) {
        t = opt.encrypt->stream_encryptor(em, io.ref, in_len, emit);
      } else if (large && em == CryptMethod::identity) {
        std::uint8_t head[4096];
        const std::size_t hn = static_cast<std::size_t>(std::min<std::uint64_t>(in_len, 4096));
        doc.read_raw(io.stream.data_offset, MutableByteView(head, hn));
        t = opt.decrypt->stream_decryptor(dm, io.ref, ByteView(head, hn), in_len, emit);
      }
      if (t) {
        d->set("Length", make_int(static_cast<std::int64_t>(t->output_size())));
        serialize(io.value, text);
        text += "\nstream\n";
        out.write(text);
        const std::uint64_t before = out.offset();
        scratch.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, in_len)));
        for (std::uint64_t pos = 0; pos < in_len;) {
          const std::size_t n =
              static_cast<std::size_t>(std::min<std::uint64_t>(scratch.size(), in_len - pos));
          auto* b = reinterpret_cast<std::uint8_t*>(scratch.data());
          doc.read_raw(io.stream.data_offset + pos, MutableByteView(b, n));
          t->update(ByteView(b, n));
          pos += n;
          tick(n);
        }
        t->finish();
        crypto::secure_wipe(scratch.data(), scratch.size());
        if (out.offset() - before != t->output_size())
          fail(Errc::internal, "PDF writer: stream length mismatch");
        out.write("\nendstream\nendobj\n");
        continue;
      }
      std::string data = doc.read_stream_raw(io, kMaxWholeStream);
      if (dm != CryptMethod::identity) data = opt.decrypt->decrypt(dm, io.ref, std::move(data));
      if (em != CryptMethod::identity) data = opt.encrypt->encrypt(em, io.ref, data);
      d->set("Length", make_int(static_cast<std::int64_t>(data.size())));
      serialize(io.value, text);
      text += "\nstream\n";
      out.write(text);
      out.write(data);
      crypto::secure_wipe(data.data(), data.size());
      tick(in_len);
      out.write("\nendstream\nendobj\n");
      continue;
    }
    std::uint64_t mid_len = in_len;
    if (dm == CryptMethod::aesv2 || dm == CryptMethod::aesv3)
      mid_len = aes_plain_length(doc, io, dkey, be);
    std::uint64_t out_len = mid_len;
    if (em == CryptMethod::aesv2 || em == CryptMethod::aesv3)
      out_len = 16 + (mid_len / 16 + 1) * 16;
    d->set("Length", make_int(static_cast<std::int64_t>(out_len)));
    serialize(io.value, text);
    text += "\nstream\n";
    out.write(text);
    if (in_len <= opt.chunk_threshold && opt.chunk_threshold > 0) {
      std::string data = doc.read_stream_raw(io, opt.chunk_threshold);
      if (dm != CryptMethod::identity) data = opt.decrypt->decrypt(dm, io.ref, std::move(data));
      if (em != CryptMethod::identity) data = opt.encrypt->encrypt(em, io.ref, data);
      if (data.size() != out_len) fail(Errc::internal, "PDF writer: stream length mismatch");
      out.write(data);
      tick(in_len);
    } else {
      pipe_stream(doc, io, dm, dkey, em, ekey, mid_len, be, out, tick, scratch, carry);
    }
    out.write("\nendstream\nendobj\n");
  }

  // The new /Encrypt dictionary.
  std::optional<Ref> new_encrypt;
  if (opt.encrypt) {
    new_encrypt = Ref{max_num + 1, 0};
    max_num += 1;
    XrefEntry e;
    e.type = 1;
    e.offset = out.offset();
    written[new_encrypt->num] = e;
    text = std::to_string(new_encrypt->num) + " 0 obj\n";
    serialize(Object{opt.encrypt->to_dict()}, text);
    text += "\nendobj\n";
    out.write(text);
  }

  Dict nt;
  if (const Object* r = trailer.get("Root")) nt.set("Root", *r);
  if (const Object* i = trailer.get("Info"); i && i->as_ref()) nt.set("Info", *i);
  if (!opt.id0.empty() || !opt.id1.empty()) {
    Array id;
    id.push_back(make_string(opt.id0, true));
    id.push_back(make_string(opt.id1.empty() ? opt.id0 : opt.id1, true));
    nt.set("ID", Object{std::move(id)});
  }
  if (new_encrypt) nt.set("Encrypt", make_ref(*new_encrypt));
  // Other trailer keys (private data some producers keep there) are carried over, as qpdf does;
  // trailer strings are never encrypted.
  for (const auto& [k, v] : trailer.entries()) {
    static const char* const kDrop[] = {
        "Size",  "Prev",   "XRefStm",     "Encrypt", "ID", "Root", "Info",    "Type",        "W",
        "Index", "Filter", "DecodeParms", "Length",  "DL", "F",    "FFilter", "FDecodeParms"};
    if (std::find(std::begin(kDrop), std::end(kDrop), k) != std::end(kDrop)) continue;
    if (v.as_ref()) continue;  // an indirect value might be an object we dropped
    nt.set(k, v);
  }

  if (!has_objstm) {
    const std::uint64_t xref_at = out.offset();
    const std::uint32_t size = max_num + 1;
    out.write("xref\n");
    std::string table;
    table.reserve(20 * 4096);
    char line[24];
    for (auto [first, count] : xref_runs(written)) {
      table += std::to_string(first) + " " + std::to_string(count) + "\n";
      for (std::uint32_t n = first; n < first + count; ++n) {
        auto it = written.find(n);
        if (it != written.end()) {
          std::snprintf(line, sizeof line, "%010llu %05u n\r\n",
                        static_cast<unsigned long long>(it->second.offset), it->second.gen);
        } else {
          std::snprintf(line, sizeof line, "0000000000 %05u f\r\n", n == 0 ? 65535u : 0u);
        }
        table.append(line, 20);
        if (table.size() >= 20 * 4096) {
          out.write(table);
          table.clear();
        }
      }
    }
    out.write(table);
    nt.set("Size", make_int(size));
    text = "trailer\n";
    serialize(Object{std::move(nt)}, text);
    text += "\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n";
    out.write(text);
  } else {
    const std::uint32_t xnum = max_num + 1;
    const std::uint32_t size = xnum + 1;
    const std::uint64_t xref_at = out.offset();
    written[xnum] = XrefEntry{1, 0, xref_at, 0};
    std::uint64_t max1 = 0, max2 = 65535;
    for (const auto& [n, e] : written) {
      max1 = std::max(max1, e.offset);
      max2 = std::max<std::uint64_t>(max2, e.type == 2 ? e.index : e.gen);
    }
    const std::size_t w1 = bytes_for(max1), w2 = bytes_for(max2);
    std::string rows;
    const auto runs = xref_runs(written);
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
        auto it = written.find(n);
        if (it == written.end()) {
          put(0, 1);
          put(0, w1);
          put(n == 0 ? 65535 : 0, w2);
        } else if (it->second.type == 2) {
          put(2, 1);
          put(it->second.offset, w1);
          put(it->second.index, w2);
        } else {
          put(1, 1);
          put(it->second.offset, w1);
          put(it->second.gen, w2);
        }
      }
    std::string z = flate_encode(rows);
    nt.set("Type", make_name("XRef"));
    nt.set("Size", make_int(size));
    nt.set("Index", Object{std::move(index)});
    Array w;
    w.push_back(make_int(1));
    w.push_back(make_int(static_cast<std::int64_t>(w1)));
    w.push_back(make_int(static_cast<std::int64_t>(w2)));
    nt.set("W", Object{std::move(w)});
    nt.set("Filter", make_name("FlateDecode"));
    nt.set("Length", make_int(static_cast<std::int64_t>(z.size())));
    text = std::to_string(xnum) + " 0 obj\n";
    serialize(Object{std::move(nt)}, text);
    text += "\nstream\n";
    out.write(text);
    out.write(z);
    out.write("\nendstream\nendobj\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n");
  }
  out.flush();
  st.bytes = out.offset();
  if (opt.progress) opt.progress(total, total);
  return st;
}

}  // namespace openrms::formats::pdf
