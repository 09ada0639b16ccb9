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
#include <stop_token>

#include "drm/content_keys.hpp"
#include "drm/drm_policy.hpp"
#include "packaging/presentation.hpp"
#include "pipeline/encoder.hpp"
#include "pipeline/ladder.hpp"
#include "pipeline/segment_encryptor.hpp"
#include "util/error.hpp"

namespace st {

// Content protection of one job: the tenant's policy, the keys fetched for
// it, and where players get licences.
struct ProtectionPlan {
  DrmPolicy policy;
  ContentKeys keys;
  ProtectionSignalling signalling;
};

class Packager {
 public:
  Packager() = default;
  explicit Packager(EncryptorOptions encryptor) : encryptor_(std::move(encryptor)) {}

  // `sprites`: trick-play sheets already written under `root` (SpriteMaker), to describe.
  // `protection`: encrypt every video and audio track before describing it.
  Result<Presentation> package(const EncodeCommand& encoded, const Ladder& ladder, double segment_seconds,
                               const std::filesystem::path& root,
                               const std::optional<SpriteSheets>& sprites = std::nullopt,
                               const ProtectionPlan* protection = nullptr, const std::stop_token& stop = {});

  // The packager's command lines of the last package() (no key in them), for the report.
  [[nodiscard]] const std::vector<std::vector<std::string>>& commands() const { return commands_; }

 private:
  // Encrypts every video and audio track of `p` in place, and says how in `p`.
  Result<void> encrypt_tracks(Presentation& p, const ProtectionPlan& protection, double segment_seconds,
                              const std::filesystem::path& root, const std::filesystem::path& scratch,
                              const std::stop_token& stop);

  EncryptorOptions encryptor_;
  std::vector<std::vector<std::string>> commands_;
};

}  // namespace st
