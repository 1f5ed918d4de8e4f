#include "openrms/protect/protect.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "openrms/error.hpp"
#include "openrms/text.hpp"

namespace openrms::protect {

namespace fs = std::filesystem;
using crypto::ByteView;
using crypto::MutableByteView;
using licensing::Right;

// Never the input; an existing file only when the caller says so.
void check_output_path(const fs::path& in, const fs::path& out, bool overwrite) {
  std::error_code ec;
  if (fs::equivalent(in, out, ec))
    fail(Errc::invalid_argument,
         "the output " + out.string() + " is the input: choose another output file");
  if (!overwrite && fs::exists(out, ec))
    fail(Errc::invalid_argument, out.string() + " exists; use --force to overwrite it");
}

fs::path default_output_name(const fs::path& in, Container c) {
  fs::path out = in;
  out.replace_filename(formats::writer_for(c)->output_name(in.filename().string()));
  return out;
}

// ---- Protection ----------------------------------------------------------------------------

Protection Protection::with_policy(licensing::Policy p) {
  Protection r;
  r.kind = Kind::policy;
  r.policy = std::move(p);
  return r;
}
Protection Protection::with_template(std::string id) {
  Protection r;
  r.kind = Kind::template_id;
  r.template_id = std::move(id);
  return r;
}
Protection Protection::do_not_forward(std::vector<std::string> recipients) {
  Protection r;
  r.kind = Kind::do_not_forward;
  r.recipients = std::move(recipients);
  return r;
}
Protection Protection::encrypt_only() {
  return Protection{};
}

std::optional<licensing::Policy> Protection::policy_for(const std::string& issuer) const {
  switch (kind) {
    case Kind::policy:
      return policy;
    case Kind::template_id:
      return std::nullopt;
    case Kind::do_not_forward:
      return licensing::do_not_forward_policy(issuer, recipients);
    case Kind::encrypt_only:
      return licensing::encrypt_only_policy();
  }
  return std::nullopt;
}

std::string Protection::describe() const {
  switch (kind) {
    case Kind::policy:
      return "an ad-hoc policy (" + std::to_string(policy.grants.size()) + " grants)";
    case Kind::template_id:
      return "template " + template_id;
    case Kind::do_not_forward:
      return "Do Not Forward (" + std::to_string(recipients.size()) + " recipients)";
    case Kind::encrypt_only:
      return "Encrypt-Only";
  }
  return "?";
}

// ---- loading a protected file ----------------------------------------------------------------

namespace {

struct Loaded {
  Container container = Container::none;
  std::unique_ptr<ByteSource> src;
  std::unique_ptr<formats::ContainerReader> reader;  // parsed once, from src
  licensing::PublishingLicense pl;
  Inspection info;
};

// `src` must not be null. Opens the container once and verifies its license.
Loaded load_source(std::unique_ptr<ByteSource> src, LicenseSource& source,
                   const formats::ContainerOptions& copt) {
  Loaded l;
  l.src = std::move(src);
  l.reader = formats::open_container(*l.src, copt);
  l.container = l.reader->kind();
  l.pl = licensing::parse_publishing_license(l.reader->license(), source.anchors(), copt.backend());
  Inspection& x = l.info;
  x.container = l.container;
  x.original_extension = l.reader->original_extension();
  x.size = l.reader->size();
  x.integrity = l.reader->integrity();
  x.content_id = l.pl.content_id;
  x.issuer = l.pl.issuer;
  x.owner = l.pl.owner;
  x.template_id = l.pl.template_id;
  x.template_name = l.pl.template_name;
  x.license_url = l.pl.license_url;
  x.license_hash = l.pl.hash;
  x.issued_at = l.pl.issued_at;
  x.published_offline = l.pl.clc.has_value();
  return l;
}

Loaded load_file(const fs::path& in, LicenseSource& source, const formats::ContainerOptions& copt) {
  auto src = std::make_unique<formats::FileSource>(in);
  try {
    return load_source(std::move(src), source, copt);
  } catch (const Error& e) {
    if (e.code() != Errc::bad_format) throw;
    fail(Errc::bad_format, in.string() + ": " + e.what());
  }
}

}  // namespace

Inspection inspect_file(const fs::path& in, LicenseSource& source, const crypto::Backend& be) {
  formats::ContainerOptions copt;
  copt.segments.backend = &be;
  return load_file(in, source, copt).info;
}

struct Client::Impl {
  LicenseSource& source;
  User user;
  ClientOptions opt;
  const licensing::Clock& clock;
  const crypto::Backend& be;
  licensing::Certificate rac;

  Impl(LicenseSource& s, User u, ClientOptions o)
      : source(s),
        user(std::move(u)),
        opt(std::move(o)),
        clock(opt.clock ? *opt.clock : licensing::system_clock()),
        be(opt.segments.backend ? *opt.segments.backend : crypto::default_backend()),
        rac(licensing::parse_certificate(user.rac_xml, s.anchors(), be)) {
    if (rac.type != licensing::CertificateType::rac)
      fail(Errc::invalid_argument, "the user's certificate is not a RAC");
    if (rac.subject != ascii_lower(user.identity.email))
      fail(Errc::invalid_argument,
           "the RAC belongs to " + rac.subject + ", not to " + user.identity.email);
  }

  formats::ContainerOptions container_options() const {
    formats::ContainerOptions c;
    c.segments = opt.segments;
    c.segments.backend = &be;
    c.progress = opt.progress;
    return c;
  }
  Loaded load(const fs::path& in) const { return load_file(in, source, container_options()); }

  // Where the rights come from: owner license (issuer, offline), cached use license, or a new
  // one from the source.
  licensing::Decision decide(const licensing::PublishingLicense& pl, bool& from_cache) const {
    from_cache = false;
    const std::string& email = rac.subject;
    if (!pl.owner_key_id.empty() && pl.owner_key_id == rac.key_id() && pl.issuer == email)
      return licensing::open_as_issuer(pl, rac, user.key, clock, be);
    if (opt.cache) {
      if (auto cached = opt.cache->get(email, pl.hash)) {
        try {
          auto ul = licensing::parse_use_license(*cached, source.anchors(), be);
          if (ul.publishing_license == pl.hash && ul.content_id == pl.content_id) {
            auto d = licensing::evaluate(ul, rac, user.key, clock, be);
            from_cache = true;
            return d;
          }
        } catch (const Error& e) {
          // content expired or RAC lapsed: the server would say the same (or needs a renewal)
          if (e.code() == Errc::expired || e.code() == Errc::rac_expired) throw;
        }
        opt.cache->erase(email, pl.hash);  // stale, for another key, or damaged: re-acquire
      }
    }
    if (!rac.valid_at(clock.now()))
      fail(Errc::rac_expired, "your Rights Account Certificate expired on " +
                                  licensing::format_time(rac.valid_until) +
                                  ": renew it (openrms user renew)");
    std::string xml = source.acquire(user.identity, pl.xml, user.rac_xml);
    auto ul = licensing::parse_use_license(xml, source.anchors(), be);
    if (ul.publishing_license != pl.hash || ul.content_id != pl.content_id)
      fail(Errc::integrity, "the license source returned a use license for other content");
    auto d = licensing::evaluate(ul, rac, user.key, clock, be);
    if (opt.cache && d.cacheable) opt.cache->put(email, pl.hash, xml);
    return d;
  }

  // `discarded_on_failure`: the output is thrown away unless this returns (a temp file renamed
  // afterwards, a wiped buffer), so a whole-file integrity check may overlap the decryption.
  std::uint64_t decrypt(const Loaded& l, ByteView key, ByteSink& out,
                        bool discarded_on_failure = false) const {
    return l.reader->decrypt(out, formats::ContentKey(key), discarded_on_failure);
  }
};

struct Document::Impl {
  const Client::Impl* client;
  Loaded loaded;
  licensing::Decision decision;
  bool from_cache = false;
  mutable std::unique_ptr<formats::RandomAccess> random;  // made by the first read_at()
};

Document::Document(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

const licensing::Decision& Document::decision() const noexcept {
  return impl_->decision;
}
const Inspection& Document::info() const noexcept {
  return impl_->loaded.info;
}
bool Document::from_cache() const noexcept {
  return impl_->from_cache;
}

std::uint64_t Document::read(ByteSink& out) const {
  if (!can(Right::view)) fail(Errc::no_right, "you do not have the VIEW right on this content");
  return impl_->client->decrypt(impl_->loaded, impl_->decision.content_key, out);
}

std::size_t Document::read_at(std::uint64_t offset, crypto::MutableByteView out) const {
  if (!can(Right::view)) fail(Errc::no_right, "you do not have the VIEW right on this content");
  if (!impl_->random)
    impl_->random =
        impl_->loaded.reader->random_access(formats::ContentKey(impl_->decision.content_key));
  return impl_->random->read_at(offset, out);
}

crypto::SecureBytes Document::read_all(std::uint64_t max_bytes) const {
  if (info().size && *info().size > max_bytes)
    fail(Errc::invalid_argument, "the content is larger than the limit given to read_all");
  struct Capped final : ByteSink {
    crypto::SecureBytes& b;
    std::uint64_t max;
    Capped(crypto::SecureBytes& x, std::uint64_t m) : b(x), max(m) {}
    void write(ByteView d) override {
      if (b.size() + d.size() > max)
        fail(Errc::invalid_argument, "the content is larger than the limit given to read_all");
      b.insert(b.end(), d.begin(), d.end());
    }
  };
  if (!can(Right::view)) fail(Errc::no_right, "you do not have the VIEW right on this content");
  crypto::SecureBytes out;  // wiped and dropped if anything fails
  Capped sink(out, max_bytes);
  impl_->client->decrypt(impl_->loaded, impl_->decision.content_key, sink, true);
  return out;
}

std::uint64_t Document::export_to(const fs::path& out) const {
  if (!can(Right::export_))
    fail(Errc::no_right,
         "removing protection needs the EXPORT (Save As, Export) or OWNER (Full Control) right, "
         "which you do not have on this content");
  formats::AtomicFileSink sink(out, impl_->client->opt.durable);
  std::uint64_t n = impl_->client->decrypt(impl_->loaded, impl_->decision.content_key, sink, true);
  sink.commit();
  return n;
}

// ---- Client --------------------------------------------------------------------------------

Client::Client(LicenseSource& source, User user, ClientOptions options)
    : impl_(std::make_unique<Impl>(source, std::move(user), std::move(options))) {}
Client::~Client() = default;

const User& Client::user() const noexcept {
  return impl_->user;
}

Document Client::open(const fs::path& in) {
  auto d = std::make_unique<Document::Impl>();
  d->client = impl_.get();
  d->loaded = impl_->load(in);
  d->decision = impl_->decide(d->loaded.pl, d->from_cache);
  return Document(std::move(d));
}

Inspection Client::inspect(const fs::path& in, bool with_policy) {
  Loaded l = impl_->load(in);
  if (with_policy) l.info.policy = impl_->source.view_policy(impl_->user.identity, l.pl.xml);
  return l.info;
}

fs::path Client::unprotect(const fs::path& in, fs::path out, bool overwrite) {
  Document d = open(in);
  if (out.empty()) {
    out = in;
    out.replace_filename(d.impl_->loaded.reader->original_name(in.filename().string()));
  }
  check_output_path(in, out, overwrite);
  d.export_to(out);
  return out;
}

ProtectResult Client::protect(const fs::path& in, fs::path out, const Protection& protection,
                              bool reprotect, bool overwrite) {
  Impl& m = *impl_;
  ProtectResult res;
  formats::FileSource src(in);
  const ByteSource* input = &src;
  std::unique_ptr<formats::TempFile> plain;
  Container existing = detect(src);
  std::string plain_name = in.filename().string();  // the name of the plaintext
  if (existing != Container::none) {
    if (!reprotect)
      fail(Errc::invalid_argument,
           in.string() + " is already protected (" + std::string(to_string(existing)) +
               "); to change its protection re-protect it (--reprotect), which needs the "
               "EDITRIGHTSDATA (Change Rights) or OWNER right");
    Document d = open(in);
    if (!d.can(Right::editrightsdata))
      fail(Errc::no_right,
           "re-protecting needs the EDITRIGHTSDATA (Change Rights) or OWNER right, which you do "
           "not have on this content");
    fs::path dir = out.empty() ? in.parent_path() : out.parent_path();
    plain = std::make_unique<formats::TempFile>(dir.empty() ? fs::path(".") : dir);
    m.decrypt(d.impl_->loaded, d.decision().content_key, *plain);
    input = plain.get();
    res.reprotected = true;
    plain_name = d.impl_->loaded.reader->original_name(plain_name);
  }
  res.container = container_for(*input);
  if (out.empty()) {
    fs::path base = in;
    if (existing == Container::pfile) base.replace_filename(plain_name);
    out = existing != Container::none && existing == res.container
              ? in.parent_path() / (in.stem().string() + "-reprotected" + in.extension().string())
              : default_output_name(base, res.container);
  }
  check_output_path(in, out, overwrite);

  licensing::Published pub = publish(protection);
  formats::AtomicFileSink sink(out, m.opt.durable);
  write_container(res.container, *input, sink, pub, plain_name);
  res.bytes_out = sink.bytes_written();
  sink.commit();
  res.bytes_in = input->size();
  res.content_id = pub.content_id;
  res.output = out;
  return res;
}

licensing::Published Client::publish(const Protection& protection) {
  Impl& m = *impl_;
  licensing::PublishRequest req;
  req.policy = protection.policy_for(m.rac.subject);
  req.template_id = protection.template_id;
  req.owner = protection.owner;
  licensing::Published pub = m.source.publish(m.user.identity, req, m.user.rac_xml);
  if (pub.content_key.empty()) {
    // A remote source never sends the content key: it is in the owner license, sealed to
    // this user's RAC key.
    auto pl = licensing::parse_publishing_license(pub.license_xml, m.source.anchors(), m.be);
    if (pl.content_id != pub.content_id || pl.issuer != m.rac.subject)
      fail(Errc::integrity, "the license source returned a license for other content");
    pub.content_key = licensing::open_as_issuer(pl, m.rac, m.user.key, m.clock, m.be).content_key;
  }
  return pub;
}

licensing::Decision Client::rights_for(std::string_view pl_xml, bool* from_cache) {
  return rights_for(licensing::parse_publishing_license(pl_xml, impl_->source.anchors(), impl_->be),
                    from_cache);
}

licensing::Decision Client::rights_for(const licensing::PublishingLicense& pl, bool* from_cache) {
  bool cached = false;
  auto d = impl_->decide(pl, cached);
  if (from_cache) *from_cache = cached;
  return d;
}

void Client::write_container(Container c, const ByteSource& input, ByteSink& sink,
                             const licensing::Published& pub, std::string_view name) {
  Impl& m = *impl_;
  formats::WriteContext ctx;
  ctx.name = std::string(name);
  ctx.cover_text = "Protected by " + m.rac.subject + ".";
  if (const auto* slc = m.source.anchors().current())
    ctx.cover_text += "\nLicense server: " + slc->license_url;
  formats::writer_for(c, m.container_options())
      ->write(input, sink, pub.license_xml, formats::ContentKey(pub.content_key), ctx);
}

std::uint64_t Client::read_container(const ByteSource& src, const licensing::Decision& decision,
                                     ByteSink& out) {
  if (!decision.can(Right::view))
    fail(Errc::no_right, "you do not have the VIEW right on this content");
  return formats::open_container(src, impl_->container_options())
      ->decrypt(out, formats::ContentKey(decision.content_key));
}

LicenseSource& Client::source() const noexcept {
  return impl_->source;
}
const crypto::Backend& Client::backend() const noexcept {
  return impl_->be;
}

void Client::revoke(std::string_view content_id) {
  impl_->source.revoke(impl_->user.identity, content_id);
}

std::vector<licensing::TrackingEntry> Client::track(std::string_view content_id,
                                                    std::int64_t after_seq, std::size_t limit) {
  return impl_->source.track(impl_->user.identity, content_id, after_seq, limit);
}

BulkResult Client::protect_tree(const fs::path& in_dir, const fs::path& out_dir,
                                const Protection& protection, const BulkOptions& options) {
  if (!fs::is_directory(in_dir))
    fail(Errc::invalid_argument, in_dir.string() + " is not a directory");
  fs::path ci = fs::weakly_canonical(in_dir), co = fs::weakly_canonical(out_dir);
  if (std::mismatch(ci.begin(), ci.end(), co.begin(), co.end()).first == ci.end())
    fail(Errc::invalid_argument, "the output folder must not lie inside the input folder");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(in_dir); it != fs::recursive_directory_iterator();
       ++it)
    if (it->is_regular_file() && !it->is_symlink()) files.push_back(it->path());
  std::sort(files.begin(), files.end());

  BulkResult res;
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads =
      static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(files.size(), 1)));
  // One file per thread; the segment cipher then stays on that thread.
  ClientOptions per = impl_->opt;
  if (threads > 1) per.segments.threads = 1;
  per.progress = nullptr;
  std::vector<std::unique_ptr<Client>> clients;
  for (unsigned t = 0; t < threads; ++t)
    clients.push_back(std::make_unique<Client>(impl_->source, impl_->user, per));
  auto worker = [&](Client& c) {
    for (std::size_t i; (i = next++) < files.size();) {
      const fs::path& f = files[i];
      std::string error;
      bool skipped = false, ok = false;
      std::uint64_t size = 0;
      try {
        formats::FileSource probe(f);
        size = probe.size();
        if (detect(probe) != Container::none) {
          if (options.skip_protected)
            skipped = true;
          else
            fail(Errc::invalid_argument, "already protected");
        }
        if (!skipped) {
          fs::path rel = fs::relative(f, in_dir);
          Container cont = container_for(probe);
          fs::path target = default_output_name(out_dir / rel, cont);
          fs::create_directories(target.parent_path());
          c.protect(f, target, protection, false, options.overwrite);
          ok = true;
        }
      } catch (const std::exception& e) {
        error = e.what();
        if (error.empty()) error = "failed";
      }
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (skipped) ++res.skipped;
      if (ok) {
        ++res.protected_files;
        res.bytes_in += size;
      }
      if (!error.empty()) res.failures.emplace_back(f, error);
      if (options.on_file) options.on_file(f, error, done, files.size());
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker, std::ref(*clients[t]));
  worker(*clients[0]);
  for (auto& t : pool) t.join();
  std::sort(res.failures.begin(), res.failures.end());
  return res;
}

}  // namespace openrms::protect
