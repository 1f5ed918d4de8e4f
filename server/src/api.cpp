#include "openrms/server/api.hpp"

#include <nlohmann/json.hpp>

#include <functional>

#include "openrms/crypto/backend.hpp"
#include "openrms/licensing/certificate.hpp"

namespace openrms::server {

namespace {

using json = nlohmann::ordered_json;
using licensing::Identity;

struct Route {
  const char* method;
  const char* path;  // "{…}" marks the one path parameter, always last
  bool needs_caller;
  const char* summary;  // for the OpenAPI document
};

constexpr Route kRoutes[] = {
    {"GET", "/v1/openapi.json", false, "This OpenAPI document"},
    {"GET", "/v1/discovery", false, "Server licensor certificates, suites and limits"},
    {"POST", "/v1/racs", true, "Enrol: a RAC for the caller's own public key"},
    {"POST", "/v1/racs/renew", true, "Renew the caller's RAC (same key pair)"},
    {"POST", "/v1/clcs", true, "A client licensor certificate for offline publishing"},
    {"POST", "/v1/acquire", true, "A use license for the caller"},
    {"POST", "/v1/revoke", true, "Revoke content the caller issued"},
    {"GET", "/v1/track/{content_id}", true, "The tracking log of content the caller issued"},
    {"GET", "/v1/templates", true, "Templates offered for new content"},
    {"GET", "/v1/templates/{id}", true, "One template"},
};

// The parameter when `path` matches the template `pattern` ("" if it has none); nullopt if not.
std::optional<std::string> match(std::string_view pattern, std::string_view path) {
  const auto brace = pattern.find('{');
  if (brace == std::string_view::npos)
    return pattern == path ? std::optional<std::string>("") : std::nullopt;
  if (path.size() <= brace || path.substr(0, brace) != pattern.substr(0, brace))
    return std::nullopt;
  std::string_view param = path.substr(brace);
  if (param.empty() || param.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(param);
}

const char* title_of(int status) {
  switch (status) {
    case 400:
      return "Bad request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 413:
      return "Request too large";
    case 415:
      return "Unsupported";
    case 422:
      return "Integrity check failed";
    default:
      return "Server error";
  }
}

// Request bytes (a path, a message quoting them) need not be UTF-8: replace what is not.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Response problem(int status, std::string_view code, std::string_view detail) {
  json j;
  j["type"] = "urn:openrms:problem:" + std::string(code);
  j["title"] = title_of(status);
  j["status"] = status;
  j["detail"] = detail;
  j["code"] = code;
  return Response{status, "application/problem+json", dump(j)};
}

Response ok(const json& j, int status = 200) {
  return Response{status, "application/json", dump(j)};
}

// A required string member of the request body.
std::string field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string())
    fail(Errc::invalid_argument, std::string("the request body needs the string \"") + name + "\"");
  return it->get<std::string>();
}

json template_json(const licensing::Template& t) {
  json j;
  j["id"] = t.id;
  j["name"] = t.name;
  j["description"] = t.description;
  j["version"] = t.version;
  j["archived"] = t.archived;
  return j;
}

}  // namespace

int http_status(Errc code) noexcept {
  switch (code) {
    case Errc::bad_format:
    case Errc::invalid_argument:
      return 400;
    case Errc::unsupported:
      return 415;
    case Errc::wrong_password:
    case Errc::rac_expired:
      return 401;
    case Errc::no_right:
    case Errc::revoked:
    case Errc::expired:
    case Errc::license_expired:
      return 403;
    case Errc::not_found:
      return 404;
    case Errc::integrity:
      return 422;
    case Errc::io:
    case Errc::crypto:
    case Errc::internal:
      return 500;
  }
  return 500;
}

Api::Api(licensing::LicenseServer& server) : server_(server) {}

std::vector<std::pair<std::string, std::string>> Api::routes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : kRoutes) out.emplace_back(r.method, r.path);
  return out;
}

std::string Api::openapi() {
  json doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "openrms licensing service"}, {"version", "1"}};
  json paths = json::object();
  for (const Route& r : kRoutes) {
    std::string method = r.method;
    for (auto& ch : method) ch = static_cast<char>(ch - 'A' + 'a');
    json op;
    op["summary"] = r.summary;
    if (r.needs_caller) op["security"] = json::array({{{"bearer", json::array()}}});
    json responses;
    responses["200"] = {{"description", "OK"}};
    responses["default"] = {
        {"description", "An RFC 9457 problem document whose code is an openrms error code"}};
    op["responses"] = responses;
    paths[r.path][method] = op;
  }
  doc["paths"] = paths;
  doc["components"]["securitySchemes"]["bearer"] = {
      {"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}};
  return doc.dump(2);
}

Response Api::handle(const Request& req, const std::optional<Caller>& caller) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  const Route* route = nullptr;
  std::string param;
  bool path_known = false;
  for (const Route& r : kRoutes) {
    auto m = match(r.path, path);
    if (!m) continue;
    path_known = true;
    if (req.method == r.method) {
      route = &r;
      param = *m;
      break;
    }
  }
  if (!route)
    return path_known ? problem(405, "invalid_argument", req.method + " is not allowed on " + path)
                      : problem(404, "not_found", "no such route: " + path);
  if (route->needs_caller && !caller)
    return problem(401, "no_right", "this route needs an authenticated caller (a bearer token)");
  if (req.body.size() > kMaxBody)
    return problem(413, "invalid_argument",
                   "the request body is larger than " + std::to_string(kMaxBody) + " bytes");
  try {
    json body;
    if (std::string_view(route->method) == "POST") {
      body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object()) fail(Errc::bad_format, "the request body must be a JSON object");
    }
    const Identity who{caller ? caller->email : std::string()};
    const std::string p = route->path;
    if (p == "/v1/openapi.json") return ok(json::parse(openapi()));
    if (p == "/v1/discovery") {
      json j;
      json slcs = json::array();
      for (const auto& slc : server_.anchors().all()) slcs.push_back(slc.xml);
      j["slcs"] = slcs;
      j["suites"] = json::array({"ecdsa-p256", "rsa-3072"});
      const auto s = server_.settings();
      j["settings"] = {{"max_use_license_days", s.max_use_license_days},
                       {"rac_validity_days", s.rac_validity_days},
                       {"clc_validity_days", s.clc_validity_days}};
      j["max_body"] = kMaxBody;
      return ok(j);
    }
    if (p == "/v1/racs") {
      std::string pem = field(body, "public_key");
      auto key = crypto::default_backend().load_public_key(crypto::as_bytes(pem));
      auto g = server_.enroll(who, &key);
      return ok({{"rac", g.rac_xml}, {"valid_until", licensing::format_time(g.rac.valid_until)}});
    }
    if (p == "/v1/racs/renew") {
      auto g = server_.renew(who, field(body, "rac"));
      return ok({{"rac", g.rac_xml}, {"valid_until", licensing::format_time(g.rac.valid_until)}});
    }
    if (p == "/v1/clcs") return ok({{"clc", server_.issue_clc(who, field(body, "rac"))}});
    if (p == "/v1/acquire")
      return ok({{"use_license",
                  server_.acquire(who, field(body, "publishing_license"), field(body, "rac"))}});
    if (p == "/v1/revoke") {
      server_.revoke(who, field(body, "content_id"));
      return Response{204, "application/json", ""};
    }
    if (p == "/v1/track/{content_id}") {
      json arr = json::array();
      for (const auto& e : server_.track(who, param))
        arr.push_back({{"time", licensing::format_time(e.time)},
                       {"user", e.user},
                       {"rights", e.rights},
                       {"outcome", e.outcome},
                       {"issuer", e.issuer},
                       {"owner", e.owner}});
      return ok(arr);
    }
    if (p == "/v1/templates") {
      json arr = json::array();
      for (const auto& t : server_.templates(false)) arr.push_back(template_json(t));
      return ok(arr);
    }
    if (p == "/v1/templates/{id}") return ok(template_json(server_.get_template(param)));
    return problem(500, "internal", "route without a handler");
  } catch (const Error& e) {
    return problem(http_status(e.code()), to_string(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return problem(500, "internal", "out of memory");
  } catch (const std::exception&) {
    return problem(500, "internal", "internal error");
  }
}

}  // namespace openrms::server
