// Internet messages (RFC 5322, MIME RFC 2045–2049) for mail protection, parsed and written with
// GMime 3 (no hand-written MIME). openrms never re-serialises a message it protects — the
// original bytes are encrypted as they are — so GMime is used to read what the message says
// (addresses, subject, bodies, attachments), to rebuild a message with some attachments swapped,
// and to write new messages (the protected wrapper, replies).
//
// Attachments: every leaf part except the chosen bodies (the first text/plain and text/html that
// are not marked as attachments), in document order; an attached message (message/rfc822) is one
// attachment. `is_inline` marks parts with Content-Disposition inline (images the HTML shows).
//
// Errors (openrms::Error): bad_format for input that is not a usable message: no From header,
// conflicting or invalid headers, a multipart without boundary or without parts, truncated,
// nesting beyond the limit, larger than the limit; invalid_argument for a bad replacement index.
// Never crashes on hostile input; memory is bounded by the input size (GMime decodes in memory).
// Thread safety: reentrant (GMime is initialised once, thread-safely).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "openrms/crypto/secure.hpp"

namespace openrms::formats::mail {

using crypto::Bytes;
using crypto::ByteView;

struct Address {
  std::string name;               ///< display name, decoded to UTF-8 (may be empty)
  std::string email;              ///< lower-case addr-spec
  std::string to_string() const;  ///< "Name <email>" or "email"
};

struct Attachment {
  std::size_t index = 0;     ///< position among the attachments (document order)
  std::string filename;      ///< decoded (RFC 2231 / 2047); may be empty
  std::string content_type;  ///< lower-case "type/subtype"
  std::string content_id;    ///< without angle brackets; may be empty
  bool is_inline = false;    ///< Content-Disposition: inline
  Bytes data;                ///< the decoded content
};

struct Message {
  std::string subject, message_id, date;  ///< as decoded by GMime; may be empty
  Address from;                           ///< the first From address
  std::vector<Address> to, cc, bcc, reply_to;
  std::string text, html;  ///< the chosen bodies, UTF-8; empty if absent
  std::vector<Attachment> attachments;
  std::uint64_t size = 0;  ///< bytes of the raw message

  /// To, Cc and Bcc addresses, lower-case, without duplicates, in header order.
  std::vector<std::string> recipients() const;
  /// Attachments that are not inline (what a user sees as attached files).
  std::size_t file_attachment_count() const;
};

/// What parse() accepts. The size and count limits are checked by a linear scan before GMime
/// builds anything (GMime's tree costs about 1.4 KB per part and 2 KB per header field), so a
/// small message cannot cost more than a bounded multiple of these.
struct ParseLimits {
  /// Larger input: bad_format. 64 MiB: above Exchange Online's default receive limit (36 MB)
  /// and Gmail's (25 MB); mail gateways configure theirs (IrmConfiguration::max_message_mb).
  std::uint64_t max_size = 64ull << 20;
  std::size_t max_parts = 10000;
  std::size_t max_header_fields = 1000;         ///< in one header block
  std::size_t max_total_header_fields = 20000;  ///< in the message and all its parts
  bool strict = true;  ///< GMime's critical warnings and truncation are errors
};

/// Parses an RFC 5322 message.
Message parse(ByteView rfc5322, const ParseLimits& limits = {});

/// How many messages this process has parsed (every function here that reads a message
/// counts one). A diagnostic: tests use it to show that opening a protected message parses the
/// wrapper once and the original once.
std::uint64_t parse_count() noexcept;

/// True if `rfc5322` plausibly starts with a header block (cheap check, no parsing).
bool looks_like_message(ByteView rfc5322) noexcept;

/// One attachment to swap in.
struct Replacement {
  std::size_t index = 0;  ///< Attachment::index in parse()'s numbering
  std::string filename;
  std::string content_type;
  ByteView data;
};

/// What a recipient's copy shows of the Bcc header: blind copies are not disclosed to the other
/// recipients (RFC 5322 §3.6.3); a Bcc recipient may see their own address.
struct BccView {
  bool keep_all = true;  ///< the sender's own copy
  std::string only;      ///< with keep_all false: this address stays if it was a Bcc
};

/// The message with the given attachments replaced by new parts (Content-Disposition:
/// attachment, base64) and its Bcc header as `bcc` says; the rest as GMime writes it back
/// (structure and bodies unchanged).
Bytes replace_attachments(ByteView rfc5322, const std::vector<Replacement>& replacements,
                          const ParseLimits& limits = {}, const BccView& bcc = {});

/// A new message to write.
struct NewMessage {
  Address from;
  std::vector<Address> to, cc;
  std::string subject;
  std::string date;        ///< RFC 5322 date; empty: now
  std::string message_id;  ///< without brackets; empty: generated
  std::string in_reply_to, references;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers
  std::string text, html;  ///< multipart/alternative when both are given
  struct Part {
    std::string filename, content_type, content_id;
    bool is_inline = false;
    Bytes data;
  };
  std::vector<Part> related;      ///< inline parts for the HTML (multipart/related, by cid)
  std::vector<Part> attachments;  ///< multipart/mixed
};

/// Writes `m` as an RFC 5322 message (CRLF line ends, base64 for binary parts,
/// quoted-printable for text).
Bytes build(const NewMessage& m);

}  // namespace openrms::formats::mail
