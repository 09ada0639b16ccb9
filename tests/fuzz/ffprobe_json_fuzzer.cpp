// ffprobe's JSON description of a file: its fields come from the file, which
// an uploader chose.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "media/probe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto info = st::parse_ffprobe_json(std::string_view(reinterpret_cast<const char*>(data), size), size * 1000);
  if (info) static_cast<void>(st::check_limits(*info, st::ProbeLimits{}));
  return 0;
}
