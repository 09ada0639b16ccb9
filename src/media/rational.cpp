#include "media/rational.hpp"

#include <charconv>
#include <numeric>

#include <fmt/format.h>

namespace st {
namespace {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::string Rational::to_string() const {
  const Rational r = reduced();
  return r.den == 1 ? fmt::format("{}", r.num) : fmt::format("{}/{}", r.num, r.den);
}

std::optional<Rational> Rational::parse(std::string_view text) {
  const auto sep = text.find_first_of("/:");
  if (sep == std::string_view::npos) {
    const auto n = parse_int(text);
    if (!n) return std::nullopt;
    return Rational{*n, 1};
  }
  const auto n = parse_int(text.substr(0, sep));
  const auto d = parse_int(text.substr(sep + 1));
  if (!n || !d || *d == 0) return std::nullopt;
  return Rational{*n, *d};
}

Rational Rational::reduced() const {
  const std::int64_t g = std::gcd(num, den);
  if (g == 0) return *this;
  return Rational{num / g, den / g};
}

}  // namespace st
