// Bounds checked on a JSON text before any parser or validator looks inside.
//
// nlohmann::json parses iteratively, but copying, comparing and dumping a value
// recurse once per level, and valijson recurses with the document: a body of
// 100,000 '[' would exhaust a thread's stack long after the parse succeeded.
// This scan is one linear pass over the bytes with no recursion and no
// allocation, so it is safe on any input; it rejects what is too large, too
// deep or has too long a string, naming the limit. It does not validate the
// JSON itself (the parser does that next).
#pragma once

#include <cstddef>
#include <string_view>

#include "util/error.hpp"

namespace st {

struct JsonBounds {
  std::size_t max_bytes = std::size_t{1} << 20;
  int max_depth = 32;                   // nested objects and arrays
  std::size_t max_string_bytes = 4096;  // any one string, keys included, as written (escapes count)
};

// kInvalidInput ("nested deeper than 32 levels", ...) or success.
Result<void> check_json_bounds(std::string_view text, const JsonBounds& bounds);

}  // namespace st
