#include "packaging/webvtt.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "util/utf8.hpp"

namespace st {
namespace {

std::optional<double> parse_number(std::string_view digits, std::size_t min_length, std::size_t max_length) {
  if (digits.size() < min_length || digits.size() > max_length) return std::nullopt;
  double value = 0;
  for (const char c : digits) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// "hh:mm:ss.ttt" or "mm:ss.ttt" (WebVTT 6.1 timestamps).
std::optional<double> parse_time(std::string_view text) {
  const auto dot = text.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto millis = parse_number(text.substr(dot + 1), 3, 3);
  std::vector<std::string_view> parts;
  std::string_view rest = text.substr(0, dot);
  while (true) {
    const auto colon = rest.find(':');
    parts.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  if (!millis || parts.size() < 2 || parts.size() > 3) return std::nullopt;
  double seconds = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool hours = parts.size() == 3 && i == 0;
    const auto value = parse_number(parts[i], 2, hours ? 9 : 2);
    if (!value || (!hours && *value > 59)) return std::nullopt;
    seconds = seconds * 60 + *value;
  }
  return seconds + *millis / 1000;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// Splits into lines, accepting LF, CRLF and CR (WebVTT 6.1).
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

}  // namespace

Result<std::vector<WebVttCue>> parse_webvtt(std::string_view raw, const WebVttLimits& limits) {
  if (raw.size() > limits.max_bytes) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("the subtitles are {} bytes, more than the limit of {}", raw.size(), limits.max_bytes));
  }
  const std::string repaired = to_valid_utf8(raw);
  std::string_view text = repaired;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a byte order mark
  if (!text.starts_with("WEBVTT") ||
      (text.size() > 6 && text[6] != ' ' && text[6] != '\t' && text[6] != '\n' && text[6] != '\r')) {
    return fail(ErrorCode::kInvalidInput, "the subtitles are not WebVTT (no WEBVTT signature)");
  }
  const auto lines = lines_of(text);
  std::vector<WebVttCue> cues;
  std::size_t i = 1;
  // The header runs to the first blank line.
  while (i < lines.size() && !trim(lines[i]).empty()) ++i;
  while (i < lines.size()) {
    while (i < lines.size() && trim(lines[i]).empty()) ++i;
    if (i >= lines.size()) break;
    // A block runs to the next blank line: an optional identifier, the
    // timing line, the payload. Blocks without timing (NOTE, STYLE, REGION,
    // garbage) are dropped.
    std::size_t end = i;
    while (end < lines.size() && !trim(lines[end]).empty()) ++end;
    std::size_t timing = i;
    if (lines[timing].find("-->") == std::string_view::npos && timing + 1 < end) ++timing;
    const auto arrow = lines[timing].find("-->");
    if (arrow == std::string_view::npos) {
      i = end;
      continue;
    }
    const auto left = trim(lines[timing].substr(0, arrow));
    auto right = trim(lines[timing].substr(arrow + 3));
    const auto space = right.find_first_of(" \t");
    const auto start_time = parse_time(left);
    const auto end_time = parse_time(right.substr(0, space));
    if (start_time && end_time && *end_time > *start_time) {
      WebVttCue cue{
          .start = *start_time,
          .end = *end_time,
          .settings = space == std::string_view::npos ? std::string() : std::string(trim(right.substr(space))),
          .text = {}};
      for (std::size_t line = timing + 1; line < end; ++line) {
        if (!cue.text.empty()) cue.text += '\n';
        cue.text += trim(lines[line]);
      }
      if (cue.text.size() + cue.settings.size() > limits.max_cue_bytes) {
        return fail(ErrorCode::kInvalidInput, fmt::format("a subtitle cue at {} is longer than {} bytes",
                                                          webvtt_time(cue.start), limits.max_cue_bytes));
      }
      if (cues.size() >= limits.max_cues) {
        return fail(ErrorCode::kInvalidInput, fmt::format("the subtitles have more than {} cues", limits.max_cues));
      }
      if (!cue.text.empty()) cues.push_back(std::move(cue));
    }
    i = end;
  }
  std::stable_sort(cues.begin(), cues.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  return cues;
}

std::string webvtt_time(double seconds) {
  if (seconds < 0) return "-";
  const auto millis = static_cast<std::int64_t>(std::llround(seconds * 1000));
  return fmt::format("{:02}:{:02}:{:02}.{:03}", millis / 3'600'000, (millis / 60'000) % 60, (millis / 1000) % 60,
                     millis % 1000);
}

namespace {

void append_cue(std::string& out, const WebVttCue& cue) {
  out += fmt::format("\n{} --> {}{}{}\n{}\n", webvtt_time(cue.start), webvtt_time(cue.end),
                     cue.settings.empty() ? "" : " ", cue.settings, cue.text);
}

}  // namespace

std::string write_webvtt(const std::vector<WebVttCue>& cues) {
  std::string out = "WEBVTT\n";
  for (const auto& cue : cues) append_cue(out, cue);
  return out;
}

std::string write_webvtt_segment(const std::vector<WebVttCue>& cues, double from, double to) {
  std::string out = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n";
  for (const auto& cue : cues) {
    // A cue across a boundary is in both segments; players show it once.
    if (cue.end > from && cue.start < to) append_cue(out, cue);
  }
  return out;
}

}  // namespace st
