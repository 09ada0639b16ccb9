#include "packaging/presentation.hpp"

namespace st {

double Track::duration_seconds() const {
  if (segments.empty()) return 0;
  const auto& last = segments.back();
  return seconds(last.start + last.duration - segments.front().start);
}

std::uint64_t Track::total_segment_bytes() const {
  std::uint64_t total = 0;
  for (const auto& segment : segments) total += segment.size_bytes;
  return total;
}

}  // namespace st
