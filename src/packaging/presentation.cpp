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

const ProtectionHeader* TrackProtection::header_for(DrmSystem system) const {
  for (const auto& header : headers) {
    if (header.system == system) return &header;
  }
  return nullptr;
}

std::string with_key_id(std::string_view uri_template, const KeyId& kid) {
  std::string out(uri_template);
  for (auto at = out.find("{kid}"); at != std::string::npos; at = out.find("{kid}", at)) out.replace(at, 5, kid.hex());
  return out;
}

}  // namespace st
