#include "jobs/job.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "media/languages.hpp"
#include "storage/naming.hpp"

namespace st {
namespace {

constexpr std::array<std::pair<JobStatus, std::string_view>, 6> kNames = {{
    {JobStatus::kQueued, "queued"},
    {JobStatus::kRunning, "running"},
    {JobStatus::kSucceeded, "succeeded"},
    {JobStatus::kFailed, "failed"},
    {JobStatus::kCancelled, "cancelled"},
    {JobStatus::kDead, "dead"},
}};

}  // namespace

std::string_view to_string(JobStatus status) {
  for (const auto& [value, name] : kNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<JobStatus> parse_job_status(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::vector<SubtitleSidecar> subtitle_sidecars_from_json(const nlohmann::json& list,
                                                         std::vector<std::string>& problems) {
  std::vector<SubtitleSidecar> out;
  if (!list.is_array()) {
    problems.emplace_back("subtitles must be an array of {key, language, kind}");
    return out;
  }
  if (list.size() > kMaxSubtitleSidecars) {
    problems.push_back(fmt::format("subtitles may name at most {} files", kMaxSubtitleSidecars));
    return out;
  }
  constexpr std::size_t kMaxLanguageLength = 35;  // RFC 5646's longest useful tag
  std::set<std::string> keys;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& entry = list[i];
    const auto problem = [&](std::string_view what) { problems.push_back(fmt::format("subtitles[{}]{}", i, what)); };
    if (!entry.is_object()) {
      problem(" must be an object {key, language, kind}");
      continue;
    }
    SubtitleSidecar sidecar;
    const auto key = entry.find("key");
    if (key == entry.end() || !key->is_string() || !is_safe_key(key->get_ref<const std::string&>()) ||
        key->get_ref<const std::string&>().back() == '/') {
      problem(
          ".key must be a relative object key (1-1024 characters, no '.' or '..' segments, no control characters or "
          "backslashes)");
      continue;
    }
    sidecar.key = key->get<std::string>();
    if (!keys.insert(sidecar.key).second) {
      problem(".key names a file already listed");
      continue;
    }
    const auto language = entry.find("language");
    if (language == entry.end() || !language->is_string() ||
        language->get_ref<const std::string&>().size() > kMaxLanguageLength) {
      problem(R"(.language must be a BCP 47 or ISO 639 language tag ("en", "pt-BR", "fre"))");
      continue;
    }
    const auto& tag = language->get_ref<const std::string&>();
    sidecar.language = language_from_tag(tag).tag;
    if (sidecar.language == "und" && tag != "und") {
      problem(".language is not a known ISO 639 language; \"und\" says it is unknown");
      continue;
    }
    if (const auto kind = entry.find("kind"); kind != entry.end()) {
      const auto parsed = kind->is_string() ? parse_subtitle_kind(kind->get_ref<const std::string&>()) : std::nullopt;
      if (!parsed) {
        problem(R"(.kind must be "subtitle", "caption" or "forced")");
        continue;
      }
      sidecar.kind = *parsed;
    }
    out.push_back(std::move(sidecar));
  }
  return out;
}

nlohmann::json to_json(const std::vector<SubtitleSidecar>& sidecars) {
  auto out = nlohmann::json::array();
  for (const auto& s : sidecars) {
    out.push_back({{"key", s.key}, {"language", s.language}, {"kind", std::string(to_string(s.kind))}});
  }
  return out;
}

bool is_terminal(JobStatus status) {
  return status == JobStatus::kSucceeded || status == JobStatus::kFailed || status == JobStatus::kCancelled ||
         status == JobStatus::kDead;
}

}  // namespace st
