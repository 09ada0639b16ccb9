// What a tenant asks of content protection, and the names each format gives it.
//
// `scheme` picks the encryption (CENC's AES-CTR, cbcs's AES-CBC with the 1:9
// pattern, or whole-segment AES-128 for HLS clients without DRM), `systems`
// the DRM systems the manifests are signalled for, `video_keys` whether all
// video shares one key (SPEKE v2's PRESET-VIDEO-1) or SD, HD and UHD get one
// each (PRESET-VIDEO-3). Audio always has a key of its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drm/content_keys.hpp"
#include "util/error.hpp"

namespace st {

enum class ProtectionScheme { kNone, kCenc, kCbcs, kAes128 };
std::string_view to_string(ProtectionScheme scheme);  // "none", "cenc", "cbcs", "aes-128"
std::optional<ProtectionScheme> parse_protection_scheme(std::string_view text);

enum class DrmSystem { kWidevine, kPlayReady, kFairPlay, kClearKey };
std::string_view to_string(DrmSystem system);  // "widevine", "playready", "fairplay", "clearkey"
std::optional<DrmSystem> parse_drm_system(std::string_view text);
// The DRM system ID (a UUID, lowercase) of the PSSH box and DASH's
// `urn:uuid:` scheme. ClearKey's is the W3C common system's, the PSSH
// Shaka Packager writes for it.
std::string_view system_id(DrmSystem system);
// The system that a PSSH box's system ID names; none for a system we do not signal.
std::optional<DrmSystem> system_for_id(std::string_view uuid);

enum class VideoKeys { kShared, kPerResolution };

struct DrmPolicy {
  ProtectionScheme scheme = ProtectionScheme::kNone;
  std::vector<DrmSystem> systems;
  VideoKeys video_keys = VideoKeys::kShared;
  // Seconds at the start left in the clear so that playback starts before a
  // licence arrives; 0 encrypts everything.
  double clear_lead_seconds = 0;

  [[nodiscard]] bool encrypts() const { return scheme != ProtectionScheme::kNone; }
  // The key types to ask the key provider for.
  [[nodiscard]] std::vector<TrackType> key_types() const;
  // What to ask the key provider for `content_id`.
  [[nodiscard]] KeyRequest key_request(const std::string& content_id) const;
  // The key type of a video rendition of this size.
  [[nodiscard]] TrackType video_key_type(int width, int height) const;

  // kUsage naming what is wrong: an unknown system or scheme, FairPlay
  // without cbcs, systems with AES-128 or with no scheme at all.
  [[nodiscard]] Result<void> validate() const;
};

// Parses "widevine,playready" (any order, no repeats).
Result<std::vector<DrmSystem>> parse_drm_systems(std::string_view list);

}  // namespace st
