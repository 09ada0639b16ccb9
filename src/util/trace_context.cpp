#include "util/trace_context.hpp"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace st {
namespace {

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::string out;
  while (out.size() < digits) out += fmt::format("{:016x}", generator());
  out.resize(digits);
  if (all_zero(out)) out.back() = '1';  // all-zero ids are invalid
  return out;
}

}  // namespace

std::string TraceParent::to_string() const {
  return fmt::format("00-{}-{}-{}", trace_id, span_id, sampled ? "01" : "00");
}

std::optional<TraceParent> parse_traceparent(std::string_view header) {
  // 2 + 1 + 32 + 1 + 16 + 1 + 2
  if (header.size() != 55 || header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  const auto version = header.substr(0, 2);
  const auto trace_id = header.substr(3, 32);
  const auto span_id = header.substr(36, 16);
  const auto flags = header.substr(53, 2);
  if (version != "00" || !is_lower_hex(trace_id) || !is_lower_hex(span_id) || !is_lower_hex(flags)) {
    return std::nullopt;
  }
  if (all_zero(trace_id) || all_zero(span_id)) return std::nullopt;
  const int flag_bits = std::stoi(std::string(flags), nullptr, 16);
  return TraceParent{std::string(trace_id), std::string(span_id), (flag_bits & 1) != 0};
}

TraceParent child_span(const std::optional<TraceParent>& parent) {
  if (parent) return TraceParent{parent->trace_id, random_hex(16), parent->sampled};
  return TraceParent{random_hex(32), random_hex(16), false};
}

}  // namespace st
