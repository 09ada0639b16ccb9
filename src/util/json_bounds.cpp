#include "util/json_bounds.hpp"

#include <fmt/format.h>

namespace st {

Result<void> check_json_bounds(std::string_view text, const JsonBounds& bounds) {
  if (text.size() > bounds.max_bytes) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("the document has {} bytes, more than the limit of {}", text.size(), bounds.max_bytes));
  }
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  std::size_t string_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      if (in_string && i - string_start > bounds.max_string_bytes) {
        return fail(ErrorCode::kInvalidInput, fmt::format("a string at byte {} is longer than the limit of {} bytes",
                                                          string_start, bounds.max_string_bytes));
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      string_start = i;
    } else if (c == '{' || c == '[') {
      if (++depth > bounds.max_depth) {
        return fail(ErrorCode::kInvalidInput,
                    fmt::format("the document is nested deeper than {} levels (at byte {})", bounds.max_depth, i));
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return {};
}

}  // namespace st
