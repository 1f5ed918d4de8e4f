// The portal's HTML sanitiser (server/html_sanitize.hpp) on arbitrary bodies. Whatever the input,
// the output may hold only allow-listed tags, no "<script", no "javascript:" and no event
// handler attribute ("on…="), and it must come back within the input limit: never a crash, a
// hang or unbounded growth.
#include <cstdlib>
#include <string>

#include "openrms/error.hpp"
#include "openrms/server/html_sanitize.hpp"

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool has_event_handler(const std::string& s) {
  for (std::size_t p = s.find(" on"); p != std::string::npos; p = s.find(" on", p + 1)) {
    std::size_t q = p + 3;
    while (q < s.size() && s[q] >= 'a' && s[q] <= 'z') ++q;
    if (q > p + 3 && q < s.size() && s[q] == '=') {
      // Inside a tag only: after the last '<' before p there is no '>'.
      const auto lt = s.rfind('<', p), gt = s.rfind('>', p);
      if (lt != std::string::npos && (gt == std::string::npos || gt < lt)) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (256u << 10)) return 0;
  const std::string in(reinterpret_cast<const char*>(data), size);
  openrms::server::SanitizeOptions o;
  o.cid_url = [](std::string_view cid) { return "/portal/inline?cid=" + std::string(cid); };
  std::string out;
  try {
    out = lower(openrms::server::sanitize_html(in, o));
  } catch (const openrms::Error&) {
    return 0;
  }
  if (out.find("<script") != std::string::npos || out.find("javascript:") != std::string::npos ||
      out.find("<iframe") != std::string::npos || out.find("<style") != std::string::npos ||
      has_event_handler(out))
    std::abort();
  // Escaping may grow text (each '<' becomes "&lt;"), never beyond a fixed factor.
  if (out.size() > 8 * in.size() + 64) std::abort();
  return 0;
}
