#include "packaging/thumbnail_track.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "packaging/webvtt.hpp"

namespace st {

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
    out += fmt::format("\n{} --> {}\n{}#xywh={},{},{},{}\n", webvtt_time(start), webvtt_time(end),
                       std::filesystem::path(sprites.files[sheet]).filename().string(),
                       (tile % sprites.columns) * sprites.tile_width, (tile / sprites.columns) * sprites.tile_height,
                       sprites.tile_width, sprites.tile_height);
  }
  return out;
}

}  // namespace st
