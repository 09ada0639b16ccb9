// Parsing ffmpeg's machine-readable progress (`-progress pipe:1`).
//
// ffmpeg writes blocks of key=value lines, each block closed by
// "progress=continue" or "progress=end". One ProgressParser follows one ffmpeg.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
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
// `speed` is the rate to extrapolate with (times real time); 0 takes ffmpeg's.
ProgressEstimate estimate(const EncodeProgress& progress, double total_seconds, double speed = 0);

// The encode's speed over its last few seconds. ffmpeg's own `speed` is the
// average since it started, startup included (every output opening, every
// encoder's lookahead filling before a first packet), so an ETA from it runs
// long for the whole encode; the recent rate of output time follows what the
// encoders do now.
class RecentSpeed {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RecentSpeed(std::chrono::duration<double> window = std::chrono::seconds(8)) : window_(window) {}

  // Records the output time reached at `now`; returns the speed over the
  // window, or 0 until the samples span a second of wall time.
  double update(double encoded_seconds, Clock::time_point now);

 private:
  struct Sample {
    Clock::time_point at;
    double encoded_seconds;
  };
  std::chrono::duration<double> window_;
  std::deque<Sample> samples_;  // oldest first, spanning at most the window
};

}  // namespace st
