// Parsing ffmpeg's machine-readable progress (`-progress pipe:1`).
//
// ffmpeg writes blocks of key=value lines, each block closed by
// "progress=continue" or "progress=end". One ProgressParser follows one ffmpeg.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace st {

struct EncodeProgress {
  double encoded_seconds = 0;  // output timestamp reached (out_time_us)
  double speed = 0;            // times real time; 0 while ffmpeg reports N/A
  std::int64_t frame = 0;
  bool finished = false;
};

class ProgressParser {
 public:
  // Feeds one line; returns a snapshot when the line closes a block.
  std::optional<EncodeProgress> feed(std::string_view line);

 private:
  EncodeProgress current_;
};

// How far one rendition's output is: the segments it has finished (a
// segment is finished once the muxer has started the next one), and the
// encode's percent bounded by that evidence.
struct RenditionProgress {
  std::string name;  // "720p"
  double percent = 0;
  int segments = 0;
};

// What a person wants to know, given the source's duration.
struct ProgressEstimate {
  double percent = 0;       // 0..100
  double eta_seconds = -1;  // negative while unknown
  std::vector<RenditionProgress> renditions;
};
ProgressEstimate estimate(const EncodeProgress& progress, double total_seconds);

}  // namespace st
