#include "http/query.hpp"

#include <fmt/format.h>

#include "util/utf8.hpp"

namespace st {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return fail(ErrorCode::kUsage, "a cut-off percent escape");
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return fail(ErrorCode::kUsage, "a bad percent escape");
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  if (!is_valid_utf8(out)) return fail(ErrorCode::kUsage, "the query is not UTF-8");
  return out;
}

}  // namespace

Result<QueryParams> parse_query(std::string_view query, std::size_t max_params, std::size_t max_length) {
  QueryParams params;
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const auto pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    if (params.size() == max_params)
      return fail(ErrorCode::kUsage, fmt::format("more than {} query parameters", max_params));
    if (pair.size() > max_length)
      return fail(ErrorCode::kUsage, fmt::format("a query parameter is longer than {} bytes", max_length));
    const auto equals = pair.find('=');
    auto name = decode(pair.substr(0, equals));
    if (!name) return tl::unexpected(name.error());
    auto value =
        equals == std::string_view::npos ? Result<std::string>(std::string()) : decode(pair.substr(equals + 1));
    if (!value) return tl::unexpected(value.error());
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

}  // namespace st
