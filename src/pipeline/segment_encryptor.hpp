// Encrypts one packaged track's CMAF files in place with Shaka Packager.
//
// Encryption is the field's standard packager's job, not ours: it knows
// every NAL unit type that must stay clear, the cbcs pattern, the IV rules of
// each scheme and the PSSH formats of Widevine and PlayReady, and it is what
// DRM vendors test against. It is given our segments joined into one
// fragmented MP4 and cuts them again: video on the same keyframes, audio on
// its own rule (the first frame at or after each boundary, where ffmpeg cut
// at the first after it). The Packager then checks every fragment (video:
// the clear one's start and duration; audio: the same timeline, without gap;
// both: one 'senc' entry per sample) before it describes it.
//
// Keys reach the packager through a flag file readable by us alone (never its
// command line, which every local user can read in /proc) that is deleted as
// soon as the packager exits.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

#include "drm/content_keys.hpp"
#include "drm/drm_policy.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace st {

struct EncryptorOptions {
  // Shaka Packager's binary, looked up on PATH unless it is a path.
  std::string packager = "packager";
  ProcessLimits limits{.wall_time = std::chrono::minutes(10)};
};

// How one track is encrypted.
struct TrackEncryption {
  ProtectionScheme scheme = ProtectionScheme::kCbcs;
  std::vector<DrmSystem> systems;
  // With the key server's PSSH boxes (`key.pssh`), put in the init segment
  // as they are; without them the packager writes its own for `systems`.
  KeyEntry key;
  double clear_lead_seconds = 0;
};

// What the packager was given: argv (no key in it) and the files it wrote.
struct EncryptedFiles {
  std::vector<std::string> argv;
  std::filesystem::path init;
  std::vector<std::filesystem::path> segments;
};

class SegmentEncryptor {
 public:
  explicit SegmentEncryptor(EncryptorOptions options) : options_(std::move(options)) {}

  // Encrypts `init` + `segments` (one track, in order) into fresh files
  // under `work` (an existing private directory). kInternal when the
  // packager fails. It cuts on its own rule (video on the same keyframes,
  // audio at the first frame at or after each boundary): the caller checks.
  Result<EncryptedFiles> encrypt(const std::filesystem::path& init, const std::vector<std::filesystem::path>& segments,
                                 bool video, double segment_seconds, const TrackEncryption& encryption,
                                 const std::filesystem::path& work, const std::stop_token& stop) const;

 private:
  EncryptorOptions options_;
};

// HLS's AES-128 (RFC 8216 4.3.2.4): the whole file encrypted in place with
// AES-128-CBC and PKCS#7 padding, its IV the segment's media sequence number
// (the playlist names no IV). Streams through a file beside it; returns the new size.
Result<std::uint64_t> encrypt_whole_segment(const std::filesystem::path& file, const ContentKey& key,
                                            std::uint64_t media_sequence);

}  // namespace st
