// The C API's Office functions over formats/office (office_crypto.hpp).
#include "bridge.hpp"
#include "openrms/formats/office/office_crypto.hpp"

namespace openrms::capi {
namespace {

namespace office = formats::office;

office::EncryptOptions encrypt_options(const openrms_office_encrypt_options* given) {
  const auto c = read_options(given, &openrms_office_encrypt_options_init);
  office::EncryptOptions o;
  o.method = c.standard ? office::Method::standard : office::Method::agile;
  o.key_bits = c.key_bits;
  if (c.hash) {
    const auto h = crypto::parse_hash_alg(c.hash);
    if (!h) fail(Errc::invalid_argument, "hash must be SHA1, SHA256, SHA384 or SHA512");
    o.hash = *h;
  }
  o.spin_count = c.spin_count;
  o.segments.threads = c.threads;
  o.durable = c.durable != 0;
  o.progress = progress_of(c.progress, c.progress_ctx);
  return o;
}

office::DecryptOptions decrypt_options(const openrms_office_decrypt_options* given) {
  const auto c = read_options(given, &openrms_office_decrypt_options_init);
  office::DecryptOptions o;
  o.verify_integrity = c.verify_integrity != 0;
  o.max_spin_count = c.max_spin_count;
  o.segments.threads = c.threads;
  o.durable = c.durable != 0;
  o.progress = progress_of(c.progress, c.progress_ctx);
  return o;
}

openrms_office_result result_of(const office::DecryptResult& r) {
  openrms_office_result c{};
  c.scheme = static_cast<int>(r.scheme);
  c.used_default_password = r.used_default_password ? 1 : 0;
  c.integrity_verified = r.integrity_verified ? 1 : 0;
  c.size = r.size;
  return c;
}

const char* password_of(const char* password) {
  need(password, "the password");
  return password;
}

}  // namespace
}  // namespace openrms::capi

using namespace openrms;
using namespace openrms::capi;

// The scheme numbers of openrms.h are office::Scheme's.
static_assert(static_cast<int>(formats::office::Scheme::agile) == OPENRMS_OFFICE_AGILE);
static_assert(static_cast<int>(formats::office::Scheme::xor_obfuscation) ==
              OPENRMS_OFFICE_XOR_OBFUSCATION);
static_assert(static_cast<int>(formats::office::Scheme::unknown) == OPENRMS_OFFICE_UNKNOWN);

extern "C" {

void openrms_office_encrypt_options_init(openrms_office_encrypt_options* o) {
  if (!o) return;
  *o = openrms_office_encrypt_options{};
  o->struct_size = sizeof(*o);
  o->spin_count = 100000;
  o->durable = 1;
}

void openrms_office_decrypt_options_init(openrms_office_decrypt_options* o) {
  if (!o) return;
  *o = openrms_office_decrypt_options{};
  o->struct_size = sizeof(*o);
  o->verify_integrity = 1;
  o->max_spin_count = 10'000'000;
  o->durable = 1;
}

void openrms_office_result_init(openrms_office_result* r) {
  if (!r) return;
  *r = openrms_office_result{};
  r->struct_size = sizeof(*r);
}

openrms_status openrms_office_encrypt(const openrms_source* in, const openrms_sink* out,
                                      const char* password,
                                      const openrms_office_encrypt_options* options) {
  return guard([&] {
    const CallbackSource src(in);
    CallbackSink sink(out);
    formats::office::encrypt(src, sink, password_of(password), encrypt_options(options));
  });
}

openrms_status openrms_office_decrypt(const openrms_source* in, const openrms_sink* out,
                                      const char* password,
                                      const openrms_office_decrypt_options* options,
                                      openrms_office_result* result) {
  return guard([&] {
    check_result(result);
    const CallbackSource src(in);
    CallbackSink sink(out);
    const auto r =
        formats::office::decrypt(src, sink, opt_text(password), decrypt_options(options));
    write_result(result, result_of(r));
  });
}

openrms_status openrms_office_encrypt_file(const char* in_path, const char* out_path,
                                           const char* password,
                                           const openrms_office_encrypt_options* options) {
  return guard([&] {
    need(in_path, "the input path");
    need(out_path, "the output path");
    formats::office::encrypt_file(in_path, out_path, password_of(password),
                                  encrypt_options(options));
  });
}

openrms_status openrms_office_decrypt_file(const char* in_path, const char* out_path,
                                           const char* password,
                                           const openrms_office_decrypt_options* options,
                                           openrms_office_result* result) {
  return guard([&] {
    need(in_path, "the input path");
    need(out_path, "the output path");
    check_result(result);
    const auto r = formats::office::decrypt_file(in_path, out_path, opt_text(password),
                                                 decrypt_options(options));
    write_result(result, result_of(r));
  });
}

openrms_status openrms_office_info(const openrms_source* in, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guard([&] {
    need(json_out, "json_out");
    const CallbackSource src(in);
    *json_out = malloc_copy(formats::office::describe_json(src));
  });
}

}  // extern "C"
