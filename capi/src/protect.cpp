// The C API's rights-protected files over protect/ (profile.hpp, protect.hpp).
#include <memory>
#include <string>
#include <vector>

#include "bridge.hpp"
#include "openrms/protect/profile.hpp"

struct openrms_client {
  std::unique_ptr<openrms::protect::Profile> profile;
};

struct openrms_document {
  openrms::protect::Document document;
};

namespace openrms::capi {
namespace {

protect::ProfileOptions profile_options(const openrms_client_options* given) {
  const auto c = read_options(given, &openrms_client_options_init);
  protect::ProfileOptions o;
  if (c.store) o.store = c.store;
  if (c.kek_file) o.kek_file = c.kek_file;
  if (c.server_url) o.server_url = c.server_url;
  if (c.token) o.token = c.token;
  if (c.ca_file) o.ca_file = c.ca_file;
  if (c.user) o.user = c.user;
  if (c.dir) o.dir = c.dir;
  if (c.key_passphrase) o.key_passphrase = crypto::SecureString(c.key_passphrase);
  o.cache_use_licenses = c.cache_use_licenses != 0;
  if (c.cache_dir) o.cache_dir = c.cache_dir;
  o.client.durable = c.durable != 0;
  return o;
}

protect::Protection protection_of(const openrms_protection& c) {
  switch (c.kind) {
    case OPENRMS_PROTECT_ENCRYPT_ONLY:
      return protect::Protection::encrypt_only();
    case OPENRMS_PROTECT_TEMPLATE:
      need(c.template_id, "template_id");
      return protect::Protection::with_template(c.template_id);
    case OPENRMS_PROTECT_DO_NOT_FORWARD: {
      if (c.recipient_count == 0)
        fail(Errc::invalid_argument, "Do Not Forward needs at least one recipient");
      need(c.recipients, "recipients");
      std::vector<std::string> to;
      for (std::size_t i = 0; i < c.recipient_count; ++i) {
        need(c.recipients[i], "a recipient");
        to.emplace_back(c.recipients[i]);
      }
      return protect::Protection::do_not_forward(std::move(to));
    }
    default:
      fail(Errc::invalid_argument, "unknown protection kind " + std::to_string(c.kind));
  }
}

void set_path(char** out, const std::filesystem::path& p) {
  if (out) *out = malloc_copy(p.string());
}

protect::Profile& profile_of(openrms_client* c) {
  need(c, "the client");
  return *c->profile;
}

const protect::Document& document_of(const openrms_document* d) {
  need(d, "the document");
  return d->document;
}

}  // namespace
}  // namespace openrms::capi

using namespace openrms;
using namespace openrms::capi;

extern "C" {

void openrms_client_options_init(openrms_client_options* o) {
  if (!o) return;
  *o = openrms_client_options{};
  o->struct_size = sizeof(*o);
  o->cache_use_licenses = 1;
  o->durable = 1;
}

openrms_status openrms_client_open(const openrms_client_options* options,
                                   openrms_client** client_out) {
  if (client_out) *client_out = nullptr;
  return guard([&] {
    need(client_out, "client_out");
    auto profile = std::make_unique<protect::Profile>(profile_options(options));
    *client_out = new openrms_client{std::move(profile)};
  });
}

void openrms_client_free(openrms_client* client) {
  delete client;
}

void openrms_protection_init(openrms_protection* p) {
  if (!p) return;
  *p = openrms_protection{};
  p->struct_size = sizeof(*p);
  p->kind = OPENRMS_PROTECT_ENCRYPT_ONLY;
}

openrms_status openrms_protect_file(openrms_client* client, const char* in_path,
                                    const char* out_path, const openrms_protection* protection,
                                    char** output_out) {
  if (output_out) *output_out = nullptr;
  return guard([&] {
    need(in_path, "the input path");
    const auto c = read_options(protection, &openrms_protection_init);
    const auto r = profile_of(client).client().protect(in_path, out_path ? out_path : "",
                                                       protection_of(c), false, c.overwrite != 0);
    set_path(output_out, r.output);
  });
}

openrms_status openrms_inspect_file(openrms_client* client, const char* path, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guard([&] {
    need(path, "the path");
    need(json_out, "json_out");
    auto& profile = profile_of(client);
    const auto x = profile.has_user() ? profile.client().inspect(path)
                                      : protect::inspect_file(path, profile.source());
    *json_out = malloc_copy(protect::inspection_json(x));
  });
}

openrms_status openrms_unprotect_file(openrms_client* client, const char* in_path,
                                      const char* out_path, int overwrite, char** output_out) {
  if (output_out) *output_out = nullptr;
  return guard([&] {
    need(in_path, "the input path");
    const auto out =
        profile_of(client).client().unprotect(in_path, out_path ? out_path : "", overwrite != 0);
    set_path(output_out, out);
  });
}

openrms_status openrms_document_open(openrms_client* client, const char* path,
                                     openrms_document** document_out) {
  if (document_out) *document_out = nullptr;
  return guard([&] {
    need(path, "the path");
    need(document_out, "document_out");
    *document_out = new openrms_document{profile_of(client).client().open(path)};
  });
}

void openrms_document_free(openrms_document* document) {
  delete document;
}

int openrms_document_can(const openrms_document* document, const char* right) {
  if (!document || !right) return 0;
  const auto r = licensing::parse_right(right);
  return r && document->document.can(*r) ? 1 : 0;
}

openrms_status openrms_document_decision(const openrms_document* document, char** json_out) {
  if (json_out) *json_out = nullptr;
  return guard([&] {
    need(json_out, "json_out");
    *json_out = malloc_copy(protect::decision_json(document_of(document)));
  });
}

openrms_status openrms_document_read(const openrms_document* document, const openrms_sink* out,
                                     uint64_t* size_out) {
  if (size_out) *size_out = 0;
  return guard([&] {
    CallbackSink sink(out);
    const std::uint64_t n = document_of(document).read(sink);
    if (size_out) *size_out = n;
  });
}

openrms_status openrms_document_read_at(const openrms_document* document, uint64_t offset,
                                        void* buf, size_t len, size_t* read_out) {
  if (read_out) *read_out = 0;
  return guard([&] {
    if (len > 0) need(buf, "buf");
    const std::size_t n = document_of(document).read_at(
        offset, crypto::MutableByteView(static_cast<std::uint8_t*>(buf), len));
    if (read_out) *read_out = n;
  });
}

}  // extern "C"
