// An exact ratio, as ffprobe reports frame rates ("30000/1001") and aspect ratios.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace st {

struct Rational {
  std::int64_t num = 0;
  std::int64_t den = 1;

  [[nodiscard]] bool valid() const { return num > 0 && den > 0; }
  [[nodiscard]] double value() const { return den != 0 ? static_cast<double>(num) / static_cast<double>(den) : 0.0; }
  // "30000/1001", or "25" when the denominator is one.
  [[nodiscard]] std::string to_string() const;
  // Parses "N/D", "N:D" or an integer; nullopt for anything else or a zero denominator.
  static std::optional<Rational> parse(std::string_view text);
  // The same ratio in lowest terms.
  [[nodiscard]] Rational reduced() const;

  friend bool operator==(const Rational& a, const Rational& b) { return a.num * b.den == b.num * a.den; }
};

}  // namespace st
