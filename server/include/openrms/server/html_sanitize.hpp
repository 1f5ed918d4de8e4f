// The allow-list HTML sanitiser the portal shows message bodies through (portal.hpp).
//
// The input is parsed by a real HTML parser (libxml2's, which recovers malformed markup as
// browsers do), never by pattern matching; the output is written from the parsed tree, so what
// comes out is well-formed and holds only:
//   - elements of an allow-list (text structure, lists, tables, inline formatting, links,
//     images); script, style, template, iframe, object, embed, form controls, svg, math, meta,
//     link, base and the like are dropped with everything inside them; other unknown elements
//     are dropped but their text is kept;
//   - attributes of an allow-list: alt, title, colspan, rowspan, dir, lang, and href on <a>
//     (http, https and mailto only; rel="noopener noreferrer" and target="_blank" are added).
//     No event handlers, no style, no class or id. <img> is kept only for cid: sources, which
//     are rewritten through `cid_url` (empty: images are replaced by their alt text), so a body
//     never loads anything remote;
//   - text escaped for HTML.
// Nesting deeper than 64 elements is flattened to text; input over max_input bytes is refused
// (Errc::invalid_argument) before parsing.
// Errors: Error{bad_format} only if the parser cannot make a document at all.
// Thread safety: sanitize_html may be called concurrently.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace openrms::server {

struct SanitizeOptions {
  std::size_t max_input = 4u << 20;
  /// Maps an image's Content-ID (without "cid:") to the URL to show it from; empty: no image.
  std::function<std::string(std::string_view cid)> cid_url;
};

/// The body's sanitised markup (a fragment: no <html>, <head> or <body>).
std::string sanitize_html(std::string_view html, const SanitizeOptions& options = {});

}  // namespace openrms::server
