// Reads a JSON object from outside (a request body): bounded before it is
// parsed, then field by field, each checked for type and range, collecting
// every problem (naming the field) instead of stopping at the first.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/json_bounds.hpp"
#include "util/utf8.hpp"

namespace st {

// An integer within T's range, or nothing. nlohmann's get<T>() turns a
// floating-point value into an integer unchecked (1e300 is undefined
// behaviour), so integers from outside are read through this.
template <typename T>
std::optional<T> json_integer(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  } else if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  }
  return std::nullopt;
}

// A request body as a JSON object: its bounds checked before the parser runs
// (nlohmann also refuses ill-formed UTF-8); kUsage saying what is wrong.
Result<nlohmann::json> parse_json_object(const std::string& body, const JsonBounds& bounds);

class FieldReader {
 public:
  struct TextRule {
    bool required = false;
    std::size_t max_length = 256;
  };

  explicit FieldReader(const nlohmann::json& object) : object_(object), problems_(own_problems_) {}
  // Reads a nested object; its problems go to `parent`'s list with `prefix` ("source.").
  FieldReader(const nlohmann::json& object, std::string prefix, FieldReader& parent)
      : object_(object), prefix_(std::move(prefix)), problems_(parent.problems_) {}

  std::string text(const char* key, TextRule rule) {
    const auto* value = find(key);
    if (value == nullptr) {
      if (rule.required) problem(fmt::format("{}{} is required", prefix_, key));
      return {};
    }
    if (!value->is_string()) {
      problem(fmt::format("{}{} must be a string", prefix_, key));
      return {};
    }
    const auto& text = value->get_ref<const std::string&>();
    if (text.size() > rule.max_length) {
      problem(fmt::format("{}{} must be at most {} bytes long", prefix_, key, rule.max_length));
      return {};
    }
    if (has_control_characters(text)) {
      problem(fmt::format("{}{} must not contain control characters", prefix_, key));
      return {};
    }
    if (rule.required && text.empty()) problem(fmt::format("{}{} must not be empty", prefix_, key));
    return text;
  }

  // An integer within [low, high]; numbers that are not integers, or do not
  // fit in 64 bits (nlohmann reads those as floating point), are refused.
  std::optional<std::int64_t> integer(const char* key, std::int64_t low, std::int64_t high) {
    const auto* value = find(key);
    if (value == nullptr) return std::nullopt;
    const auto refuse = [&] {
      problem(fmt::format("{}{} must be an integer between {} and {}", prefix_, key, low, high));
      return std::nullopt;
    };
    if (value->is_number_unsigned()) {
      const auto number = value->get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(high)) return refuse();
      const auto signed_number = static_cast<std::int64_t>(number);
      if (signed_number < low) return refuse();
      return signed_number;
    }
    if (value->is_number_integer()) {
      const auto number = value->get<std::int64_t>();
      if (number < low || number > high) return refuse();
      return number;
    }
    return refuse();
  }

  // A finite number within [low, high].
  std::optional<double> number(const char* key, double low, double high) {
    const auto* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number() || !(value->get<double>() >= low && value->get<double>() <= high)) {
      problem(fmt::format("{}{} must be a number between {} and {}", prefix_, key, low, high));
      return std::nullopt;
    }
    return value->get<double>();
  }

  // Keys of the object that are not in `known`.
  [[nodiscard]] std::vector<std::string> unknown_keys(const std::vector<std::string>& known) const {
    std::vector<std::string> unknown;
    for (const auto& [key, value] : object_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) unknown.push_back(key);
    }
    return unknown;
  }

  const nlohmann::json* object(const char* key, bool required = false) {
    const auto* value = find(key);
    if (value == nullptr) {
      if (required) problem(fmt::format("{}{} is required", prefix_, key));
      return nullptr;
    }
    if (!value->is_object()) {
      problem(fmt::format("{}{} must be an object", prefix_, key));
      return nullptr;
    }
    return value;
  }

  const nlohmann::json* array(const char* key) {
    const auto* value = find(key);
    if (value == nullptr) return nullptr;
    if (!value->is_array()) {
      problem(fmt::format("{}{} must be an array", prefix_, key));
      return nullptr;
    }
    return value;
  }

  // Names each key outside `known` as a problem: "{prefix}{key} is not {what}".
  void refuse_unknown_keys(const std::vector<std::string>& known, std::string_view what) {
    for (const auto& key : unknown_keys(known)) {
      problem(fmt::format("{}{} is not {}", prefix_, key.size() > 64 ? key.substr(0, 64) + "..." : key, what));
    }
  }

  void problem(std::string text) { problems_.push_back(std::move(text)); }
  // kUsage listing every problem, or success.
  [[nodiscard]] Result<void> verdict() const { return verdict_of(problems_); }
  static Result<void> verdict_of(const std::vector<std::string>& problems) {
    if (problems.empty()) return {};
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
    return fail(ErrorCode::kUsage, message);
  }
  [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }

 private:
  // Absent and null are the same: not given.
  [[nodiscard]] const nlohmann::json* find(const char* key) const {
    const auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  const nlohmann::json& object_;
  std::string prefix_;
  std::vector<std::string> own_problems_;
  std::vector<std::string>& problems_;
};

}  // namespace st
