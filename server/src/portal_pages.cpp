#include "portal_pages.hpp"

#include "openrms/text.hpp"

#include <cstdio>

namespace openrms::server::pages {

namespace {

using html::Builder;
using licensing::Right;

bool is_hex_colour(std::string_view c) {
  if (c.size() != 7 || c[0] != '#') return false;
  for (char x : c.substr(1))
    if (!((x >= '0' && x <= '9') || (x >= 'a' && x <= 'f') || (x >= 'A' && x <= 'F'))) return false;
  return true;
}

// Only http(s) links reach an href (a javascript: URL in a branding template runs nothing).
bool is_web_url(std::string_view u) {
  return u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0;
}

void csrf_field(Builder& h, std::string_view token) {
  h.raw("<input type=\"hidden\" name=\"csrf\"").attr("value", token).raw(">");
}

std::string human_size(std::size_t n) {
  char buf[32];
  if (n < 1024)
    std::snprintf(buf, sizeof buf, "%zu bytes", n);
  else if (n < (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(n) / 1024);
  else
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(n) / (1u << 20));
  return buf;
}

std::string addresses(const std::vector<formats::mail::Address>& v) {
  std::string out;
  for (const auto& a : v) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}

}  // namespace

std::string layout(const Brand& b, std::string_view title, const Builder& body) {
  Builder h;
  h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
      .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
      .raw("<title>")
      .text(title)
      .raw("</title><link rel=\"stylesheet\" href=\"/portal/static/portal.css\">");
  if (!b.message_id.empty())
    h.raw("<link rel=\"stylesheet\"").attr("href", "/portal/brand.css?id=" + b.message_id).raw(">");
  h.raw("</head><body><header>");
  if (!b.config.logo.empty() && !b.message_id.empty())
    h.raw("<img class=\"logo\" alt=\"\"").attr("src", "/portal/logo?id=" + b.message_id).raw(">");
  h.raw("</header><main>").append(body).raw("</main><footer>");
  if (!b.config.disclaimer_text.empty()) h.raw("<p>").text(b.config.disclaimer_text).raw("</p>");
  if (is_web_url(b.config.privacy_statement_url))
    h.raw("<p><a").attr("href", b.config.privacy_statement_url).raw(">Privacy statement</a></p>");
  h.raw("<p>Protected with openrms.</p></footer></body></html>\n");
  return h.take();
}

Builder start(const Brand& b, std::string_view sender, bool otp_enabled, std::string_view sign_in,
              std::string_view csrf, std::string_view error) {
  Builder h;
  h.raw("<h1>Read your protected message</h1><p>");
  if (b.config.introduction_text.empty())
    h.text(sender).raw(" has sent you a protected message.");
  else
    h.text(b.config.introduction_text);
  h.raw("</p>");
  if (!b.config.portal_text.empty()) h.raw("<p>").text(b.config.portal_text).raw("</p>");
  if (!error.empty()) h.raw("<p class=\"error\" role=\"alert\">").text(error).raw("</p>");
  if (!sign_in.empty())
    h.raw("<p><a class=\"button\"")
        .attr("href", "/portal/oidc/start?id=" + percent_encode(b.message_id))
        .raw(">Sign in with ")
        .text(sign_in)
        .raw("</a></p>");
  if (!otp_enabled) {
    if (sign_in.empty())
      h.raw(
          "<p>One-time passcodes are turned off for this message: open it in an openrms client "
          "signed in to the sender's organisation.</p>");
    return h;
  }
  if (!sign_in.empty()) h.raw("<p class=\"hint\">Or get a one-time passcode by e-mail:</p>");
  h.raw("<form method=\"post\" action=\"/portal/code\">");
  csrf_field(h, csrf);
  h.raw("<input type=\"hidden\" name=\"id\"").attr("value", b.message_id).raw(">");
  h.raw("<label for=\"address\">Your e-mail address</label>")
      .raw(
          "<input id=\"address\" name=\"address\" type=\"email\" autocomplete=\"email\" "
          "required maxlength=\"254\">")
      .raw(
          "<p class=\"hint\">We will send a one-time passcode to this address if the message "
          "was sent to it.</p><button type=\"submit\">")
      .text(b.config.read_button_text.empty() ? "Send me a passcode" : b.config.read_button_text)
      .raw("</button></form>");
  return h;
}

Builder signed_in(std::string_view address) {
  Builder h;
  h.raw("<meta http-equiv=\"refresh\" content=\"0; url=/portal/message\">")
      .raw("<h1>Signed in</h1><p>You are signed in as <strong>")
      .text(address)
      .raw(
          "</strong>.</p><p><a class=\"button\" href=\"/portal/message\">Read the message</a></p>");
  return h;
}

std::string duration_text(std::chrono::seconds d) {
  const auto n = d.count();
  if (n % 60 != 0) return std::to_string(n) + (n == 1 ? " second" : " seconds");
  return std::to_string(n / 60) + (n == 60 ? " minute" : " minutes");
}

Builder enter_code(const Brand& b, std::string_view address, std::chrono::seconds validity,
                   std::string_view csrf, std::string_view error) {
  Builder h;
  h.raw("<h1>Enter your passcode</h1><p>If <strong>")
      .text(address)
      .raw(
          "</strong> is one of the message's recipients, a passcode is on its way there. It is "
          "valid for ")
      .text(duration_text(validity))
      .raw(" and works once.</p>");
  if (!error.empty()) h.raw("<p class=\"error\" role=\"alert\">").text(error).raw("</p>");
  h.raw("<form method=\"post\" action=\"/portal/verify\">");
  csrf_field(h, csrf);
  h.raw("<input type=\"hidden\" name=\"id\"").attr("value", b.message_id).raw(">");
  h.raw("<input type=\"hidden\" name=\"address\"").attr("value", address).raw(">");
  h.raw("<label for=\"code\">Passcode</label>")
      .raw(
          "<input id=\"code\" name=\"code\" inputmode=\"numeric\" "
          "autocomplete=\"one-time-code\" required maxlength=\"12\">")
      .raw("<button type=\"submit\">Continue</button></form>");
  h.raw("<form method=\"post\" action=\"/portal/code\" class=\"secondary\">");
  csrf_field(h, csrf);
  h.raw("<input type=\"hidden\" name=\"id\"").attr("value", b.message_id).raw(">");
  h.raw("<input type=\"hidden\" name=\"address\"").attr("value", address).raw(">");
  h.raw("<button type=\"submit\">Send a new passcode</button></form>");
  return h;
}

Builder notice(std::string_view title, std::string_view text) {
  Builder h;
  h.raw("<h1>").text(title).raw("</h1><p>").text(text).raw("</p>");
  return h;
}

bool may_download(const protect::mail::OpenedMessage& o,
                  const protect::mail::DeliveredAttachment& a) {
  if (a.protection != protect::Container::none) return o.can(Right::view);
  return o.can(Right::forward) && o.can(Right::extract);
}

Builder message(const Brand& b, const protect::mail::OpenedMessage& o, std::string_view address,
                std::string_view csrf) {
  (void)b;
  const auto& m = o.message();
  Builder h;
  // Without PRINT the message does not print (a browser's own print shows nothing of it).
  if (!o.can(Right::print))
    h.raw("<div class=\"noprint\">");
  else
    h.raw("<div>");
  h.raw("<h1>").text(m.subject.empty() ? "(no subject)" : m.subject).raw("</h1>");
  h.raw("<dl class=\"headers\"><dt>From</dt><dd>").text(m.from.to_string()).raw("</dd>");
  if (!m.to.empty()) h.raw("<dt>To</dt><dd>").text(addresses(m.to)).raw("</dd>");
  if (!m.cc.empty()) h.raw("<dt>Cc</dt><dd>").text(addresses(m.cc)).raw("</dd>");
  if (!m.date.empty()) h.raw("<dt>Date</dt><dd>").text(m.date).raw("</dd>");
  h.raw("</dl><p class=\"rights\">");
  if (!o.can(Right::forward))
    h.raw("Do not forward: this message cannot be forwarded, printed or copied.");
  else
    h.raw("This message is encrypted. You are reading it as ").text(address).raw(".");
  h.raw("</p>");
  // A formatted body is shown sanitised (html_sanitize.hpp) and, besides, inside a sandboxed
  // frame of its own: no script could run there even if one got through.
  if (!m.html.empty()) {
    h.raw(
        "<iframe class=\"body\" sandbox=\"allow-popups allow-popups-to-escape-sandbox\" "
        "src=\"/portal/body\" title=\"Message body\"></iframe>");
  } else if (!m.text.empty()) {
    h.raw("<pre class=\"body\">").text(m.text).raw("</pre>");
  }
  std::size_t k = 0;
  bool any = false;
  for (const auto& a : o.attachments()) {
    if (a.is_inline) continue;
    if (!any) h.raw("<h2>Attachments</h2><ul class=\"attachments\">");
    any = true;
    const std::string name = a.filename.empty() ? "attachment" : a.filename;
    h.raw("<li>");
    if (may_download(o, a))
      h.raw("<a")
          .attr("href", "/portal/attachment?n=" + std::to_string(k))
          .raw(">")
          .text(name)
          .raw("</a>");
    else
      h.text(name);
    h.raw(" <span class=\"hint\">(").text(human_size(a.data.size()));
    if (a.protection != protect::Container::none) h.raw(", stays protected");
    if (!may_download(o, a)) h.raw(", download not allowed");
    h.raw(")</span></li>");
    ++k;
  }
  if (any) h.raw("</ul>");
  h.raw("</div>");
  if (o.can(Right::reply)) {
    h.raw("<form method=\"post\" action=\"/portal/reply\">");
    csrf_field(h, csrf);
    h.raw(
        "<label for=\"reply\">Reply</label><textarea id=\"reply\" name=\"text\" rows=\"6\" "
        "required maxlength=\"65536\"></textarea><p class=\"hint\">The reply is protected "
        "as this message is.</p><button type=\"submit\" name=\"all\" value=\"0\">Reply</button>");
    if (o.can(Right::replyall))
      h.raw(" <button type=\"submit\" name=\"all\" value=\"1\">Reply all</button>");
    h.raw("</form>");
  }
  // Print is an action only with PRINT; the script is the portal's one static file (the CSP
  // allows no other and no inline script).
  if (o.can(Right::print))
    h.raw(
        "<button type=\"button\" id=\"print\" class=\"secondary\">Print</button>"
        "<script src=\"/portal/static/portal.js\"></script>");
  h.raw("<form method=\"post\" action=\"/portal/signout\" class=\"secondary\">");
  csrf_field(h, csrf);
  h.raw("<button type=\"submit\">Sign out</button></form>");
  return h;
}

std::string attachment_disposition(std::string_view filename) {
  // An ASCII fallback for old clients, and the exact name as an RFC 8187 ext-value.
  std::string ascii;
  for (unsigned char c : filename) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    ascii += plain ? static_cast<char>(c) : '_';
  }
  if (ascii.empty()) return "attachment; filename=\"attachment\"";
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + percent_encode(filename);
}

std::string image_type(const protect::mail::Bytes& b) {
  if (b.size() >= 4 && b[0] == 0x89) return "image/png";
  if (b.size() >= 3 && b[0] == 0xFF) return "image/jpeg";
  return "image/gif";
}

std::string portal_js() {
  return "'use strict';\n"
         "const p = document.getElementById('print');\n"
         "if (p) p.addEventListener('click', () => window.print());\n";
}

std::string portal_css() {
  return "body{margin:0;font-family:system-ui,sans-serif;font-size:1.05rem;line-height:1.5;"
         "color:#1b1b1b;background:#f3f4f6}"
         "header,main,footer{max-width:44rem;margin:0 auto;padding:1rem}"
         "main{background:#fff;border-radius:6px}"
         "img.logo{max-height:64px;max-width:100%}"
         "h1{font-size:1.5rem;margin-top:0}"
         "label{display:block;font-weight:600;margin-top:1rem}"
         "input,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.6rem;border:2px "
         "solid #555;"
         "border-radius:4px}"
         "input:focus,button:focus,a:focus{outline:3px solid #0b5cad;outline-offset:2px}"
         "button,a.button{font:inherit;margin-top:1rem;padding:.6rem 1.2rem;border:0;"
         "border-radius:4px;background:#0b5cad;color:#fff;cursor:pointer;display:inline-block;"
         "text-decoration:none}"
         "form.secondary button,button.secondary{background:#e5e7eb;color:#1b1b1b}"
         ".error{color:#a4000f;font-weight:600}.hint{color:#4b5563}"
         "dl.headers{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}"
         "dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}"
         "iframe.body{width:100%;min-height:24rem;border:0;border-top:1px solid #d1d5db}"
         "pre.body{white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit;"
         "border-top:1px solid #d1d5db;padding-top:1rem}"
         ".rights{background:#fff7e0;padding:.5rem;border-radius:4px}"
         "footer{font-size:.9rem;color:#374151}"
         "@media print{.noprint{display:none}form,button{display:none}}\n";
}

std::string brand_css(const Brand& b) {
  if (!is_hex_colour(b.config.background_color)) return "\n";
  return "body{background-color:" + b.config.background_color + "}\n";
}

std::string body_document(std::string_view sanitized) {
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>";
  out += sanitized;  // markup written by the sanitiser from its allow-list
  out += "</body></html>\n";
  return out;
}

}  // namespace openrms::server::pages
