// The ISO BMFF reader on init and media segments: the bytes come from ffmpeg,
// which wrote what a hostile source made it write.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "packaging/bmff.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto file = std::filesystem::temp_directory_path() / ("st-bmff-fuzz-" + std::to_string(::getpid()));
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto track = st::read_init_segment(file);
  st::TrackInfo fallback{.handler = "vide", .track_id = 1, .timescale = 90000};
  static_cast<void>(st::read_media_segment(file, track ? *track : fallback));
  static_cast<void>(st::read_sample_encryption(file, track ? *track : fallback));
  static_cast<void>(st::parse_pssh(std::span(data, size)));
  return 0;
}
