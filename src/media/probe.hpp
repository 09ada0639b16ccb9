// Probing and validating a source before any work is planned for it.
//
// The Prober answers one question: is this file a single, intact, supported video
// within our limits, and what does it contain? Every "no" comes back as an Error
// whose message a person can act on (ErrorCode::kInvalidInput or kLimitExceeded).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stop_token>
#include <string>
#include <string_view>

#include "media/media_info.hpp"
#include "util/error.hpp"

namespace st {

struct ProbeLimits {
  double max_duration_seconds = 6 * 3600;
  int max_width = 7680;  // 8K; larger sources are refused before decoding
  int max_height = 7680;
  double max_frame_rate = 120;
  // Below this average bit rate a file does not hold the duration it declares:
  // its timestamps jump (a frame at 0 s, the next at 30 h) and an encoder
  // would fill the gap with hours of repeated frames.
  double min_bits_per_second = 500;
  // What set each limit, for the message when a source exceeds it.
  std::string duration_limit_by = "--max-duration raises it";
  std::string size_limit_by = "--max-width/--max-height raise it";
  std::string frame_rate_limit_by = "--max-frame-rate raises it";
};

// Parses `ffprobe -print_format json -show_format -show_streams` output. Pure, so
// that every source shape can be tested with fixed JSON.
Result<MediaInfo> parse_ffprobe_json(std::string_view json, std::uint64_t size_bytes);

// Refuses what lies beyond `limits`, naming the limit and how to raise it.
Result<void> check_limits(const MediaInfo& info, const ProbeLimits& limits);

class Prober {
 public:
  explicit Prober(ProbeLimits limits, std::string ffprobe = "ffprobe")
      : limits_(std::move(limits)), ffprobe_(std::move(ffprobe)) {}

  Result<MediaInfo> probe(const std::filesystem::path& source, const std::stop_token& stop = {}) const;

  // The exact ffprobe command used, for reports.
  [[nodiscard]] std::vector<std::string> command_for(const std::filesystem::path& source) const;

 private:
  ProbeLimits limits_;
  std::string ffprobe_;
};

}  // namespace st
