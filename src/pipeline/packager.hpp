// Turns the encoder's scratch output into the published layout and manifests.
//
// The encoder leaves numbered representations in a scratch folder; the Packager
// moves each one into its rendition folder (docs/outputs.md), reads every
// segment's real duration and size from the files, checks that video segments
// start with a keyframe at the same instants in every rendition, measures bit
// rates, and writes the HLS playlists and the DASH MPD last.
#pragma once

#include <filesystem>
#include <optional>

#include "packaging/presentation.hpp"
#include "pipeline/encoder.hpp"
#include "pipeline/ladder.hpp"
#include "util/error.hpp"

namespace st {

class Packager {
 public:
  // `sprites`: trick-play sheets already written under `root` (SpriteMaker), to describe.
  Result<Presentation> package(const EncodeCommand& encoded, const Ladder& ladder, double segment_seconds,
                               const std::filesystem::path& root,
                               const std::optional<SpriteSheets>& sprites = std::nullopt) const;
};

}  // namespace st
