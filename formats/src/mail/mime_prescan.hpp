// Internal: a linear structural check of a message before GMime builds its tree.
//
// GMime builds the whole object tree first (about 1.4 KB per part, 2 KB per header field), so
// limits checked on the tree come after the memory was spent: 10 MB of tiny parts cost 1.4 GB.
// This scan bounds, in one pass and constant memory per declared boundary, what GMime will
// build: header fields per header block and in all (top-level, part and attached-message
// headers), and parts (lines that are a declared multipart boundary; when a boundary is
// declared in RFC 2231 encoded form, which this scan does not decode, every line that starts
// with "--" counts). It over-counts, never under-counts, what GMime sees.
#pragma once

#include <cstddef>

#include "openrms/formats/mail/mime.hpp"

namespace openrms::formats::detail {

/// Throws Error{bad_format} naming the limit the message exceeds.
void prescan_message(crypto::ByteView message, const mail::ParseLimits& limits);

}  // namespace openrms::formats::detail
