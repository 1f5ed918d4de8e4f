// `openrms demo`: the end-to-end demonstration on an embedded license server (SQLite store in a
// temporary or given folder; nothing to start by hand). It initialises the server, enrols an
// issuer and two recipients, protects a .docx, a .pdf and a .txt with a template and with Do Not
// Forward, opens them as an authorised and an unauthorised user, moves a simulated clock past the
// content expiry and the 31-day RAC, renews, revokes, prints the tracking log and sends a Do Not
// Forward e-mail with an inheriting attachment and a mail flow rule — checking at
// each step that the outcome is the expected one (exit 1 otherwise). --throughput adds the
// content-cipher speed table (every backend and engine).
#include "demo.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <zlib.h>

#include "openrms/crypto/segment_cipher.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/io.hpp"
#include "openrms/protect/mail.hpp"
#include "openrms/protect/mail_rules.hpp"
#include "openrms/protect/protect.hpp"

namespace openrms::cli {
namespace {

namespace fs = std::filesystem;
using crypto::Bytes;
using crypto::ByteView;

struct DemoOptions {
  std::size_t size_mib = 64;
  std::string dir;
  bool keep = false;
  bool throughput = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Streams `in` through a SegmentStream into `out` (temp + rename); returns seconds and SHA-256.
std::pair<double, Bytes> run_stream(const crypto::SegmentCipher& c,
                                    crypto::SegmentStream::Direction dir, const fs::path& in,
                                    const fs::path& out, std::optional<std::uint64_t> size) {
  formats::FileSource src(in);
  formats::AtomicFileSink dst(out);
  auto hash = crypto::default_backend().hash(crypto::HashAlg::sha256);
  Bytes buf(4 << 20);
  auto t0 = std::chrono::steady_clock::now();
  crypto::SegmentStream s(
      c, dir,
      [&](ByteView b) {
        dst.write(b);
        hash->update(b);
      },
      size, 4 << 20);
  for (std::uint64_t off = 0; off < src.size();) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), src.size() - off));
    src.read_at(off, crypto::MutableByteView(buf).first(n));
    s.update(ByteView(buf).first(n));
    off += n;
  }
  s.finish();
  dst.commit();
  return {seconds_since(t0), hash->finish()};
}

// A fresh folder: mkdtemp (unpredictable name, 0700) by default; a folder the user names must
// be new or empty, since the demo writes a store, keys and files there.
fs::path working_folder(const DemoOptions& o) {
  if (o.dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "openrms-demo-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      fail(Errc::io, "cannot create a working folder in " + fs::temp_directory_path().string());
    return tmpl;
  }
  fs::path dir(o.dir);
  if (fs::exists(dir) && !(fs::is_directory(dir) && fs::is_empty(dir)))
    fail(Errc::invalid_argument,
         dir.string() + " exists and is not an empty folder: the demo needs a new or empty one");
  fs::create_directories(dir);
  return dir;
}

int run_throughput(const DemoOptions& o) {
  fs::path dir = working_folder(o);
  const std::uint64_t size = static_cast<std::uint64_t>(o.size_mib) << 20;
  std::printf("\nContent cipher round trip (RMS CBC4K), every backend and engine\n");
  std::printf("  working folder: %s\n", dir.c_str());
  std::printf("  AES-NI lanes:   %s\n", crypto::SegmentCipher::cbc4k(Bytes(32)).uses_lanes()
                                            ? "yes (8 interleaved segments)"
                                            : "no (backend AES)");

  // 1. A plaintext file of random bytes.
  fs::path plain = dir / "sample.bin";
  Bytes plain_hash;
  {
    formats::AtomicFileSink out(plain);
    auto h = crypto::default_backend().hash(crypto::HashAlg::sha256);
    Bytes chunk(4 << 20);
    for (std::uint64_t done = 0; done < size; done += chunk.size()) {
      crypto::default_backend().random(chunk);
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - done));
      out.write(ByteView(chunk).first(n));
      h->update(ByteView(chunk).first(n));
    }
    out.commit();
    plain_hash = h->finish();
  }
  std::printf("  plaintext:      %s (%zu MiB, sha256 %s…)\n\n", plain.filename().c_str(),
              o.size_mib, crypto::to_hex(plain_hash).substr(0, 16).c_str());

  // In-memory buffer for the cipher-only figures (file figures include disk writes and fsync).
  const std::size_t mem_size =
      static_cast<std::size_t>(std::min<std::uint64_t>(size, 64u << 20)) / 4096 * 4096;
  Bytes mem_in = crypto::default_backend().random_bytes(mem_size), mem_out(mem_size);
  std::printf("  %-8s %-8s %-7s | %-25s | %-25s | %s\n", "", "", "", "      file (with I/O)",
              "  cipher only (in memory)", "");
  std::printf("  %-8s %-8s %-7s | %11s %12s | %11s %12s | %s\n", "backend", "engine", "threads",
              "encrypt", "decrypt", "encrypt", "decrypt", "round trip");
  bool all_ok = true;
  std::vector<const crypto::Backend*> backends{&crypto::openssl_backend()};
  if (crypto::has_botan()) backends.push_back(&crypto::botan_backend());
  for (const crypto::Backend* be : backends) {
    for (auto engine :
         {crypto::SegmentOptions::Engine::lanes, crypto::SegmentOptions::Engine::lanes128,
          crypto::SegmentOptions::Engine::backend}) {
      for (unsigned threads : {1u, 0u}) {
        Bytes key = be->random_bytes(32);
        auto c = crypto::SegmentCipher::cbc4k(key, {engine, threads, be});
        if (engine != crypto::SegmentOptions::Engine::backend && !c.uses_lanes()) continue;
        if (engine == crypto::SegmentOptions::Engine::lanes && !c.uses_wide_lanes()) continue;
        fs::path enc = dir / "sample.bin.cbc4k", dec = dir / "sample.bin.out";
        auto [te, he] =
            run_stream(c, crypto::SegmentStream::Direction::encrypt, plain, enc, std::nullopt);
        auto [td, hd] = run_stream(c, crypto::SegmentStream::Direction::decrypt, enc, dec, size);
        bool ok = hd == plain_hash && fs::file_size(enc) == c.ciphertext_size(size);
        auto t0 = std::chrono::steady_clock::now();
        c.encrypt_segments(0, mem_in, mem_out);
        double me = seconds_since(t0);
        t0 = std::chrono::steady_clock::now();
        c.decrypt_segments(0, mem_out, mem_out);
        double md = seconds_since(t0);
        ok = ok && mem_out == mem_in;
        all_ok = all_ok && ok;
        double mib = static_cast<double>(o.size_mib),
               mm = static_cast<double>(mem_size) / (1 << 20);
        const char* eng = c.uses_wide_lanes() ? "vaes" : c.uses_lanes() ? "aes-ni" : "backend";
        std::printf("  %-8s %-8s %-7s | %6.0f MiB/s %6.0f MiB/s | %6.0f MiB/s %6.0f MiB/s | %s\n",
                    std::string(be->name()).c_str(), eng, threads == 0 ? "all" : "1", mib / te,
                    mib / td, mm / me, mm / md, ok ? "identical" : "MISMATCH");
        std::fflush(stdout);
      }
    }
  }
  fs::remove(plain);
  fs::remove(dir / "sample.bin.cbc4k");
  fs::remove(dir / "sample.bin.out");
  std::printf("\n%s\n", all_ok ? "cipher: all round trips identical"
                               : "cipher: FAILED — a round trip differed");
  return all_ok ? 0 : 1;
}

// ---- the rights-management walk-through ----

void le16(std::string& s, unsigned v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
void le32(std::string& s, unsigned long v) {
  le16(s, static_cast<unsigned>(v & 0xFFFF));
  le16(s, static_cast<unsigned>(v >> 16));
}

/// A minimal Word document: a stored (uncompressed) ZIP with the three parts Word needs.
std::string make_docx(const std::string& text) {
  const std::vector<std::pair<std::string, std::string>> parts = {
      {"[Content_Types].xml",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types "
       "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default "
       "Extension=\"rels\" "
       "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
       "<Default Extension=\"xml\" ContentType=\"application/xml\"/><Override "
       "PartName=\"/word/document.xml\" "
       "ContentType=\"application/"
       "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"},
      {"_rels/.rels",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships "
       "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship "
       "Id=\"rId1\" "
       "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
       "officeDocument\" Target=\"word/document.xml\"/></Relationships>"},
      {"word/document.xml",
       "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document "
       "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r>"
       "<w:t>" +
           text + "</w:t></w:r></w:p></w:body></w:document>"}};
  std::string zip, central;
  for (const auto& [name, data] : parts) {
    unsigned long crc =
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    std::string h;
    le16(h, 20), le16(h, 0), le16(h, 0), le16(h, 0), le16(h, 0x21);  // version, flags, stored, time
    le32(h, crc), le32(h, data.size()), le32(h, data.size());
    le16(h, static_cast<unsigned>(name.size())), le16(h, 0);
    central += "PK\x01\x02";
    le16(central, 20);
    central += h;
    le16(central, 0), le16(central, 0), le16(central, 0), le32(central, 0);
    le32(central, zip.size());
    central += name;
    zip += "PK\x03\x04" + h + name + data;
  }
  std::string end = "PK\x05\x06";
  le16(end, 0), le16(end, 0), le16(end, 3), le16(end, 3);
  le32(end, central.size()), le32(end, zip.size()), le16(end, 0);
  return zip + central + end;
}

/// A one-page PDF with a line of text.
std::string make_pdf(const std::string& text) {
  std::string content = "BT /F1 18 Tf 72 720 Td (" + text + ") Tj ET";
  std::vector<std::string> objs = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> "
      ">> /Contents 5 0 R >>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream"};
  std::string pdf = "%PDF-1.7\n";
  std::vector<std::size_t> off;
  for (std::size_t i = 0; i < objs.size(); ++i) {
    off.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  std::size_t xref = pdf.size();
  pdf += "xref\n0 6\n0000000000 65535 f\r\n";
  char line[24];
  for (std::size_t o : off) {
    std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", o);
    pdf += line;
  }
  pdf += "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

void write_file(const fs::path& p, const std::string& s) {
  formats::AtomicFileSink out(p, false);
  out.write(crypto::as_bytes(s));
  out.commit();
}

struct Walkthrough {
  int step = 0, failed = 0;
  void title(const std::string& t) {
    std::printf("\n%d. %s\n", ++step, t.c_str());
    std::fflush(stdout);
  }
  /// Runs `f`, prints what happened, and checks it against the expected error code (or success).
  template <class F>
  void expect(const std::string& what, std::optional<Errc> want, F&& f) {
    std::string got;
    std::optional<Errc> code;
    try {
      got = f();
    } catch (const Error& e) {
      code = e.code();
      got = std::string(to_string(e.code())) + ": " + e.what();
    }
    bool ok = code == want;
    if (!ok) ++failed;
    std::printf("   %-46s %s %s\n", what.c_str(), ok ? "->" : "-> UNEXPECTED:", got.c_str());
    std::fflush(stdout);
  }
};

int run_demo(const DemoOptions& o) {
  using namespace licensing;
  using namespace protect;
  fs::path dir = working_folder(o);
  std::printf("openrms demo — rights management end to end (working folder %s)\n", dir.c_str());
  Walkthrough w;

  w.title("Initialise the embedded license server (SQLite store, keys sealed under a KEK)");
  fs::path store_path = dir / "store.db";
  fs::remove(store_path);
  SqliteStore store(store_path.string(),
                    crypto::to_secure(crypto::default_backend().random_bytes(32)));
  ManualClock clock(Time{std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now())});
  ServerOptions so;
  so.name = "Contoso RMS (demo)";
  so.clock = &clock;
  LicenseServer server(store, so);
  const Certificate& slc = server.activate();
  std::printf("   SLC generation %u, suite %s, signing key %s\n", slc.generation,
              std::string(to_string(slc.suite)).c_str(), slc.key_id().c_str());
  LocalLicenseSource source(server);

  w.title("Enrol users: each gets a 31-day Rights Account Certificate (RAC) and a key pair");
  struct Person {
    std::string email;
    RacGrant rac;
    MemoryUseLicenseCache cache;
    std::unique_ptr<Client> client;
  };
  std::vector<std::unique_ptr<Person>> people;
  auto enrol = [&](const std::string& email, const char* role) {
    auto p = std::make_unique<Person>();
    p->email = email;
    p->rac = server.enroll({email});
    ClientOptions co;
    co.clock = &clock;
    co.cache = &p->cache;
    co.durable = false;
    p->client =
        std::make_unique<Client>(source, User{{email}, p->rac.rac_xml, p->rac.private_key}, co);
    std::printf("   %-22s %-34s RAC valid until %s\n", email.c_str(), role,
                format_time(p->rac.rac.valid_until).c_str());
    people.push_back(std::move(p));
    return people.back().get();
  };
  // Renewal keeps the key pair (the server returns no new private key).
  auto renew = [&](Person& p) {
    crypto::PrivateKey key = p.rac.private_key;
    p.rac = server.renew({p.email}, p.rac.rac_xml);
    p.rac.private_key = key;
    ClientOptions co;
    co.clock = &clock;
    co.cache = &p.cache;
    co.durable = false;
    p.client = std::make_unique<Client>(source, User{{p.email}, p.rac.rac_xml, key}, co);
  };
  Person& alice = *enrol("alice@contoso.com", "issuer (protects the files)");
  Person& bob = *enrol("bob@contoso.com", "recipient, same organisation");
  Person& eve = *enrol("eve@fabrikam.com", "not authorised");

  w.title("Create a template: Contoso Confidential = Viewer for @contoso.com, expires in 7 days");
  Policy tp;
  tp.grants.push_back(parse_grant("@contoso.com:Viewer"));
  tp.expiry = parse_expiry("7");
  Template tpl = server.create_template("Contoso Confidential", "View only, 7 days", tp);
  std::printf("   template %s (%s)\n", tpl.id.c_str(),
              to_string(tpl.policy.grants[0].rights).c_str());

  w.title("Protect three files as alice");
  write_file(dir / "report.docx", make_docx("Q4 forecast: revenue up 12 percent"));
  write_file(dir / "slides.pdf", make_pdf("Board meeting - confidential"));
  write_file(dir / "notes.txt", "Launch date: Friday. Do not share.\n");
  struct Item {
    fs::path in, out;
    Protection how;
  };
  std::vector<Item> items = {
      {dir / "report.docx", dir / "protected" / "report.docx", Protection::with_template(tpl.id)},
      {dir / "slides.pdf", dir / "protected" / "slides.pdf", Protection::with_template(tpl.id)},
      {dir / "notes.txt", dir / "protected" / "notes.ptxt",
       Protection::do_not_forward({"bob@contoso.com"})}};
  fs::create_directories(dir / "protected");
  for (auto& it : items)
    w.expect(it.in.filename().string(), std::nullopt, [&] {
      auto r = alice.client->protect(it.in, it.out, it.how);
      return "protected/" + r.output.filename().string() + "  [" +
             std::string(to_string(r.container)) + ", " + it.how.describe() + "]";
    });

  auto open_as = [&](Person& p, const Item& it) {
    Document d = p.client->open(it.out);
    auto bytes = d.read_all();
    return "opens: rights " + to_string(d.decision().rights) + " (" + std::to_string(bytes.size()) +
           " bytes, license from " +
           (d.from_cache()                      ? "cache"
            : d.decision().role == Role::issuer ? "owner license"
                                                : "server") +
           ")";
  };
  w.title("Open them as bob (authorised) and eve (not authorised)");
  for (auto& it : items) {
    w.expect("bob  " + it.out.filename().string(), std::nullopt, [&] { return open_as(bob, it); });
    w.expect("eve  " + it.out.filename().string(), Errc::no_right,
             [&] { return open_as(eve, it); });
  }
  w.expect("bob opens report.docx again", std::nullopt, [&] { return open_as(bob, items[0]); });
  w.expect("bob removes protection from notes.ptxt", Errc::no_right,
           [&] { return bob.client->unprotect(items[2].out, dir / "leak.txt").string(); });
  w.expect("bob forwards? (FORWARD right on notes.ptxt)", std::nullopt, [&] {
    return std::string(bob.client->open(items[2].out).can(Right::forward) ? "yes"
                                                                          : "no — Do Not Forward");
  });

  w.title("Eight days later: the template's 7-day content expiry has passed");
  clock.advance(days(8));
  w.expect("bob  report.docx", Errc::expired, [&] { return open_as(bob, items[0]); });
  w.expect("alice (issuer) report.docx", std::nullopt, [&] { return open_as(alice, items[0]); });
  w.expect("bob  notes.ptxt (Do Not Forward: no expiry)", std::nullopt,
           [&] { return open_as(bob, items[2]); });

  w.title("Day 32: bob's 31-day RAC has lapsed; he renews it");
  clock.advance(days(24));
  w.expect("bob  notes.ptxt", Errc::rac_expired, [&] { return open_as(bob, items[2]); });
  renew(bob);
  std::printf("   renewed: valid until %s (same key pair)\n",
              format_time(bob.rac.rac.valid_until).c_str());
  w.expect("bob  notes.ptxt", std::nullopt, [&] { return open_as(bob, items[2]); });

  w.title("Alice revokes notes.ptxt");
  const std::string cid = inspect_file(items[2].out, source).content_id;
  w.expect("eve revokes it", Errc::no_right, [&] {
    eve.client->revoke(cid);
    return std::string("revoked");
  });
  w.expect("alice revokes it", std::nullopt, [&] {
    alice.client->revoke(cid);
    return "revoked " + cid;
  });
  clock.advance(days(31));  // bob's cached use license runs out (revocation bites at re-acquire)
  std::printf("   (31 days later: bob's cached use license has run out; both renew their RACs)\n");
  renew(bob);
  renew(alice);
  w.expect("bob  notes.ptxt (after his cached license ran out)", Errc::revoked,
           [&] { return open_as(bob, items[2]); });
  w.expect("alice notes.ptxt (the issuer keeps access)", std::nullopt,
           [&] { return open_as(alice, items[2]); });

  w.title("Tracking log of notes.ptxt (issuer only)");
  for (const auto& e : alice.client->track(cid))
    std::printf("   %s  %-18s %-22s %s\n", format_time(e.time).c_str(), e.user.c_str(),
                e.outcome.c_str(), e.rights.c_str());

  w.title("Protected mail: alice sends bob a Do Not Forward message with forecast.docx attached");
  renew(eve);
  mail::IrmConfiguration irm;
  irm.accepted_domains = {"contoso.com"};
  const std::string docx = make_docx("Q4 forecast: revenue up 12 percent");
  std::string att = crypto::to_base64(crypto::as_bytes(docx)), att_lines;
  for (std::size_t i = 0; i < att.size(); i += 76) att_lines += att.substr(i, 76) + "\r\n";
  const std::string eml =
      "From: Alice <alice@contoso.com>\r\nTo: bob@contoso.com\r\nSubject: Q4 forecast\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nBob, the forecast is attached. Keep it "
      "internal.\r\n--b1\r\nContent-Type: application/vnd.openxmlformats-officedocument."
      "wordprocessingml.document\r\nContent-Disposition: attachment; filename=forecast.docx\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      att_lines + "--b1--\r\n";
  mail::ProtectedMessage sent;
  w.expect("alice protects the message", std::nullopt, [&] {
    sent = mail::MailClient(*alice.client, irm)
               .protect(crypto::as_bytes(eml), mail::MessageProtection::do_not_forward());
    write_file(dir / "protected" / "q4-forecast.eml",
               std::string(sent.message.begin(), sent.message.end()));
    const auto& a = sent.attachments.at(0);
    return "protected/q4-forecast.eml (" + std::to_string(sent.message.size()) + " bytes); " +
           a.filename + " inherits " + std::string(to_string(a.container)) + " protection with " +
           to_string(a.rights);
  });
  std::optional<mail::OpenedMessage> bobs;
  w.expect("bob  opens it", std::nullopt, [&] {
    bobs = mail::MailClient(*bob.client, irm).open(sent.message);
    return "\"" + bobs->message().subject + "\": reply " +
           (bobs->can(Right::reply) ? "yes" : "no") + ", forward " +
           (bobs->can(Right::forward) ? "yes" : "no") + ", print " +
           (bobs->can(Right::print) ? "yes" : "no") + "; attachment delivered as " +
           std::string(to_string(bobs->attachments().at(0).protection));
  });
  w.expect("bob  forwards it to eve", Errc::no_right, [&] {
    std::string fwd =
        "From: bob@contoso.com\r\nTo: eve@fabrikam.com\r\nSubject: Fwd: Q4\r\n\r\nfyi\r\n";
    mail::MailClient(*bob.client, irm).forward(*bobs, crypto::as_bytes(fwd));
    return std::string("forwarded");
  });
  w.expect("eve  opens it", Errc::no_right,
           [&] { return mail::MailClient(*eve.client, irm).open(sent.message).message().subject; });
  w.expect("rule \"external mail -> Encrypt-Only\", to eve", std::nullopt, [&] {
    auto rules = mail::rules_from_json(
        R"([{"name": "External mail", "conditions": {"sent_to_scope": "NotInOrganization"},
             "actions": {"apply": {"kind": "EncryptOnly"}}}])");
    std::string to_eve =
        "From: alice@contoso.com\r\nTo: eve@fabrikam.com\r\nSubject: hi\r\n\r\nhello\r\n";
    return mail::evaluate(rules, formats::mail::parse(crypto::as_bytes(to_eve)),
                          irm.accepted_domains)
        .describe();
  });

  int rc = w.failed == 0 ? 0 : 1;
  if (o.throughput) rc |= run_throughput(o);
  if (!o.keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  } else {
    std::printf("\nfiles kept in %s (protected/ holds the protected copies)\n", dir.c_str());
  }
  std::printf("\n%s\n", w.failed == 0 ? "demo: every step had the expected outcome"
                                      : "demo: FAILED — some steps had unexpected outcomes");
  return rc;
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto opts = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Run the end-to-end demo (no server needed)");
  cmd->description(
      "Rights management end to end on an embedded license server (SQLite in a temporary folder):\n"
      "server, users, a template, Do Not Forward; a .docx, a .pdf and a .txt protected and opened\n"
      "by an authorised and an unauthorised user; a simulated clock past content expiry and the\n"
      "31-day RAC; renewal, revocation and the tracking log. Each outcome is checked.");
  cmd->add_option("--size-mib", opts->size_mib, "--throughput: size of the generated file in MiB")
      ->default_val(64)
      ->check(CLI::Range(1, 65536));
  cmd->add_option("--dir", opts->dir,
                  "Working folder (default: a fresh temporary folder, removed afterwards)");
  cmd->add_flag("--keep", opts->keep, "Keep the working folder");
  cmd->add_flag("--throughput", opts->throughput,
                "Also measure the content cipher on every backend and engine (--size-mib)");
  cmd->callback([opts] { throw CLI::RuntimeError(run_demo(*opts)); });
}

}  // namespace openrms::cli
