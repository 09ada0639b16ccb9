// A tenant's policy: what its uploads may ask of the service and how much of
// it they may use at once. Unset fields take the service's configuration.
// Stored in PostgreSQL (tenant_policies), set by admins through the API,
// applied by the worker when it plans a job's ladder, by the claim (running
// cap) and by the API (queued cap, request rate).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "drm/drm_policy.hpp"
#include "util/error.hpp"

namespace st {

struct TenantPolicy {
  std::string tenant_id;
  std::optional<std::vector<std::string>> allowed_profiles;  // rendition names
  std::optional<std::string> top_rung;                       // the highest rendition
  std::optional<int> segment_seconds;
  std::optional<std::string> preset;
  std::optional<int> max_duration_seconds;
  std::optional<int> max_width;
  std::optional<int> max_height;
  std::optional<double> max_frame_rate;
  std::optional<int> max_queued;
  std::optional<int> max_running;
  std::optional<int> priority;
  std::optional<double> requests_per_second;
  std::optional<bool> hdr_ladder;      // HDR sources also get an HEVC Main 10 ladder that keeps the HDR
  std::optional<DrmPolicy> drm;        // content protection; unset: the service's drm section
  std::optional<bool> quality_scores;  // PSNR/SSIM of each rendition; unset: transcode.quality_scores
  std::optional<std::string> ladder;   // "fixed" or "per-title"; unset: transcode.ladder
  // The per-title ladder's bounds, as shares of the fixed ladder's rates.
  std::optional<double> bitrate_floor;
  std::optional<double> bitrate_ceiling;
  std::string updated_at;
};

// A policy's "drm" object: {"scheme", "systems", "videoKeys", "clearLeadSeconds"}.
nlohmann::json to_json(const DrmPolicy& drm);
// Reads it back, checked as the API checks it; problems go to `problems`.
std::optional<DrmPolicy> drm_policy_from_json(const nlohmann::json& value, std::vector<std::string>& problems);

// camelCase JSON, unset fields as null.
nlohmann::json to_json(const TenantPolicy& policy);
// A PUT body: every field type- and range-checked; kUsage naming each problem.
Result<TenantPolicy> parse_tenant_policy(const std::string& tenant_id, const std::string& body, std::size_t max_bytes);

class TenantPolicies {
 public:
  virtual ~TenantPolicies() = default;
  // The tenant's policy; one with every field unset when none was stored.
  virtual Result<TenantPolicy> get(const std::string& tenant_id) = 0;
  virtual Result<TenantPolicy> put(const TenantPolicy& policy) = 0;
};

}  // namespace st
