#include "openrms/server/mailer.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>

#include "openrms/error.hpp"

namespace openrms::server {

namespace {

struct Upload {
  std::string_view data;
  std::size_t at = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t len = std::min(size * n, u->data.size() - u->at);
  std::memcpy(buf, u->data.data() + u->at, len);
  u->at += len;
  return len;
}

bool starts_with(const std::string& s, std::string_view p) {
  return s.rfind(p, 0) == 0;
}

}  // namespace

SmtpMailer::SmtpMailer(SmtpOptions options) : opt_(std::move(options)) {
  const bool smtps = starts_with(opt_.url, "smtps://");
  if (!smtps && !starts_with(opt_.url, "smtp://"))
    fail(Errc::invalid_argument, "the SMTP relay must be an smtp:// or smtps:// URL");
  if (opt_.starttls != "required" && opt_.starttls != "off")
    fail(Errc::invalid_argument, "SMTP STARTTLS must be \"required\" or \"off\"");
  if (!opt_.username.empty() && !smtps && opt_.starttls == "off" && !opt_.allow_plain_auth)
    fail(Errc::invalid_argument,
         "SMTP credentials would travel in the clear: use smtps:// or STARTTLS");
}

void SmtpMailer::send(const std::string& from, const std::string& to, std::string_view rfc5322) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> h(curl_easy_init(), curl_easy_cleanup);
  if (!h) fail(Errc::internal, "libcurl could not make a handle");
  CURL* c = h.get();
  Upload up{rfc5322};
  const std::string mail_from = "<" + from + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt, curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_URL, opt_.url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(rfc5322.size()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(opt_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (starts_with(opt_.url, "smtp://") && opt_.starttls == "required")
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!opt_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, opt_.ca_file.c_str());
  if (!opt_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, opt_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, opt_.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    // The relay's host is in the URL the operator configured; say it, and its reply code.
    std::string where = opt_.url.substr(0, opt_.url.find('/', opt_.url.find("//") + 2));
    fail(Errc::unavailable, "the SMTP relay " + where + " did not take the message (" +
                                curl_easy_strerror(rc) +
                                (code ? ", reply " + std::to_string(code) : std::string()) + ")");
  }
}

}  // namespace openrms::server
