// The little XML this service writes (the DASH MPD, S3 request bodies).
#pragma once

#include <string>
#include <string_view>

namespace st {

// Escapes &, <, > and " so that `text` is safe in element content and in
// double-quoted attribute values.
std::string xml_escape(std::string_view text);

}  // namespace st
