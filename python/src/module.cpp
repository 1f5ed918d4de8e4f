// openrms._native: the pybind11 binding the Python package (python/openrms) wraps. Every
// library call runs with the GIL released; openrms::Error becomes the openrms exception class of
// its code (openrms/errors.py), and a Python exception raised by a caller's file object inside a
// call is raised again as itself.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "openrms/crypto/cms.hpp"
#include "openrms/error.hpp"
#include "openrms/formats/office/office_crypto.hpp"
#include "openrms/formats/pdf/pdf_crypto.hpp"
#include "streams.hpp"

namespace py = pybind11;

namespace openrms::python {

void bind_protect(py::module_& m);  // protect_binding.cpp

namespace {

namespace office = formats::office;
namespace pdf = formats::pdf;

// The likely size of an encrypted copy: a little more than the input.
std::uint64_t grown(std::uint64_t n) {
  return n + n / 16 + (64u << 10);
}

formats::Progress progress_of(py::object callback) {
  if (callback.is_none()) return {};
  auto shared = std::make_shared<py::object>(std::move(callback));
  return [shared](std::uint64_t done, std::uint64_t total) {
    py::gil_scoped_acquire gil;
    try {
      (*shared)(done, total);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("openrms progress callback");
    }
  };
}

std::optional<std::string_view> opt_view(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

py::object office_encrypt(py::handle src, py::handle dst, const std::string& password,
                          const std::string& method, unsigned key_bits, const std::string& hash,
                          std::uint32_t spin_count, unsigned threads, bool durable,
                          py::object progress) {
  office::EncryptOptions o;
  if (method != "agile" && method != "standard")
    fail(Errc::invalid_argument, "method must be 'agile' or 'standard'");
  o.method = method == "agile" ? office::Method::agile : office::Method::standard;
  o.key_bits = key_bits;
  const auto h = crypto::parse_hash_alg(hash);
  if (!h) fail(Errc::invalid_argument, "hash must be sha1, sha256, sha384 or sha512");
  o.hash = *h;
  o.spin_count = spin_count;
  o.segments.threads = threads;
  o.durable = durable;
  o.progress = progress_of(std::move(progress));
  PendingError pending;
  auto in = make_source(src, pending);
  Output out(dst, grown(in->size()), durable, pending);
  const crypto::SecureString pw(password.begin(), password.end());
  return write_output(pending, out,
                      [&](formats::ByteSink& sink) { office::encrypt(*in, sink, pw, o); });
}

py::tuple office_decrypt(py::handle src, py::handle dst, const std::optional<std::string>& password,
                         bool verify_integrity, std::uint32_t max_spin_count, unsigned threads,
                         bool durable, py::object progress) {
  office::DecryptOptions o;
  o.verify_integrity = verify_integrity;
  o.max_spin_count = max_spin_count;
  o.segments.threads = threads;
  o.durable = durable;
  o.progress = progress_of(std::move(progress));
  PendingError pending;
  auto in = make_source(src, pending);
  Output out(dst, in->size(), durable, pending);
  office::DecryptResult r;
  py::object data = write_output(pending, out, [&](formats::ByteSink& sink) {
    r = office::decrypt(*in, sink, opt_view(password), o);
  });
  py::dict info;
  info["scheme"] = std::string(office::to_string(r.scheme));
  info["used_default_password"] = r.used_default_password;
  info["integrity_verified"] = r.integrity_verified;
  info["size"] = r.size;
  return py::make_tuple(data, info);
}

std::string office_info(py::handle src) {
  PendingError pending;
  auto in = make_source(src, pending);
  return without_gil(pending, [&] { return office::describe_json(*in); });
}

py::dict pdf_result(const pdf::DecryptResult& r) {
  py::dict d;
  d["matched"] = std::string(pdf::to_string(r.matched));
  d["objects"] = r.objects;
  d["bytes"] = r.bytes;
  return d;
}

py::tuple pdf_encrypt(py::handle src, py::handle dst, int revision,
                      const std::optional<std::string>& user_password,
                      const std::optional<std::string>& owner_password,
                      const std::string& permissions, bool encrypt_metadata,
                      const std::vector<std::string>& recipients,
                      const std::optional<std::string>& current_password,
                      const crypto::RecipientKey* current_key, bool durable, py::object progress) {
  pdf::EncryptOptions o;
  o.revision = revision;
  if (user_password) o.user_password = *user_password;
  if (owner_password) o.owner_password = *owner_password;
  const std::int32_t p = pdf::parse_permissions(permissions);
  o.permissions = p;
  o.encrypt_metadata = encrypt_metadata;
  for (const auto& cert : recipients)
    o.recipients.push_back({crypto::Certificate::parse(formats::read_file(cert, 1u << 20)), p});
  if (!o.recipients.empty()) o.permissions = -4;
  o.current_password = opt_view(current_password);
  o.current_key = current_key;
  o.durable = durable;
  o.progress = progress_of(std::move(progress));
  PendingError pending;
  auto in = make_source(src, pending);
  Output out(dst, grown(in->size()), durable, pending);
  pdf::DecryptResult r;
  py::object data =
      write_output(pending, out, [&](formats::ByteSink& sink) { r = pdf::encrypt(*in, sink, o); });
  return py::make_tuple(data, pdf_result(r));
}

py::tuple pdf_decrypt(py::handle src, py::handle dst, const std::optional<std::string>& password,
                      const crypto::RecipientKey* key, bool verify_perms, bool durable,
                      py::object progress) {
  pdf::DecryptOptions o;
  o.verify_perms = verify_perms;
  o.key = key;
  o.durable = durable;
  o.progress = progress_of(std::move(progress));
  PendingError pending;
  auto in = make_source(src, pending);
  Output out(dst, grown(in->size()), durable, pending);
  pdf::DecryptResult r;
  py::object data = write_output(pending, out, [&](formats::ByteSink& sink) {
    r = pdf::decrypt(*in, sink, opt_view(password), o);
  });
  return py::make_tuple(data, pdf_result(r));
}

std::string pdf_info(py::handle src, const std::optional<std::string>& password,
                     const crypto::RecipientKey* key) {
  PendingError pending;
  auto in = make_source(src, pending);
  return without_gil(pending, [&] { return pdf::describe_json(*in, opt_view(password), key); });
}

crypto::RecipientKey load_key(py::handle src, const std::optional<std::string>& password) {
  PendingError pending;
  auto in = make_source(src, pending);
  if (in->size() > (1u << 20)) fail(Errc::invalid_argument, "a key file is at most 1 MiB");
  crypto::SecureBytes data(static_cast<std::size_t>(in->size()));
  in->read_at(0, data);
  pending.rethrow_if_any();
  return crypto::RecipientKey::from_file_bytes(data, password.value_or(""));
}

void translate(const Error& e) {
  const py::object errors = py::module_::import("openrms.errors");
  const py::object cls = errors.attr("error_class")(static_cast<int>(e.code()));
  PyErr_SetObject(cls.ptr(), py::str(e.what()).ptr());
}

}  // namespace
}  // namespace openrms::python

PYBIND11_MODULE(_native, m) {
  using namespace openrms::python;
  namespace py = pybind11;
  using py::arg;
  m.doc() = "openrms's native binding; use the openrms package instead.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const openrms::Error& e) {
      translate(e);
    }
  });
  m.def("office_encrypt", &office_encrypt, arg("src"), arg("dst"), arg("password"), arg("method"),
        arg("key_bits"), arg("hash"), arg("spin_count"), arg("threads"), arg("durable"),
        arg("progress"));
  m.def("office_decrypt", &office_decrypt, arg("src"), arg("dst"), arg("password"),
        arg("verify_integrity"), arg("max_spin_count"), arg("threads"), arg("durable"),
        arg("progress"));
  m.def("office_info", &office_info, arg("src"));
  py::class_<openrms::crypto::RecipientKey>(m, "RecipientKey")
      .def_property_readonly(
          "subject",
          [](const openrms::crypto::RecipientKey& k) { return k.certificate().subject(); })
      .def_property_readonly("issuer", [](const openrms::crypto::RecipientKey& k) {
        return k.certificate().issuer();
      });
  m.def("load_key", &load_key, arg("src"), arg("password"));
  m.def("pdf_encrypt", &pdf_encrypt, arg("src"), arg("dst"), arg("revision"), arg("user_password"),
        arg("owner_password"), arg("permissions"), arg("encrypt_metadata"), arg("recipients"),
        arg("current_password"), arg("current_key"), arg("durable"), arg("progress"));
  m.def("pdf_decrypt", &pdf_decrypt, arg("src"), arg("dst"), arg("password"), arg("key"),
        arg("verify_perms"), arg("durable"), arg("progress"));
  m.def("pdf_info", &pdf_info, arg("src"), arg("password"), arg("key"));
  bind_protect(m);
  m.attr("__version__") = OPENRMS_VERSION_STRING;
}
