// The C API's PDF functions over formats/pdf (pdf_crypto.hpp).
#include <memory>
#include <vector>

#include "bridge.hpp"
#include "openrms/crypto/cms.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"

struct openrms_recipient_key {
  openrms::crypto::RecipientKey key;
};

namespace openrms::capi {
namespace {

namespace pdf = formats::pdf;

const crypto::RecipientKey* key_of(const openrms_recipient_key* k) {
  return k ? &k->key : nullptr;
}

pdf::EncryptOptions encrypt_options(const openrms_pdf_encrypt_options* given) {
  const auto c = read_options(given, &openrms_pdf_encrypt_options_init);
  pdf::EncryptOptions o;
  o.revision = c.revision;
  if (c.user_password) o.user_password = c.user_password;
  if (c.owner_password) o.owner_password = c.owner_password;
  const std::int32_t permissions = pdf::parse_permissions(c.permissions ? c.permissions : "all");
  o.permissions = permissions;
  o.encrypt_metadata = c.encrypt_metadata != 0;
  if (c.recipient_count > 0) need(c.recipient_certificates, "recipient_certificates");
  for (std::size_t i = 0; i < c.recipient_count; ++i) {
    need(c.recipient_certificates[i], "a recipient certificate path");
    const auto der = formats::read_file(c.recipient_certificates[i], 1u << 20);
    o.recipients.push_back({crypto::Certificate::parse(der), permissions});
  }
  if (!o.recipients.empty()) o.permissions = -4;
  o.current_password = opt_text(c.current_password);
  o.current_key = key_of(c.current_key);
  o.durable = c.durable != 0;
  o.progress = progress_of(c.progress, c.progress_ctx);
  return o;
}

pdf::DecryptOptions decrypt_options(const openrms_pdf_decrypt_options* given) {
  const auto c = read_options(given, &openrms_pdf_decrypt_options_init);
  pdf::DecryptOptions o;
  o.verify_perms = c.verify_perms != 0;
  o.key = key_of(c.key);
  o.durable = c.durable != 0;
  o.progress = progress_of(c.progress, c.progress_ctx);
  return o;
}

openrms_pdf_result result_of(const pdf::DecryptResult& r) {
  openrms_pdf_result c{};
  c.matched = static_cast<int>(r.matched);
  c.objects = r.objects;
  c.bytes = r.bytes;
  return c;
}

}  // namespace
}  // namespace openrms::capi

using namespace openrms;
using namespace openrms::capi;

static_assert(static_cast<int>(formats::pdf::PasswordMatch::user) == OPENRMS_PDF_USER_PASSWORD);
static_assert(static_cast<int>(formats::pdf::PasswordMatch::recipient) ==
              OPENRMS_PDF_RECIPIENT_KEY);

extern "C" {

openrms_status openrms_recipient_key_load(const char* path, const char* password,
                                          openrms_recipient_key** key_out) {
  if (key_out) *key_out = nullptr;
  return guard([&] {
    need(path, "the key file path");
    need(key_out, "key_out");
    const formats::FileSource file(path);  // read straight into wiping memory: a private key
    if (file.size() > (1u << 20)) fail(Errc::invalid_argument, "a key file is at most 1 MiB");
    crypto::SecureBytes data(static_cast<std::size_t>(file.size()));
    file.read_at(0, data);
    *key_out = new openrms_recipient_key{
        crypto::RecipientKey::from_file_bytes(data, password ? password : "")};
  });
}

void openrms_recipient_key_free(openrms_recipient_key* key) {
  delete key;
}

void openrms_pdf_encrypt_options_init(openrms_pdf_encrypt_options* o) {
  if (!o) return;
  *o = openrms_pdf_encrypt_options{};
  o->struct_size = sizeof(*o);
  o->revision = 6;
  o->encrypt_metadata = 1;
  o->durable = 1;
}

void openrms_pdf_decrypt_options_init(openrms_pdf_decrypt_options* o) {
  if (!o) return;
  *o = openrms_pdf_decrypt_options{};
  o->struct_size = sizeof(*o);
  o->verify_perms = 1;
  o->durable = 1;
}

void openrms_pdf_result_init(openrms_pdf_result* r) {
  if (!r) return;
  *r = openrms_pdf_result{};
  r->struct_size = sizeof(*r);
}

openrms_status openrms_pdf_encrypt(const openrms_source* in, const openrms_sink* out,
                                   const openrms_pdf_encrypt_options* options,
                                   openrms_pdf_result* result) {
  return guard([&] {
    check_result(result);
    const CallbackSource src(in);
    CallbackSink sink(out);
    write_result(result, result_of(formats::pdf::encrypt(src, sink, encrypt_options(options))));
  });
}

openrms_status openrms_pdf_decrypt(const openrms_source* in, const openrms_sink* out,
                                   const char* password, const openrms_pdf_decrypt_options* options,
                                   openrms_pdf_result* result) {
  return guard([&] {
    check_result(result);
    const CallbackSource src(in);
    CallbackSink sink(out);
    write_result(result, result_of(formats::pdf::decrypt(src, sink, opt_text(password),
                                                         decrypt_options(options))));
  });
}

openrms_status openrms_pdf_encrypt_file(const char* in_path, const char* out_path,
                                        const openrms_pdf_encrypt_options* options,
                                        openrms_pdf_result* result) {
  return guard([&] {
    need(in_path, "the input path");
    need(out_path, "the output path");
    check_result(result);
    write_result(
        result, result_of(formats::pdf::encrypt_file(in_path, out_path, encrypt_options(options))));
  });
}

openrms_status openrms_pdf_decrypt_file(const char* in_path, const char* out_path,
                                        const char* password,
                                        const openrms_pdf_decrypt_options* options,
                                        openrms_pdf_result* result) {
  return guard([&] {
    need(in_path, "the input path");
    need(out_path, "the output path");
    check_result(result);
    write_result(result, result_of(formats::pdf::decrypt_file(in_path, out_path, opt_text(password),
                                                              decrypt_options(options))));
  });
}

openrms_status openrms_pdf_info(const openrms_source* in, const char* password,
                                const openrms_recipient_key* key, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guard([&] {
    need(json_out, "json_out");
    const CallbackSource src(in);
    *json_out = malloc_copy(formats::pdf::describe_json(src, opt_text(password), key_of(key)));
  });
}

}  // extern "C"
