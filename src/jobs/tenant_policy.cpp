#include "jobs/tenant_policy.hpp"

#include <fmt/format.h>

#include "pipeline/ladder.hpp"
#include "util/json_fields.hpp"

namespace st {

using nlohmann::json;

namespace {

template <typename T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

template <typename T>
std::optional<T> narrow(const std::optional<std::int64_t>& value) {
  return value ? std::optional<T>(static_cast<T>(*value)) : std::nullopt;
}

const std::vector<std::string> kPresets = {"ultrafast", "superfast", "veryfast", "faster",  "fast",
                                           "medium",    "slow",      "slower",   "veryslow"};

}  // namespace

json to_json(const DrmPolicy& drm) {
  json systems = json::array();
  for (const auto system : drm.systems) systems.push_back(to_string(system));
  return {{"scheme", to_string(drm.scheme)},
          {"systems", systems},
          {"videoKeys", drm.video_keys == VideoKeys::kPerResolution ? "per-resolution" : "shared"},
          {"clearLeadSeconds", drm.clear_lead_seconds}};
}

std::optional<DrmPolicy> drm_policy_from_json(const json& value, std::vector<std::string>& problems) {
  const auto before = problems.size();
  if (!value.is_object()) {
    problems.emplace_back("drm must be an object {scheme, systems, videoKeys, clearLeadSeconds}");
    return std::nullopt;
  }
  for (const auto& [key, item] : value.items()) {
    if (key != "scheme" && key != "systems" && key != "videoKeys" && key != "clearLeadSeconds") {
      problems.push_back(fmt::format("drm.{:.40} is not a drm field", key));
    }
  }
  DrmPolicy drm;
  const auto scheme = value.find("scheme");
  const auto parsed_scheme = scheme != value.end() && scheme->is_string()
                                 ? parse_protection_scheme(scheme->get_ref<const std::string&>())
                                 : std::nullopt;
  if (!parsed_scheme) {
    problems.emplace_back("drm.scheme must be none, cenc, cbcs or aes-128");
  } else {
    drm.scheme = *parsed_scheme;
  }
  if (const auto systems = value.find("systems"); systems != value.end()) {
    if (!systems->is_array() || systems->size() > 4) {
      problems.emplace_back("drm.systems must be a list of widevine, playready, fairplay, clearkey");
    } else {
      for (const auto& item : *systems) {
        const auto system = item.is_string() ? parse_drm_system(item.get_ref<const std::string&>()) : std::nullopt;
        if (!system || std::find(drm.systems.begin(), drm.systems.end(), *system) != drm.systems.end()) {
          problems.emplace_back("drm.systems must list each of widevine, playready, fairplay, clearkey at most once");
          break;
        }
        drm.systems.push_back(*system);
      }
    }
  }
  if (const auto keys = value.find("videoKeys"); keys != value.end()) {
    if (keys->is_string() && *keys == "per-resolution") {
      drm.video_keys = VideoKeys::kPerResolution;
    } else if (!keys->is_string() || *keys != "shared") {
      problems.emplace_back("drm.videoKeys must be shared or per-resolution");
    }
  }
  if (const auto lead = value.find("clearLeadSeconds"); lead != value.end()) {
    if (!lead->is_number() || !(lead->get<double>() >= 0 && lead->get<double>() <= 60)) {
      problems.emplace_back("drm.clearLeadSeconds must be a number between 0 and 60");
    } else {
      drm.clear_lead_seconds = lead->get<double>();
    }
  }
  if (problems.size() == before) {
    if (auto valid = drm.validate(); !valid) problems.push_back("drm: " + valid.error().message);
  }
  if (problems.size() != before) return std::nullopt;
  return drm;
}

json to_json(const TenantPolicy& p) {
  json out = {{"tenantId", p.tenant_id},
              {"allowedProfiles", optional_json(p.allowed_profiles)},
              {"topRung", optional_json(p.top_rung)},
              {"segmentSeconds", optional_json(p.segment_seconds)},
              {"preset", optional_json(p.preset)},
              {"maxDurationSeconds", optional_json(p.max_duration_seconds)},
              {"maxWidth", optional_json(p.max_width)},
              {"maxHeight", optional_json(p.max_height)},
              {"maxFrameRate", optional_json(p.max_frame_rate)},
              {"maxQueuedJobs", optional_json(p.max_queued)},
              {"maxRunningJobs", optional_json(p.max_running)},
              {"priority", optional_json(p.priority)},
              {"requestsPerSecond", optional_json(p.requests_per_second)},
              {"hdrLadder", optional_json(p.hdr_ladder)},
              {"drm", p.drm ? to_json(*p.drm) : json(nullptr)},
              {"qualityScores", optional_json(p.quality_scores)},
              {"ladder", optional_json(p.ladder)},
              {"bitrateFloor", optional_json(p.bitrate_floor)},
              {"bitrateCeiling", optional_json(p.bitrate_ceiling)}};
  out["updatedAt"] = p.updated_at.empty() ? json(nullptr) : json(p.updated_at);
  return out;
}

Result<TenantPolicy> parse_tenant_policy(const std::string& tenant_id, const std::string& body, std::size_t max_bytes) {
  auto parsed = parse_json_object(body, {.max_bytes = max_bytes, .max_depth = 8});
  if (!parsed) return tl::unexpected(parsed.error());
  const auto& doc = *parsed;
  FieldReader read(doc);
  TenantPolicy policy{.tenant_id = tenant_id};
  const std::vector<std::string> known = {
      "tenantId",           "allowedProfiles", "topRung",           "segmentSeconds", "preset",
      "maxDurationSeconds", "maxWidth",        "maxHeight",         "maxFrameRate",   "maxQueuedJobs",
      "maxRunningJobs",     "priority",        "requestsPerSecond", "hdrLadder",      "drm",
      "qualityScores",      "ladder",          "bitrateFloor",      "bitrateCeiling", "updatedAt"};
  read.refuse_unknown_keys(known, "a policy field");
  if (const auto tenant = doc.find("tenantId");
      tenant != doc.end() && !tenant->is_null() && (!tenant->is_string() || tenant->get<std::string>() != tenant_id)) {
    read.problem("tenantId, when given, must be the tenant of the path");
  }
  if (const auto* profiles = read.array("allowedProfiles")) {
    std::vector<std::string> names;
    if (profiles->size() > 16) read.problem("allowedProfiles may name at most 16 renditions");
    for (const auto& p : *profiles) {
      if (!p.is_string() || !ProfileFactory::find(p.get_ref<const std::string&>())) {
        read.problem(fmt::format("allowedProfiles: each must be one of {}", ProfileFactory::names()));
        break;
      }
      names.push_back(p.get<std::string>());
    }
    policy.allowed_profiles = std::move(names);
  }
  if (auto top = read.text("topRung", {.max_length = 16}); !top.empty()) {
    if (!ProfileFactory::find(top)) read.problem(fmt::format("topRung must be one of {}", ProfileFactory::names()));
    policy.top_rung = top;
  }
  policy.segment_seconds = narrow<int>(read.integer("segmentSeconds", 1, 30));
  if (auto preset = read.text("preset", {.max_length = 16}); !preset.empty()) {
    if (std::find(kPresets.begin(), kPresets.end(), preset) == kPresets.end()) {
      read.problem("preset must be an x264 preset: ultrafast ... veryslow");
    }
    policy.preset = preset;
  }
  policy.max_duration_seconds = narrow<int>(read.integer("maxDurationSeconds", 1, std::int64_t{7} * 24 * 3600));
  policy.max_width = narrow<int>(read.integer("maxWidth", 16, 16384));
  policy.max_height = narrow<int>(read.integer("maxHeight", 16, 16384));
  policy.max_frame_rate = read.number("maxFrameRate", 1, 1000);
  policy.max_queued = narrow<int>(read.integer("maxQueuedJobs", 0, 1000000));
  policy.max_running = narrow<int>(read.integer("maxRunningJobs", 0, 10000));
  policy.priority = narrow<int>(read.integer("priority", -100, 100));
  policy.requests_per_second = read.number("requestsPerSecond", 0.01, 100000);
  if (const auto hdr = doc.find("hdrLadder"); hdr != doc.end() && !hdr->is_null()) {
    if (hdr->is_boolean()) {
      policy.hdr_ladder = hdr->get<bool>();
    } else {
      read.problem("hdrLadder must be true or false");
    }
  }
  if (const auto quality = doc.find("qualityScores"); quality != doc.end() && !quality->is_null()) {
    if (quality->is_boolean()) {
      policy.quality_scores = quality->get<bool>();
    } else {
      read.problem("qualityScores must be true or false");
    }
  }
  if (auto ladder = read.text("ladder", {.max_length = 16}); !ladder.empty()) {
    if (!ladder_mode_from_string(ladder)) read.problem("ladder must be fixed or per-title");
    policy.ladder = ladder;
  }
  policy.bitrate_floor = read.number("bitrateFloor", 0.01, 1);
  policy.bitrate_ceiling = read.number("bitrateCeiling", 0.1, 2);
  if (policy.bitrate_floor && policy.bitrate_ceiling && *policy.bitrate_floor > *policy.bitrate_ceiling) {
    read.problem("bitrateFloor must not be above bitrateCeiling");
  }
  if (const auto drm = doc.find("drm"); drm != doc.end() && !drm->is_null()) {
    std::vector<std::string> problems;
    policy.drm = drm_policy_from_json(*drm, problems);
    for (auto& problem : problems) read.problem(std::move(problem));
  }
  if (auto valid = read.verdict(); !valid) return tl::unexpected(valid.error());
  return policy;
}

}  // namespace st
