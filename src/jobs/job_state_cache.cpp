#include "jobs/job_state_cache.hpp"

#include <cstdint>
#include <stdexcept>

#include "util/json_fields.hpp"

namespace st {

using nlohmann::json;

namespace {

// A field that must be an integer of T's range; std::out_of_range otherwise.
template <typename T>
T integer(const json& value) {
  const auto v = json_integer<T>(value);
  if (!v) throw std::out_of_range("not an integer in range");
  return *v;
}

}  // namespace

json to_record_json(const Job& job) {
  const auto& s = job.spec;
  json source = {{"bucket", s.source.bucket}, {"key", s.source.key}, {"checksum", s.source.checksum}};
  source["size"] = s.source.size_bytes ? json(*s.source.size_bytes) : json(nullptr);
  return {{"id", job.id},
          {"tenantId", s.tenant_id},
          {"videoId", s.video_id},
          {"sourceVersion", s.source_version},
          {"source", source},
          {"profiles", s.profile_set},
          {"subtitles", to_json(s.subtitles)},
          {"outputPrefix", s.output_prefix},
          {"priority", s.priority},
          {"maxAttempts", s.max_attempts},
          {"origin",
           {{"messageId", s.origin.message_id},
            {"correlationId", s.origin.correlation_id},
            {"conversationId", s.origin.conversation_id},
            {"traceparent", s.origin.traceparent}}},
          {"status", to_string(job.status)},
          {"attempt", job.attempt},
          {"fencingToken", job.fencing_token},
          {"leaseOwner", job.lease_owner},
          {"progress", job.progress_percent},
          {"progressDetail", job.progress_detail ? to_json(*job.progress_detail) : json(nullptr)},
          {"errorCode", job.error_code},
          {"errorMessage", job.error_message},
          {"outcome", job.outcome ? to_json(*job.outcome, /*with_report=*/true) : json(nullptr)},
          {"createdAt", job.created_at},
          {"updatedAt", job.updated_at},
          {"startedAt", job.started_at},
          {"finishedAt", job.finished_at}};
}

std::optional<Job> job_from_record_json(const json& j) {
  // Written by to_record_json; anything else (another version, a hand edit)
  // is a miss, not an error.
  try {
    Job job;
    auto& s = job.spec;
    job.id = j.at("id").get<std::string>();
    s.tenant_id = j.at("tenantId").get<std::string>();
    s.video_id = j.at("videoId").get<std::string>();
    s.source_version = j.at("sourceVersion").get<std::string>();
    const auto& source = j.at("source");
    s.source.bucket = source.at("bucket").get<std::string>();
    s.source.key = source.at("key").get<std::string>();
    s.source.checksum = source.at("checksum").get<std::string>();
    if (!source.at("size").is_null()) s.source.size_bytes = integer<std::int64_t>(source.at("size"));
    s.profile_set = j.at("profiles").get<std::vector<std::string>>();
    // Records cached before sidecars existed have none.
    if (const auto sidecars = j.find("subtitles"); sidecars != j.end()) {
      std::vector<std::string> problems;
      s.subtitles = subtitle_sidecars_from_json(*sidecars, problems);
      if (!problems.empty()) return std::nullopt;
    }
    s.output_prefix = j.at("outputPrefix").get<std::string>();
    s.priority = integer<int>(j.at("priority"));
    s.max_attempts = integer<int>(j.at("maxAttempts"));
    const auto& origin = j.at("origin");
    s.origin.message_id = origin.at("messageId").get<std::string>();
    s.origin.correlation_id = origin.at("correlationId").get<std::string>();
    s.origin.conversation_id = origin.at("conversationId").get<std::string>();
    s.origin.traceparent = origin.at("traceparent").get<std::string>();
    const auto status = parse_job_status(j.at("status").get<std::string>());
    if (!status) return std::nullopt;
    job.status = *status;
    job.attempt = integer<int>(j.at("attempt"));
    job.fencing_token = integer<std::int64_t>(j.at("fencingToken"));
    job.lease_owner = j.at("leaseOwner").get<std::string>();
    job.progress_percent = j.at("progress").get<double>();
    if (!j.at("progressDetail").is_null()) job.progress_detail = progress_from_json(j.at("progressDetail"));
    job.error_code = j.at("errorCode").get<std::string>();
    job.error_message = j.at("errorMessage").get<std::string>();
    if (!j.at("outcome").is_null()) {
      auto outcome = outcome_from_json(j.at("outcome"));
      if (!outcome) return std::nullopt;
      job.outcome = std::move(*outcome);
    }
    job.created_at = j.at("createdAt").get<std::string>();
    job.updated_at = j.at("updatedAt").get<std::string>();
    job.started_at = j.at("startedAt").get<std::string>();
    job.finished_at = j.at("finishedAt").get<std::string>();
    return job;
  } catch (const std::out_of_range&) {
    return std::nullopt;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace st
