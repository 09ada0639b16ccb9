#include "packaging/thumbnail_track.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

namespace st {

std::string webvtt_timestamp(double seconds) {
  const auto millis = static_cast<std::int64_t>(std::llround(std::max(0.0, seconds) * 1000));
  return fmt::format("{:02}:{:02}:{:02}.{:03}", millis / 3'600'000, (millis / 60'000) % 60, (millis / 1000) % 60,
                     millis % 1000);
}

std::string write_thumbnail_track(const SpriteSheets& sprites, double duration_seconds) {
  std::string out = "WEBVTT\n";
  const int per_sheet = sprites.columns * sprites.rows;
  for (int i = 0; i < sprites.thumbnails && per_sheet > 0; ++i) {
    const auto sheet = static_cast<std::size_t>(i / per_sheet);
    if (sheet >= sprites.files.size()) break;
    const int tile = i % per_sheet;
    const double start = i * sprites.interval_seconds;
    const double end = std::min((i + 1) * sprites.interval_seconds, duration_seconds);
    if (end <= start) break;
    out += fmt::format("\n{} --> {}\n{}#xywh={},{},{},{}\n", webvtt_timestamp(start), webvtt_timestamp(end),
                       std::filesystem::path(sprites.files[sheet]).filename().string(),
                       (tile % sprites.columns) * sprites.tile_width, (tile / sprites.columns) * sprites.tile_height,
                       sprites.tile_width, sprites.tile_height);
  }
  return out;
}

}  // namespace st
