// UTF-8 validation and repair for text that came from outside (HTTP paths,
// Kafka headers, ffmpeg's stderr) before it is put into JSON, a log line or
// the database: nlohmann::json::dump() throws on invalid UTF-8, and PostgreSQL
// refuses it (and NUL) in text columns.
#pragma once

#include <string>
#include <string_view>

namespace st {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with every ill-formed sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

// True when `text` holds a C0 control character or DEL (NUL included).
bool has_control_characters(std::string_view text);

}  // namespace st
