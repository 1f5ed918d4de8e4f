#include "openrms/protect/http_client.hpp"

#include <curl/curl.h>

#include <mutex>

#include "openrms/error.hpp"

namespace openrms::protect {

namespace {

struct Body {
  std::string* out;
  std::size_t max;
  bool too_large = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
  auto* b = static_cast<Body*>(user);
  const std::size_t len = size * n;
  if (b->out->size() + len > b->max) {
    b->too_large = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  b->out->append(data, len);
  return len;
}

// "https://host:port" of a URL, for messages (never its path or query).
std::string origin_of(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "the server";
  auto end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct HttpClient::Impl {
  HttpOptions opt;
  std::mutex mu;
  std::vector<CURL*> idle;  // handles keep their connections alive between requests

  CURL* take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (!h) fail(Errc::internal, "libcurl could not create a handle");
    return h;
  }
  void give_back(CURL* h) {
    std::lock_guard lock(mu);
    if (idle.size() < 64)
      idle.push_back(h);
    else
      curl_easy_cleanup(h);
  }
};

HttpClient::HttpClient(HttpOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->opt = std::move(options);
}

HttpClient::~HttpClient() {
  for (CURL* h : impl_->idle) curl_easy_cleanup(h);
}

HttpResponse HttpClient::request(std::string_view method, const std::string& url,
                                 const std::vector<std::string>& headers, std::string_view body,
                                 bool* sent) {
  if (sent) *sent = false;
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
    fail(Errc::invalid_argument,
         "a service URL starts with https:// (or http://): " + origin_of(url));
  const HttpOptions& o = impl_->opt;
  CURL* h = impl_->take();
  struct Giver {
    Impl& impl;
    CURL* h;
    ~Giver() { impl.give_back(h); }
  } giver{*impl_, h};
  curl_easy_reset(h);  // keeps the connection cache, clears the previous request's options

  HttpResponse res;
  Body sink{&res.body, o.max_response};
  curl_slist* list = nullptr;
  for (const auto& line : headers) list = curl_slist_append(list, line.c_str());
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  struct ListFree {
    curl_slist* l;
    ~ListFree() { curl_slist_free_all(l); }
  } list_free{list};
  const std::string m(method);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!o.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  if (m == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }

  const CURLcode rc = curl_easy_perform(h);
  const std::string where = origin_of(url);
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      fail(Errc::unavailable, "cannot reach " + where + ": " + curl_easy_strerror(rc));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      fail(Errc::integrity, "the TLS certificate of " + where +
                                " does not verify (give the service's CA with --ca-file): " +
                                curl_easy_strerror(rc));
    case CURLE_WRITE_ERROR:
      if (sink.too_large)
        fail(Errc::bad_format, "the response of " + where + " is larger than " +
                                   std::to_string(o.max_response) + " bytes");
      [[fallthrough]];
    default:
      if (sent) *sent = true;
      fail(Errc::unavailable, "the request to " + where + " failed: " + curl_easy_strerror(rc));
  }
  if (sent) *sent = true;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res.status);
  char* ct = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) res.content_type = ct;
  return res;
}

}  // namespace openrms::protect
