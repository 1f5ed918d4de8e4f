// openrms._native's rights-protected files: Profile (a user's set-up) and Document, over
// protect/profile.hpp. Work runs with the GIL released.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <optional>
#include <string>
#include <vector>

#include "openrms/error.hpp"
#include "openrms/protect/profile.hpp"
#include "streams.hpp"

namespace openrms::python {

namespace {

using protect::Document;
using protect::Profile;
using protect::Protection;

std::unique_ptr<Profile> open_profile(
    const std::optional<std::string>& user, const std::optional<std::string>& store,
    const std::optional<std::string>& kek_file, const std::optional<std::string>& server,
    const std::optional<std::string>& token, const std::optional<std::string>& ca_file,
    const std::string& dir, const std::optional<std::string>& key_passphrase,
    bool cache_use_licenses, const std::optional<std::string>& cache_dir, bool durable) {
  protect::ProfileOptions o;
  if (user) o.user = *user;
  if (store) o.store = *store;
  if (kek_file) o.kek_file = *kek_file;
  if (server) o.server_url = *server;
  if (token) o.token = *token;
  if (ca_file) o.ca_file = *ca_file;
  o.dir = dir;
  if (key_passphrase) o.key_passphrase = crypto::SecureString(*key_passphrase);
  o.cache_use_licenses = cache_use_licenses;
  if (cache_dir) o.cache_dir = *cache_dir;
  o.client.durable = durable;
  py::gil_scoped_release nogil;
  return std::make_unique<Profile>(std::move(o));
}

Protection protection_of(const std::optional<std::string>& template_id,
                         const std::optional<std::vector<std::string>>& do_not_forward,
                         bool encrypt_only) {
  const int chosen = (template_id ? 1 : 0) + (do_not_forward ? 1 : 0) + (encrypt_only ? 1 : 0);
  if (chosen != 1)
    fail(Errc::invalid_argument,
         "say how to protect with exactly one of template=, do_not_forward= or encrypt_only=True");
  if (template_id) return Protection::with_template(*template_id);
  if (do_not_forward) {
    if (do_not_forward->empty())
      fail(Errc::invalid_argument, "do_not_forward needs at least one recipient");
    return Protection::do_not_forward(*do_not_forward);
  }
  return Protection::encrypt_only();
}

std::string protect_file(Profile& p, const std::filesystem::path& in,
                         const std::optional<std::filesystem::path>& out,
                         const std::optional<std::string>& template_id,
                         const std::optional<std::vector<std::string>>& do_not_forward,
                         bool encrypt_only, bool overwrite) {
  const Protection how = protection_of(template_id, do_not_forward, encrypt_only);
  py::gil_scoped_release nogil;
  return p.client().protect(in, out.value_or(""), how, false, overwrite).output.string();
}

std::string unprotect_file(Profile& p, const std::filesystem::path& in,
                           const std::optional<std::filesystem::path>& out, bool overwrite) {
  py::gil_scoped_release nogil;
  return p.client().unprotect(in, out.value_or(""), overwrite).string();
}

std::string inspect(Profile& p, const std::filesystem::path& in) {
  py::gil_scoped_release nogil;
  const auto x = p.has_user() ? p.client().inspect(in) : protect::inspect_file(in, p.source());
  return protect::inspection_json(x);
}

Document open_document(Profile& p, const std::filesystem::path& in) {
  py::gil_scoped_release nogil;
  return p.client().open(in);
}

bool can(const Document& d, const std::string& right) {
  const auto r = licensing::parse_right(right);
  if (!r) fail(Errc::invalid_argument, "'" + right + "' is not a usage right");
  return d.can(*r);
}

py::object read(const Document& d, py::handle dst) {
  PendingError pending;
  Output out(dst, d.info().size.value_or(1u << 20), true, pending);
  return write_output(pending, out, [&](formats::ByteSink& sink) { d.read(sink); });
}

py::bytes read_at(const Document& d, std::uint64_t offset, std::size_t length) {
  crypto::SecureBytes buf(length);
  std::size_t n = 0;
  {
    py::gil_scoped_release nogil;
    n = d.read_at(offset, buf);
  }
  return py::bytes(reinterpret_cast<const char*>(buf.data()), n);
}

std::uint64_t export_to(const Document& d, const std::filesystem::path& out) {
  py::gil_scoped_release nogil;
  return d.export_to(out);
}

}  // namespace

void bind_protect(py::module_& m) {
  using py::arg;
  py::class_<Profile>(m, "Profile")
      .def(py::init(&open_profile), arg("user"), arg("store"), arg("kek_file"), arg("server"),
           arg("token"), arg("ca_file"), arg("dir"), arg("key_passphrase"),
           arg("cache_use_licenses"), arg("cache_dir"), arg("durable"))
      .def("protect", &protect_file, arg("src"), arg("dst"), arg("template"), arg("do_not_forward"),
           arg("encrypt_only"), arg("overwrite"))
      .def("unprotect", &unprotect_file, arg("src"), arg("dst"), arg("overwrite"))
      .def("inspect", &inspect, arg("path"))
      .def("open", &open_document, arg("path"))
      .def_property_readonly("has_user", &Profile::has_user);
  py::class_<Document>(m, "Document")
      .def("can", &can, arg("right"))
      .def_property_readonly("decision",
                             [](const Document& d) { return protect::decision_json(d); })
      .def_property_readonly("info",
                             [](const Document& d) { return protect::inspection_json(d.info()); })
      .def("read", &read, arg("dst"))
      .def("read_at", &read_at, arg("offset"), arg("length"))
      .def("export", &export_to, arg("dst"));
}

}  // namespace openrms::python
