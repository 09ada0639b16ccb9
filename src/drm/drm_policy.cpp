#include "drm/drm_policy.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

namespace st {
namespace {

constexpr std::array<std::pair<ProtectionScheme, std::string_view>, 4> kSchemes = {{
    {ProtectionScheme::kNone, "none"},
    {ProtectionScheme::kCenc, "cenc"},
    {ProtectionScheme::kCbcs, "cbcs"},
    {ProtectionScheme::kAes128, "aes-128"},
}};

struct SystemNames {
  DrmSystem system;
  std::string_view name;
  std::string_view id;
};
constexpr std::array<SystemNames, 4> kSystems = {{
    {DrmSystem::kWidevine, "widevine", "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"},
    {DrmSystem::kPlayReady, "playready", "9a04f079-9840-4286-ab92-e65be0885f95"},
    {DrmSystem::kFairPlay, "fairplay", "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"},
    {DrmSystem::kClearKey, "clearkey", "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"},
}};

}  // namespace

std::string_view to_string(ProtectionScheme scheme) {
  for (const auto& [value, name] : kSchemes) {
    if (value == scheme) return name;
  }
  return "none";
}

std::optional<ProtectionScheme> parse_protection_scheme(std::string_view text) {
  for (const auto& [value, name] : kSchemes) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(DrmSystem system) {
  for (const auto& s : kSystems) {
    if (s.system == system) return s.name;
  }
  return "widevine";
}

std::optional<DrmSystem> parse_drm_system(std::string_view text) {
  for (const auto& s : kSystems) {
    if (s.name == text) return s.system;
  }
  return std::nullopt;
}

std::string_view system_id(DrmSystem system) {
  for (const auto& s : kSystems) {
    if (s.system == system) return s.id;
  }
  return {};
}

std::optional<DrmSystem> system_for_id(std::string_view uuid) {
  for (const auto& s : kSystems) {
    if (s.id == uuid) return s.system;
  }
  return std::nullopt;
}

Result<std::vector<DrmSystem>> parse_drm_systems(std::string_view list) {
  std::vector<DrmSystem> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto item = list.substr(0, comma);
    const auto system = parse_drm_system(item);
    if (!system) {
      return fail(ErrorCode::kUsage, fmt::format("unknown DRM system (expected widevine, playready, fairplay or "
                                                 "clearkey): {:.40}",
                                                 item));
    }
    if (std::find(out.begin(), out.end(), *system) != out.end()) {
      return fail(ErrorCode::kUsage, fmt::format("DRM system {} is listed twice", item));
    }
    out.push_back(*system);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<TrackType> DrmPolicy::key_types() const {
  if (video_keys == VideoKeys::kShared) return {TrackType::kVideo, TrackType::kAudio};
  return {TrackType::kSd, TrackType::kHd, TrackType::kUhd, TrackType::kAudio};
}

KeyRequest DrmPolicy::key_request(const std::string& content_id) const {
  KeyRequest request{
      .content_id = content_id, .types = key_types(), .scheme = std::string(to_string(scheme)), .system_ids = {}};
  for (const auto system : systems) request.system_ids.emplace_back(system_id(system));
  return request;
}

TrackType DrmPolicy::video_key_type(int width, int height) const {
  return video_keys == VideoKeys::kShared ? TrackType::kVideo : video_track_type(width, height);
}

Result<void> DrmPolicy::validate() const {
  const bool fairplay = std::find(systems.begin(), systems.end(), DrmSystem::kFairPlay) != systems.end();
  if (fairplay && scheme != ProtectionScheme::kCbcs) {
    return fail(ErrorCode::kUsage, "FairPlay needs the cbcs scheme");
  }
  if (scheme == ProtectionScheme::kAes128 && !systems.empty()) {
    return fail(ErrorCode::kUsage, "AES-128 is not a DRM scheme: it takes no DRM systems");
  }
  if ((scheme == ProtectionScheme::kCenc || scheme == ProtectionScheme::kCbcs) && systems.empty()) {
    return fail(ErrorCode::kUsage, "an encryption scheme needs at least one DRM system to signal");
  }
  if (!(clear_lead_seconds >= 0 && clear_lead_seconds <= 60)) {
    return fail(ErrorCode::kUsage, "the clear lead must be between 0 and 60 seconds");
  }
  return {};
}

}  // namespace st
