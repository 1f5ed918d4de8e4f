#include "office_cmd.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/office/office_crypto.hpp"
#include "password.hpp"
#include "progress.hpp"

namespace openrms::cli {
namespace {

namespace fs = std::filesystem;
namespace office = formats::office;

struct Common {
  std::string in, out;
  PasswordSource pw;
  unsigned threads = 0;
  bool force = false, progress = false, quiet = false, no_fsync = false;
  bool no_verify_integrity = false;  // decrypt only
};

struct EncryptArgs : Common {
  std::string method = "agile", hash = "sha512";
  unsigned key_bits = 0;
  std::uint32_t spin = 100000;
  std::uint16_t cfb_version = 0;
  std::string encryptor_hash;
  unsigned encryptor_bits = 0;
};

struct InfoArgs {
  std::string in;
  bool json = false;
};

void add_password_options(CLI::App* c, PasswordSource& pw) {
  c->add_option("--password", pw.value,
                "The password (visible to other users in the process list: prefer "
                "--password-file or the prompt)");
  c->add_option("--password-file", pw.file,
                "Read the password from the first line of this file ('-' = standard input)");
}

void add_common(CLI::App* c, Common& a) {
  c->add_option("input", a.in, "Input file")->required()->check(CLI::ExistingFile);
  c->add_option("output", a.out, "Output file (written atomically: nothing appears on failure)")
      ->required();
  add_password_options(c, a.pw);
  c->add_option("--threads", a.threads, "Worker threads for the cipher (0 = every core)");
  c->add_flag("--force", a.force, "Overwrite the output file if it exists");
  c->add_flag("--progress", a.progress, "Show progress even when stderr is not a terminal");
  c->add_flag("-q,--quiet", a.quiet, "Print nothing on success");
  c->add_flag("--no-fsync", a.no_fsync,
              "Do not fsync the output before renaming it into place (faster; after a power loss "
              "the output may be empty)");
}

crypto::HashAlg parse_hash(const std::string& h) {
  if (const auto alg = crypto::parse_hash_alg(h)) return *alg;
  fail(Errc::invalid_argument, "--hash must be sha1, sha256, sha384 or sha512");
}

void run_encrypt(const EncryptArgs& a) {
  check_output(a.in, a.out, a.force);
  {
    // The command cannot lift the library's require_ooxml: say what to do instead.
    formats::FileSource src(a.in);
    std::uint8_t head[4] = {};
    if (src.size() >= 4) src.read_at(0, head);
    if (!(head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5)))
      fail(Errc::bad_format, a.in +
                                 " is not an Office Open XML document (.docx, .xlsx, .pptx: a ZIP "
                                 "package); only those take an Office password. To protect any "
                                 "file, use 'openrms protect'");
  }
  auto pw = read_password(a.pw);
  if (!pw) {
    if (!can_prompt())
      fail(Errc::invalid_argument,
           "no password and no terminal to ask on: give --password-file FILE (or - to read it "
           "from standard input)");
    pw = prompt_password("Password for the encrypted document: ", true);
  }
  office::EncryptOptions o;
  o.method = a.method == "standard" ? office::Method::standard : office::Method::agile;
  o.key_bits = a.key_bits;
  o.hash = parse_hash(a.hash);
  o.spin_count = a.spin;
  o.cfb_version = a.cfb_version;
  if (!a.encryptor_hash.empty()) o.password_hash = parse_hash(a.encryptor_hash);
  o.password_key_bits = a.encryptor_bits;
  o.segments.threads = a.threads;
  o.durable = !a.no_fsync;
  ProgressLine progress("encrypting", a.progress || ProgressLine::stderr_is_terminal());
  std::uint64_t size = fs::file_size(a.in);
  if (size >= (64u << 20) || a.progress) o.progress = std::ref(progress);
  office::encrypt_file(a.in, a.out, *pw, o);
  if (!a.quiet)
    std::printf("encrypted %s -> %s (%s)\n", a.in.c_str(), a.out.c_str(),
                o.method == office::Method::agile
                    ? ("Agile, AES-" + std::to_string(a.key_bits ? a.key_bits : 256) + ", " +
                       a.hash + ", " + std::to_string(a.spin) + " spins")
                          .c_str()
                    : ("Standard, AES-" + std::to_string(a.key_bits ? a.key_bits : 128)).c_str());
}

void run_decrypt(const Common& a) {
  check_output(a.in, a.out, a.force);
  office::DecryptOptions o;
  o.segments.threads = a.threads;
  o.durable = !a.no_fsync;
  o.verify_integrity = !a.no_verify_integrity;
  ProgressLine progress("decrypting", a.progress || ProgressLine::stderr_is_terminal());
  if (fs::file_size(a.in) >= (64u << 20) || a.progress) o.progress = std::ref(progress);
  // Without a password, Excel's default "VelvetSweatshop" is tried before prompting.
  office::DecryptResult r =
      with_password(a.pw, "Password: ", [&](std::optional<std::string_view> pw) {
        return office::decrypt_file(a.in, a.out, pw, o);
      });
  if (!a.quiet)
    std::printf(
        "decrypted %s -> %s (%s, %llu bytes%s%s)\n", a.in.c_str(), a.out.c_str(),
        std::string(office::to_string(r.scheme)).c_str(), static_cast<unsigned long long>(r.size),
        r.integrity_verified                                           ? ", integrity verified"
        : (a.no_verify_integrity && r.scheme == office::Scheme::agile) ? ", integrity NOT checked"
                                                                       : "",
        r.used_default_password ? ", opened with the default password VelvetSweatshop" : "");
  const bool broken = r.scheme == office::Scheme::rc4_binary ||
                      r.scheme == office::Scheme::rc4_cryptoapi ||
                      r.scheme == office::Scheme::xor_obfuscation;
  if (!a.quiet && broken)
    std::fprintf(stderr,
                 "warning: %s was protected with %s (Office 97-2003), which is broken: the "
                 "password does not keep anyone out. To protect it, save it as "
                 ".docx/.xlsx/.pptx and use 'openrms office encrypt'.\n",
                 a.in.c_str(),
                 r.scheme == office::Scheme::xor_obfuscation ? "XOR obfuscation" : "RC4");
}

void run_info(const InfoArgs& a) {
  formats::FileSource src(a.in);
  nlohmann::ordered_json j;
  j["file"] = a.in;
  j.update(nlohmann::ordered_json::parse(office::describe_json(src)));
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  print_table(j, 15);
}

}  // namespace

void add_office_command(CLI::App& app) {
  auto* office = app.add_subcommand(
      "office", "Office documents: password encryption (ECMA-376 Agile and Standard)");
  office->require_subcommand(1);
  office->footer(
      "Examples:\n"
      "  openrms office encrypt report.docx report-locked.docx --password-file pw.txt\n"
      "  openrms office decrypt report-locked.docx report.docx     (prompts for the password)\n"
      "  openrms office info report-locked.docx --json");

  auto enc = std::make_shared<EncryptArgs>();
  auto* e = office->add_subcommand(
      "encrypt", "Encrypt an OOXML document (.docx/.xlsx/.pptx…) with a password");
  add_common(e, *enc);
  e->add_option("--method", enc->method, "agile (Office 2010+, default) or standard (Office 2007)")
      ->check(CLI::IsMember({"agile", "standard"}));
  e->add_option("--key-bits", enc->key_bits,
                "AES key size: 128, 192 or 256 (default 256 agile, 128 standard)")
      ->check(CLI::IsMember({0u, 128u, 192u, 256u}));
  e->add_option("--hash", enc->hash, "Agile hash: sha1, sha256, sha384, sha512 (default)");
  e->add_option("--spin-count", enc->spin, "Agile password hash iterations (default 100000)");
  e->add_option(
       "--cfb-version", enc->cfb_version,
       "Compound file version: 3 (512-byte sectors) or 4 (4096); default 3, or 4 from 256 MiB")
      ->check(CLI::IsMember({0, 3, 4}));
  e->add_option("--key-encryptor-hash", enc->encryptor_hash,
                "Agile: hash of the password key encryptor if it should differ from --hash");
  e->add_option("--key-encryptor-bits", enc->encryptor_bits,
                "Agile: AES key size of the password key encryptor if it should differ")
      ->check(CLI::IsMember({0u, 128u, 192u, 256u}));
  e->callback([enc] { run_encrypt(*enc); });

  auto dec = std::make_shared<Common>();
  auto* d = office->add_subcommand(
      "decrypt", "Decrypt a password-encrypted OOXML document, or a Word/Excel 97-2003 file (RC4)");
  add_common(d, *dec);
  d->add_flag("--no-verify-integrity", dec->no_verify_integrity,
              "Skip the Agile dataIntegrity HMAC check (what msoffcrypto-tool does by default). "
              "About twice as fast, since the HMAC-SHA-512 pass is the slowest part, but a "
              "tampered document decrypts to altered bytes instead of failing");
  d->footer(
      "Without a password the Excel default 'VelvetSweatshop' is tried first, then you are "
      "prompted. Agile documents are checked against their dataIntegrity HMAC unless "
      "--no-verify-integrity is given; a mismatch is an integrity error and writes nothing. "
      "A .doc or .xls protected with RC4 or RC4 CryptoAPI decrypts to the same compound file "
      "with its streams decrypted (as msoffcrypto-tool does); .ppt and XOR obfuscation are not "
      "supported yet.");
  d->callback([dec] { run_decrypt(*dec); });

  auto info = std::make_shared<InfoArgs>();
  auto* i = office->add_subcommand(
      "info", "Show what an Office file is and how it is encrypted (no password needed)");
  i->add_option("input", info->in, "File to inspect")->required()->check(CLI::ExistingFile);
  i->add_flag("--json", info->json, "Machine-readable output");
  i->callback([info] { run_info(*info); });
}

}  // namespace openrms::cli
