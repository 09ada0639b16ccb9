#include "packaging/bit_rates.hpp"

#include <algorithm>
#include <cmath>

namespace st {

std::uint64_t peak_segment_bit_rate(const Track& track, double target) {
  const auto& segments = track.segments;
  double peak = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::uint64_t bytes = 0;
    std::uint64_t ticks = 0;
    for (std::size_t j = i; j < segments.size(); ++j) {
      bytes += segments[j].size_bytes;
      ticks += segments[j].duration;
      const double seconds = track.seconds(ticks);
      if (seconds > 1.5 * target) break;
      if (seconds >= 0.5 * target && seconds > 0) peak = std::max(peak, 8.0 * static_cast<double>(bytes) / seconds);
    }
  }
  // A presentation shorter than half a target duration has no qualifying set:
  // its only honest figure is its average.
  if (peak == 0) return average_bit_rate(track);
  return static_cast<std::uint64_t>(std::ceil(peak));
}

std::uint64_t average_bit_rate(const Track& track) {
  const double seconds = track.duration_seconds();
  if (seconds <= 0) return 0;
  return static_cast<std::uint64_t>(std::ceil(8.0 * static_cast<double>(track.total_segment_bytes()) / seconds));
}

std::uint64_t dash_bandwidth(const Track& track, double min_buffer) {
  const auto& segments = track.segments;
  double needed = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    double bits = 0;
    for (std::size_t j = i; j < segments.size(); ++j) {
      bits += 8.0 * static_cast<double>(segments[j].size_bytes);
      // Segment j is due when playout, begun min_buffer after delivery started at
      // segment i, reaches its start.
      const double due = min_buffer + track.seconds(segments[j].start - segments[i].start);
      if (due > 0) needed = std::max(needed, bits / due);
    }
  }
  return static_cast<std::uint64_t>(std::ceil(needed));
}

void measure_bit_rates(Track& track, double target, double min_buffer) {
  track.bit_rates.average_bps = average_bit_rate(track);
  track.bit_rates.peak_bps = peak_segment_bit_rate(track, target);
  track.bit_rates.dash_bandwidth_bps = dash_bandwidth(track, min_buffer);
}

}  // namespace st
