// The WebVTT thumbnail track of the sprite sheets: one cue per tile, its
// payload the sheet and the tile's rectangle as a media fragment
// ("sprite-00001.jpg#xywh=160,0,160,90"), the form web players read
// (Shaka's addThumbnailsTrack, video.js and JW Player thumbnails).
#pragma once

#include <string>

#include "packaging/presentation.hpp"

namespace st {

// Cue times run from 0 to `duration_seconds`; sheet names are relative to the track's folder.
std::string write_thumbnail_track(const SpriteSheets& sprites, double duration_seconds);

}  // namespace st
