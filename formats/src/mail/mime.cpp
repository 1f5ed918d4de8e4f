#include "openrms/formats/mail/mime.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>

#include "../huge_pages.hpp"
#include "mime_prescan.hpp"
#include "openrms/error.hpp"
#include "openrms/text.hpp"

namespace openrms::formats::mail {

namespace {

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct GObjectUnref {
  void operator()(void* p) const {
    if (p) g_object_unref(p);
  }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

struct GFree {
  void operator()(void* p) const { g_free(p); }
};
using GString_ = std::unique_ptr<char, GFree>;

std::string str(const char* s) {
  return s ? std::string(s) : std::string();
}
[[noreturn]] void bad(const std::string& what) {
  fail(Errc::bad_format, "not a usable e-mail message: " + what);
}

const char* warning_text(GMimeParserWarning w) {
  switch (w) {
    case GMIME_WARN_TRUNCATED_MESSAGE:
      return "the message is truncated";
    case GMIME_WARN_MALFORMED_MULTIPART:
      return "a multipart has no parts";
    case GMIME_WARN_MALFORMED_MESSAGE:
      return "the message is malformed";
    case GMIME_CRIT_INVALID_HEADER_NAME:
      return "a header has an invalid name";
    case GMIME_CRIT_CONFLICTING_HEADER:
      return "a header that may appear once appears with different values";
    case GMIME_CRIT_CONFLICTING_PARAMETER:
      return "a header parameter appears with different values";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      return "a multipart has no boundary";
    case GMIME_CRIT_NESTING_OVERFLOW:
      return "MIME parts are nested too deeply";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return "a MIME part has neither headers nor content";
    default:
      return nullptr;
  }
}

struct ParseState {
  bool strict = true;
  std::string error;
};

void on_warning(gint64 offset, GMimeParserWarning code, const gchar*, gpointer user) {
  auto* st = static_cast<ParseState*>(user);
  if (!st->strict || !st->error.empty()) return;
  if (const char* t = warning_text(code))
    st->error = std::string(t) + (offset >= 0 ? " (near byte " + std::to_string(offset) + ")" : "");
}

// GMime parses from its own copy of the message (a GByteArray): huge pages for a large one.
GPtr<GMimeStream> mem_stream(ByteView data) {
  if (data.size() > 0xFFFFFFFFu) fail(Errc::unsupported, "a MIME part of 4 GiB or more");
  GByteArray* a = g_byte_array_sized_new(static_cast<guint>(data.size()));
  detail::advise_huge_pages(a->data, data.size());
  g_byte_array_append(a, data.data(), static_cast<guint>(data.size()));
  return GPtr<GMimeStream>(g_mime_stream_mem_new_with_byte_array(a));
}

Bytes stream_bytes(GMimeStream* s) {
  GByteArray* a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
  return a ? Bytes(a->data, a->data + a->len) : Bytes();
}

std::atomic<std::uint64_t> parses{0};

GPtr<GMimeMessage> parse_gmime(ByteView data, const ParseLimits& lim) {
  parses.fetch_add(1, std::memory_order_relaxed);
  init_gmime();
  if (data.size() > lim.max_size)
    bad("it is larger than the limit (" + std::to_string(lim.max_size) + " bytes)");
  if (!looks_like_message(data)) bad("it does not start with a header block");
  detail::prescan_message(data, lim);
  auto stream = mem_stream(data);
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  ParseState st;
  st.strict = lim.strict;
  GMimeParserOptions* opts = g_mime_parser_options_new();
  g_mime_parser_options_set_warning_callback(opts, on_warning, &st);
  GPtr<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), opts));
  g_mime_parser_options_free(opts);
  if (!msg) bad(st.error.empty() ? "it has no header block" : st.error);
  if (!st.error.empty()) bad(st.error);
  if (!g_mime_message_get_mime_part(msg.get())) bad("it has no body");
  return msg;
}

struct Leaf {
  GMimeObject* parent;  // a multipart, or the message itself for a single-part message
  GMimeObject* part;
  bool body;  // the chosen text/plain or text/html body
};

struct Walk {
  std::vector<Leaf> leaves;
  std::size_t max_parts;
  bool too_many = false;
};

void collect(GMimeObject* parent, GMimeObject* part, gpointer user) {
  auto* w = static_cast<Walk*>(user);
  if (GMIME_IS_MULTIPART(part)) return;
  if (w->leaves.size() >= w->max_parts) {
    w->too_many = true;
    return;
  }
  w->leaves.push_back(Leaf{parent, part, false});
}

std::string mime_type(GMimeObject* o) {
  GMimeContentType* ct = g_mime_object_get_content_type(o);
  if (!ct) return "application/octet-stream";
  GString_ s(g_mime_content_type_get_mime_type(ct));
  return ascii_lower(str(s.get()));
}

bool disposition_attachment(GMimeObject* o) {
  GMimeContentDisposition* d = g_mime_object_get_content_disposition(o);
  return d && g_mime_content_disposition_is_attachment(d);
}

std::vector<Leaf> leaves_of(GMimeMessage* msg, std::size_t max_parts) {
  Walk w{{}, max_parts};
  GMimeObject* top = g_mime_message_get_mime_part(msg);
  if (GMIME_IS_MULTIPART(top)) {
    g_mime_multipart_foreach(GMIME_MULTIPART(top), collect, &w);
  } else {
    w.leaves.push_back(Leaf{GMIME_OBJECT(msg), top, false});
  }
  if (w.too_many) bad("it has more than " + std::to_string(max_parts) + " MIME parts");
  bool have_text = false, have_html = false;
  for (Leaf& l : w.leaves) {
    if (!GMIME_IS_TEXT_PART(l.part) || disposition_attachment(l.part)) continue;
    if (GMIME_IS_PART(l.part) && g_mime_part_get_filename(GMIME_PART(l.part))) continue;
    std::string t = mime_type(l.part);
    if (t == "text/plain" && !have_text) {
      l.body = have_text = true;
    } else if (t == "text/html" && !have_html) {
      l.body = have_html = true;
    }
  }
  return w.leaves;
}

// A memory stream whose buffer starts at `hint` bytes: GMime's GByteArray otherwise grows by
// doubling, copying and touching fresh pages at each step (a 70 MB message paid for ~140 MB).
GPtr<GMimeStream> sized_stream(std::uint64_t hint) {
  const guint n = static_cast<guint>(std::min<std::uint64_t>(hint, 1u << 30));
  GByteArray* a = g_byte_array_sized_new(n);
  detail::advise_huge_pages(a->data, n);
  return GPtr<GMimeStream>(g_mime_stream_mem_new_with_byte_array(a));
}

Bytes decoded(GMimeObject* part) {
  std::uint64_t hint = 0;  // the encoded size bounds the decoded one (base64, QP, 7bit)
  if (GMIME_IS_PART(part))
    if (GMimeDataWrapper* c = g_mime_part_get_content(GMIME_PART(part)))
      if (GMimeStream* s = g_mime_data_wrapper_get_stream(c)) {
        const gint64 len = g_mime_stream_length(s);
        if (len > 0) hint = static_cast<std::uint64_t>(len);
      }
  auto out = sized_stream(hint);
  if (GMIME_IS_MESSAGE_PART(part)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
    if (inner) g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, out.get());
  } else if (GMIME_IS_PART(part)) {
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(part));
    if (content) g_mime_data_wrapper_write_to_stream(content, out.get());
  }
  return stream_bytes(out.get());
}

void add_addresses(InternetAddressList* list, std::vector<Address>& out, int depth = 0) {
  if (!list || depth > 4) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      if (addr && *addr)
        out.push_back(Address{str(internet_address_get_name(a)), ascii_lower(str(addr))});
    } else if (INTERNET_ADDRESS_IS_GROUP(a)) {
      add_addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out, depth + 1);
    }
  }
}

// `hint`: the expected size of the result (see sized_stream).
Bytes serialise(GMimeObject* o, std::uint64_t hint) {
  GMimeFormatOptions* fo = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
  auto out = sized_stream(hint);
  g_mime_object_write_to_stream(o, fo, out.get());
  g_mime_format_options_free(fo);
  return stream_bytes(out.get());
}

GMimeObject* new_part(const std::string& content_type, const std::string& filename,
                      const std::string& content_id, bool is_inline, ByteView data) {
  std::string type = content_type.empty() ? "application/octet-stream" : content_type;
  auto slash = type.find('/');
  std::string major = slash == std::string::npos ? "application" : type.substr(0, slash);
  std::string minor = slash == std::string::npos ? "octet-stream" : type.substr(slash + 1);
  GMimePart* part = g_mime_part_new_with_type(major.c_str(), minor.c_str());
  g_mime_object_set_disposition(GMIME_OBJECT(part), is_inline ? "inline" : "attachment");
  if (!filename.empty()) g_mime_part_set_filename(part, filename.c_str());
  if (!content_id.empty()) g_mime_object_set_content_id(GMIME_OBJECT(part), content_id.c_str());
  auto stream = mem_stream(data);
  GPtr<GMimeDataWrapper> wrapper(
      g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, wrapper.get());
  g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
  return GMIME_OBJECT(part);
}

GMimeObject* text_part(const char* subtype, const std::string& text) {
  GMimeTextPart* t = g_mime_text_part_new_with_subtype(subtype);
  g_mime_text_part_set_text(t, text.c_str());
  g_mime_part_set_content_encoding(GMIME_PART(t), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  return GMIME_OBJECT(t);
}

}  // namespace

std::string Address::to_string() const {
  return name.empty() ? email : "\"" + name + "\" <" + email + ">";
}

std::vector<std::string> Message::recipients() const {
  std::vector<std::string> r;
  for (const auto* list : {&to, &cc, &bcc})
    for (const Address& a : *list)
      if (std::find(r.begin(), r.end(), a.email) == r.end()) r.push_back(a.email);
  return r;
}

std::size_t Message::file_attachment_count() const {
  return static_cast<std::size_t>(std::count_if(attachments.begin(), attachments.end(),
                                                [](const Attachment& a) { return !a.is_inline; }));
}

std::uint64_t parse_count() noexcept {
  return parses.load(std::memory_order_relaxed);
}

bool looks_like_message(ByteView d) noexcept {
  // The first line must be a header field: a printable name of 1..76 characters, then ':'.
  std::size_t i = 0;
  while (i < d.size() && i < 77 && d[i] > 32 && d[i] < 127 && d[i] != ':') ++i;
  return i > 0 && i < d.size() && d[i] == ':';
}

Message parse(ByteView data, const ParseLimits& lim) {
  auto msg = parse_gmime(data, lim);
  Message m;
  m.size = data.size();
  m.subject = str(g_mime_message_get_subject(msg.get()));
  m.message_id = str(g_mime_message_get_message_id(msg.get()));
  m.date = str(g_mime_object_get_header(GMIME_OBJECT(msg.get()), "Date"));
  std::vector<Address> from;
  add_addresses(g_mime_message_get_from(msg.get()), from);
  if (from.empty()) add_addresses(g_mime_message_get_sender(msg.get()), from);
  if (from.empty()) bad("it has no From address");
  m.from = from.front();
  add_addresses(g_mime_message_get_to(msg.get()), m.to);
  add_addresses(g_mime_message_get_cc(msg.get()), m.cc);
  add_addresses(g_mime_message_get_bcc(msg.get()), m.bcc);
  add_addresses(g_mime_message_get_reply_to(msg.get()), m.reply_to);
  for (const Leaf& l : leaves_of(msg.get(), lim.max_parts)) {
    if (l.body) {
      GString_ t(g_mime_text_part_get_text(GMIME_TEXT_PART(l.part)));
      (mime_type(l.part) == "text/plain" ? m.text : m.html) = str(t.get());
      continue;
    }
    Attachment a;
    a.index = m.attachments.size();
    a.content_type = mime_type(l.part);
    if (GMIME_IS_PART(l.part)) a.filename = str(g_mime_part_get_filename(GMIME_PART(l.part)));
    if (a.filename.empty())  // e.g. an attached message (message/rfc822 is not a GMimePart)
      a.filename = str(g_mime_object_get_content_disposition_parameter(l.part, "filename"));
    if (a.filename.empty())
      a.filename = str(g_mime_object_get_content_type_parameter(l.part, "name"));
    a.content_id = str(g_mime_object_get_content_id(l.part));
    GMimeContentDisposition* d = g_mime_object_get_content_disposition(l.part);
    a.is_inline = d ? !g_mime_content_disposition_is_attachment(d) : !a.content_id.empty();
    a.data = decoded(l.part);
    m.attachments.push_back(std::move(a));
  }
  return m;
}

Bytes replace_attachments(ByteView data, const std::vector<Replacement>& repl,
                          const ParseLimits& lim, const BccView& bcc) {
  auto msg = parse_gmime(data, lim);
  if (!bcc.keep_all) {
    std::vector<Address> blind;
    add_addresses(g_mime_message_get_bcc(msg.get()), blind);
    const bool listed = std::any_of(blind.begin(), blind.end(), [&](const Address& a) {
      return ascii_lower(a.email) == ascii_lower(bcc.only);
    });
    g_mime_object_remove_header(GMIME_OBJECT(msg.get()), "Bcc");
    if (listed && !bcc.only.empty())
      g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_BCC, nullptr, bcc.only.c_str());
  }
  std::vector<Leaf> atts;
  for (const Leaf& l : leaves_of(msg.get(), lim.max_parts))
    if (!l.body) atts.push_back(l);
  for (const Replacement& r : repl) {
    if (r.index >= atts.size())
      fail(Errc::invalid_argument,
           "the message has no attachment number " + std::to_string(r.index + 1));
    const Leaf& l = atts[r.index];
    GPtr<GMimeObject> part(new_part(r.content_type, r.filename, {}, false, r.data));
    if (GMIME_IS_MULTIPART(l.parent)) {
      int at = g_mime_multipart_index_of(GMIME_MULTIPART(l.parent), l.part);
      if (at < 0) fail(Errc::internal, "attachment not found in its multipart");
      GPtr<GMimeObject> old(g_mime_multipart_replace(GMIME_MULTIPART(l.parent), at, part.get()));
    } else {
      g_mime_message_set_mime_part(msg.get(), part.get());
    }
  }
  std::uint64_t hint = data.size() + (64u << 10);
  for (const Replacement& r : repl) hint += r.data.size() / 3 * 4 + r.data.size() / 38;  // base64
  return serialise(GMIME_OBJECT(msg.get()), hint);
}

Bytes build(const NewMessage& m) {
  init_gmime();
  GPtr<GMimeMessage> msg(g_mime_message_new(TRUE));
  g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_FROM,
                             m.from.name.empty() ? nullptr : m.from.name.c_str(),
                             m.from.email.c_str());
  for (const Address& a : m.to)
    g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_TO,
                               a.name.empty() ? nullptr : a.name.c_str(), a.email.c_str());
  for (const Address& a : m.cc)
    g_mime_message_add_mailbox(msg.get(), GMIME_ADDRESS_TYPE_CC,
                               a.name.empty() ? nullptr : a.name.c_str(), a.email.c_str());
  g_mime_message_set_subject(msg.get(), m.subject.c_str(), "utf-8");
  GMimeObject* mo = GMIME_OBJECT(msg.get());
  if (m.date.empty()) {
    GDateTime* now = g_date_time_new_now_utc();
    g_mime_message_set_date(msg.get(), now);
    g_date_time_unref(now);
  } else {
    g_mime_object_set_header(mo, "Date", m.date.c_str(), nullptr);
  }
  if (m.message_id.empty()) {
    GString_ id(g_mime_utils_generate_message_id("openrms.invalid"));
    g_mime_message_set_message_id(msg.get(), id.get());
  } else {
    g_mime_message_set_message_id(msg.get(), m.message_id.c_str());
  }
  if (!m.in_reply_to.empty())
    g_mime_object_set_header(mo, "In-Reply-To", m.in_reply_to.c_str(), nullptr);
  if (!m.references.empty())
    g_mime_object_set_header(mo, "References", m.references.c_str(), nullptr);
  for (const auto& [k, v] : m.headers) g_mime_object_set_header(mo, k.c_str(), v.c_str(), "utf-8");

  GPtr<GMimeObject> html;
  if (!m.html.empty()) {
    html.reset(text_part("html", m.html));
    if (!m.related.empty()) {
      GPtr<GMimeObject> rel(GMIME_OBJECT(g_mime_multipart_new_with_subtype("related")));
      g_mime_multipart_add(GMIME_MULTIPART(rel.get()), html.get());
      for (const auto& p : m.related) {
        GPtr<GMimeObject> part(new_part(p.content_type, p.filename, p.content_id, true, p.data));
        g_mime_multipart_add(GMIME_MULTIPART(rel.get()), part.get());
      }
      html = std::move(rel);
    }
  }
  GPtr<GMimeObject> body;
  if (!m.text.empty() && html) {
    body.reset(GMIME_OBJECT(g_mime_multipart_new_with_subtype("alternative")));
    GPtr<GMimeObject> text(text_part("plain", m.text));
    g_mime_multipart_add(GMIME_MULTIPART(body.get()), text.get());
    g_mime_multipart_add(GMIME_MULTIPART(body.get()), html.get());
  } else if (html) {
    body = std::move(html);
  } else {
    body.reset(text_part("plain", m.text));
  }
  if (!m.attachments.empty()) {
    GPtr<GMimeObject> mixed(GMIME_OBJECT(g_mime_multipart_new_with_subtype("mixed")));
    g_mime_multipart_add(GMIME_MULTIPART(mixed.get()), body.get());
    for (const auto& p : m.attachments) {
      GPtr<GMimeObject> part(
          new_part(p.content_type, p.filename, p.content_id, p.is_inline, p.data));
      g_mime_multipart_add(GMIME_MULTIPART(mixed.get()), part.get());
    }
    body = std::move(mixed);
  }
  g_mime_message_set_mime_part(msg.get(), body.get());
  std::uint64_t hint = m.text.size() * 2 + m.html.size() * 2 + (64u << 10);
  for (const auto* list : {&m.related, &m.attachments})
    for (const auto& p : *list) hint += p.data.size() / 3 * 4 + p.data.size() / 38;  // base64
  return serialise(mo, hint);
}

}  // namespace openrms::formats::mail
