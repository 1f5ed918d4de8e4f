#include "pdf_cmd.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"
#include "password.hpp"
#include "progress.hpp"

namespace openrms::cli {
namespace {

namespace fs = std::filesystem;
namespace pdf = formats::pdf;

struct Common {
  std::string in, out;
  bool force = false, progress = false, quiet = false, no_fsync = false;
};

struct EncryptArgs : Common {
  PasswordSource user, owner, current;
  std::vector<std::string> recipients;  // CERT[=PERMISSIONS]
  bool no_user_password = false, clear_metadata = false;
  int revision = 6;
  std::string permissions = "all";
};

// A recipient's key for documents encrypted to certificates (Adobe.PubSec).
struct KeyArgs {
  std::string file, cert;
  PasswordSource pw;
};

struct DecryptArgs : Common {
  PasswordSource pw;
  KeyArgs key;
  bool ignore_perms = false;
};

struct InfoArgs {
  std::string in;
  PasswordSource pw;
  KeyArgs key;
  bool json = false;
};

// A certificate or key file (1 MiB at most), in a wiping buffer: it may hold a private key.
crypto::SecureString key_file_text(const std::string& path) {
  formats::Bytes b = formats::read_file(path, 1u << 20);
  crypto::SecureString s(b.begin(), b.end());
  crypto::secure_wipe(b.data(), b.size());
  return s;
}

// PKCS#12 (.p12/.pfx), or PEM with the certificate and the key (the certificate may come from
// --cert). The key file's password: given, else none, else prompted for on a terminal.
std::optional<crypto::RecipientKey> load_key(const KeyArgs& k) {
  if (k.file.empty()) {
    if (!k.cert.empty()) fail(Errc::invalid_argument, "--cert needs --key-file");
    return std::nullopt;
  }
  const crypto::SecureString data = key_file_text(k.file);
  const bool pem = data.find("-----BEGIN") != std::string::npos;
  if (!pem && !k.cert.empty())
    fail(Errc::invalid_argument, "--cert goes with a PEM key file, not a PKCS#12 one");
  const crypto::SecureString text =
      pem && !k.cert.empty() ? key_file_text(k.cert) + "\n" + data : data;
  return with_password(k.pw, "Key file password: ", [&](std::optional<std::string_view> pw) {
    return crypto::RecipientKey::from_file_bytes(
        crypto::ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
        pw.value_or(""));
  });
}

void add_key_options(CLI::App* c, KeyArgs& k) {
  c->add_option("--key-file", k.file,
                "For a PDF encrypted to certificates: your certificate and private key, as "
                "PKCS#12 (.p12/.pfx) or PEM")
      ->check(CLI::ExistingFile);
  c->add_option("--cert", k.cert, "The certificate (PEM) when --key-file holds only the key")
      ->check(CLI::ExistingFile);
  c->add_option("--key-password", k.pw.value,
                "The key file's password (visible to other users: prefer --key-password-file)");
  c->add_option("--key-password-file", k.pw.file,
                "A file whose first line is the key file's password ('-' = standard input)");
}

void add_common(CLI::App* c, Common& a) {
  c->add_option("input", a.in, "Input PDF")->required()->check(CLI::ExistingFile);
  c->add_option("output", a.out, "Output PDF (written atomically: nothing appears on failure)")
      ->required();
  c->add_flag("--force", a.force, "Overwrite the output file if it exists");
  c->add_flag("--progress", a.progress, "Show progress even when stderr is not a terminal");
  c->add_flag("-q,--quiet", a.quiet, "Print nothing on success");
  c->add_flag("--no-fsync", a.no_fsync,
              "Do not fsync the output before renaming it into place (faster; after a power loss "
              "the output may be empty)");
}

void add_pw(CLI::App* c, PasswordSource& pw, const std::string& name, const std::string& what) {
  c->add_option("--" + name, pw.value,
                what + " (visible in the process list: prefer --" + name + "-file or the prompt)");
  c->add_option("--" + name + "-file", pw.file,
                what + ", read from the first line of this file ('-' = standard input)");
}

// --recipient CERT[=PERMISSIONS]: a PEM or DER certificate; permissions as for --permissions.
pdf::Recipient recipient_of(const std::string& spec, std::int32_t default_permissions) {
  std::string file = spec;
  std::int32_t perms = default_permissions;
  if (const std::size_t eq = spec.rfind('='); eq != std::string::npos && !fs::exists(spec)) {
    file = spec.substr(0, eq);
    perms = pdf::parse_permissions(spec.substr(eq + 1));
  }
  if (!fs::exists(file)) fail(Errc::invalid_argument, "--recipient: no file " + file);
  const crypto::SecureString cert = key_file_text(file);
  return pdf::Recipient{crypto::Certificate::parse(crypto::ByteView(
                            reinterpret_cast<const std::uint8_t*>(cert.data()), cert.size())),
                        perms};
}

void run_encrypt_to_recipients(const EncryptArgs& a) {
  if (a.user.given() || a.owner.given() || a.no_user_password)
    fail(Errc::invalid_argument,
         "--recipient encrypts to certificates: no user or owner password goes with it");
  pdf::EncryptOptions o;
  o.revision = a.revision;
  o.encrypt_metadata = !a.clear_metadata;
  o.durable = !a.no_fsync;
  const std::int32_t perms = pdf::parse_permissions(a.permissions);
  for (const std::string& spec : a.recipients) o.recipients.push_back(recipient_of(spec, perms));
  auto current = read_password(a.current);
  if (current) o.current_password = std::string_view(*current);
  ProgressLine progress("encrypting", a.progress || ProgressLine::stderr_is_terminal());
  if (fs::file_size(a.in) >= (64u << 20) || a.progress) o.progress = std::ref(progress);
  pdf::encrypt_file(a.in, a.out, o);
  if (a.quiet) return;
  std::printf("encrypted %s -> %s (public-key, adbe.pkcs7.s5, %s) for:\n", a.in.c_str(),
              a.out.c_str(), a.revision == 6 ? "AES-256" : "AES-128");
  for (const pdf::Recipient& r : o.recipients)
    std::printf("  %s (permissions %s)\n", r.certificate.subject().c_str(),
                pdf::describe_permissions(pdf::decode_permissions(r.permissions)).c_str());
}

void run_encrypt(const EncryptArgs& a) {
  check_output(a.in, a.out, a.force);
  if (a.revision != 4 && a.revision != 6)
    fail(Errc::invalid_argument, "--revision must be 6 (AES-256) or 4 (AES-128)");
  if (!a.recipients.empty()) return run_encrypt_to_recipients(a);
  pdf::EncryptOptions o;
  o.revision = a.revision;
  o.permissions = pdf::parse_permissions(a.permissions);
  o.encrypt_metadata = !a.clear_metadata;
  o.durable = !a.no_fsync;
  auto user = read_password(a.user);
  if (!user && !a.no_user_password) {
    if (!can_prompt())
      fail(Errc::invalid_argument,
           "no user password: give --user-password-file (or --user-password), or "
           "--no-user-password for a document that opens without one");
    user = prompt_password("User password (opens the document): ", true);
  }
  auto owner = read_password(a.owner);
  crypto::SecureString empty;
  o.user_password = user ? std::string_view(*user) : std::string_view(empty);
  if (owner) o.owner_password = std::string_view(*owner);
  auto current = read_password(a.current);
  if (current) o.current_password = std::string_view(*current);
  ProgressLine progress("encrypting", a.progress || ProgressLine::stderr_is_terminal());
  if (fs::file_size(a.in) >= (64u << 20) || a.progress) o.progress = std::ref(progress);
  pdf::DecryptResult r = pdf::encrypt_file(a.in, a.out, o);
  if (!a.quiet)
    std::printf("encrypted %s -> %s (R%d, %s, permissions %s%s%s)\n", a.in.c_str(), a.out.c_str(),
                a.revision, a.revision == 6 ? "AES-256" : "AES-128",
                pdf::describe_permissions(pdf::decode_permissions(o.permissions)).c_str(),
                owner ? "" : ", random owner password",
                r.matched == pdf::PasswordMatch::not_encrypted ? "" : ", re-encrypted");
}

void run_decrypt(const DecryptArgs& a) {
  check_output(a.in, a.out, a.force);
  pdf::DecryptOptions o;
  o.durable = !a.no_fsync;
  o.verify_perms = !a.ignore_perms;
  const std::optional<crypto::RecipientKey> key = load_key(a.key);
  if (key) o.key = &*key;
  ProgressLine progress("decrypting", a.progress || ProgressLine::stderr_is_terminal());
  if (fs::file_size(a.in) >= (64u << 20) || a.progress) o.progress = std::ref(progress);
  pdf::DecryptResult r;
  if (key) {  // a recipient's key: no password prompt
    auto pw = read_password(a.pw);
    r = pdf::decrypt_file(a.in, a.out, pw ? std::optional<std::string_view>(*pw) : std::nullopt, o);
  } else {
    r = with_password(
        a.pw, "PDF password (user or owner): ", [&](std::optional<std::string_view> pw) {
          try {
            return pdf::decrypt_file(a.in, a.out, pw, o);
          } catch (const Error& e) {
            // Encrypted to certificates: a password prompt cannot help (only on this failure
            // path is the file looked at a second time).
            if (e.code() != Errc::wrong_password || pw) throw;
            formats::FileSource src(a.in);
            if (pdf::describe(src).filter != "Adobe.PubSec") throw;
            fail(Errc::invalid_argument,
                 std::string(e.what()) + "; give your certificate and key with --key-file");
          }
        });
  }
  if (!a.quiet)
    std::printf(
        "decrypted %s -> %s (%s, %llu objects)\n", a.in.c_str(), a.out.c_str(),
        r.matched == pdf::PasswordMatch::not_encrypted ? "was not encrypted"
        : r.matched == pdf::PasswordMatch::recipient
            ? ("opened with the key of " + key->certificate().subject()).c_str()
            : ("opened with the " + std::string(pdf::to_string(r.matched)) + " password").c_str(),
        static_cast<unsigned long long>(r.objects));
}

void run_info(const InfoArgs& a) {
  formats::FileSource src(a.in);
  auto pw = read_password(a.pw);
  const std::optional<crypto::RecipientKey> key = load_key(a.key);
  nlohmann::ordered_json j;
  j["file"] = a.in;
  j.update(nlohmann::ordered_json::parse(pdf::describe_json(
      src, pw ? std::optional<std::string_view>(std::string_view(*pw)) : std::nullopt,
      key ? &*key : nullptr)));
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  print_table(j, 22);
}

}  // namespace

void add_pdf_command(CLI::App& app) {
  auto* pdfc = app.add_subcommand(
      "pdf",
      "PDF documents: password encryption (ISO 32000 standard security handler), and "
      "decryption of PDFs encrypted to certificates (Adobe.PubSec)");
  pdfc->require_subcommand(1);
  pdfc->footer(
      "Examples:\n"
      "  openrms pdf encrypt in.pdf locked.pdf --user-password-file u.txt --owner-password-file "
      "o.txt"
      " --permissions print,copy\n"
      "  openrms pdf decrypt locked.pdf plain.pdf             (prompts if a password is needed)\n"
      "  openrms pdf info locked.pdf --json\n"
      "Permissions: print, print-high, modify, copy, annotate, fill-forms, accessibility, "
      "assemble, all, none — or a decimal /P value. Readers enforce them; the owner password "
      "lifts them.");

  auto enc = std::make_shared<EncryptArgs>();
  auto* e = pdfc->add_subcommand(
      "encrypt", "Encrypt a PDF with user/owner passwords, or to certificates (AES)");
  add_common(e, *enc);
  add_pw(e, enc->user, "user-password", "The password that opens the document");
  add_pw(e, enc->owner, "owner-password",
         "The password that lifts the permissions (default: a random one nobody knows)");
  add_pw(e, enc->current, "current-password", "The input's password, if it is already encrypted");
  e->add_flag("--no-user-password", enc->no_user_password,
              "Open without a password (permissions still apply)");
  e->add_option("--revision", enc->revision,
                "6 = AES-256, PDF 2.0 (default); 4 = AES-128, PDF 1.6 (for old readers)")
      ->check(CLI::IsMember({4, 6}));
  e->add_option("--permissions", enc->permissions,
                "Comma-separated permissions granted to the user (default all)");
  e->add_flag("--clear-metadata", enc->clear_metadata,
              "Leave the XMP metadata unencrypted (EncryptMetadata false) so indexers can read it");
  e->add_option("--recipient", enc->recipients,
                "Encrypt to this certificate (PEM or DER) instead of a password; repeat for more "
                "readers. CERT=PERMISSIONS gives that reader its own permissions");
  e->footer(
      "To certificates (each reader opens it with their own private key, no password):\n"
      "  openrms pdf encrypt in.pdf out.pdf --recipient alice.pem --recipient bob.pem=print");
  e->callback([enc] { run_encrypt(*enc); });

  auto dec = std::make_shared<DecryptArgs>();
  auto* d = pdfc->add_subcommand("decrypt", "Write an unencrypted copy of an encrypted PDF");
  add_common(d, *dec);
  add_pw(d, dec->pw, "password", "The user or owner password");
  add_key_options(d, dec->key);
  d->add_flag("--ignore-perms", dec->ignore_perms,
              "R5/R6: open even if /Perms does not match /P (the permissions were altered)");
  d->footer(
      "Without a password the empty user password is tried, then you are prompted.\n"
      "A PDF encrypted to certificates (Adobe.PubSec) opens with a recipient's key:\n"
      "  openrms pdf decrypt secret.pdf plain.pdf --key-file me.p12 --key-password-file pw.txt");
  d->callback([dec] { run_decrypt(*dec); });

  auto info = std::make_shared<InfoArgs>();
  auto* i = pdfc->add_subcommand(
      "info", "Show how a PDF is encrypted and which password opens it (no password needed)");
  i->add_option("input", info->in, "PDF to inspect")->required()->check(CLI::ExistingFile);
  add_pw(i, info->pw, "password",
         "A password to check (reports whether it is the user or owner one)");
  add_key_options(i, info->key);
  i->add_flag("--json", info->json, "Machine-readable output");
  i->callback([info] { run_info(*info); });
}

}  // namespace openrms::cli
