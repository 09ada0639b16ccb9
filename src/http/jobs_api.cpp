#include "http/jobs_api.hpp"

#include <regex>

#include <fmt/format.h>

#include "pipeline/ladder.hpp"

namespace st {
namespace {

using nlohmann::json;

// The same rule as the jobs table's CHECK: ids become path segments of output
// keys, so nothing that could climb out of a tenant's prefix is accepted.
bool is_safe_id(const std::string& id, std::size_t max_length) {
  static const std::regex kId("^[A-Za-z0-9][A-Za-z0-9._-]*$");
  return !id.empty() && id.size() <= max_length && std::regex_match(id, kId) && id.find("..") == std::string::npos;
}

int status_for(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kUsage:
    case ErrorCode::kInvalidInput:
    case ErrorCode::kLimitExceeded:
      return 400;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

HttpResponse error_response(const Error& error) {
  const int status = status_for(error);
  static const std::map<int, std::string_view> kTitles = {{400, "Bad Request"},
                                                          {404, "Not Found"},
                                                          {409, "Conflict"},
                                                          {500, "Internal Server Error"},
                                                          {503, "Service Unavailable"}};
  return problem(status, kTitles.at(status), error.message);
}

}  // namespace

void add_health_routes(Router& router, std::function<std::vector<DependencyCheck>()> check_dependencies) {
  router.add("GET", "/health/live", [](const HttpRequest&) { return json_response(200, R"({"status":"live"})"); });
  router.add("GET", "/health/ready", [check = std::move(check_dependencies)](const HttpRequest&) {
    json checks = json::object();
    bool ready = true;
    for (const auto& c : check()) {
      checks[c.name] = {{"status", c.up ? "up" : "down"}, {"latencyMs", c.latency_ms}};
      if (!c.detail.empty()) checks[c.name]["detail"] = c.detail;
      ready = ready && c.up;
    }
    return json_response(ready ? 200 : 503, json{{"status", ready ? "ready" : "not ready"}, {"checks", checks}}.dump());
  });
}

json job_to_json(const Job& job) {
  const auto& s = job.spec;
  json source = {{"key", s.source.key}};
  if (!s.source.bucket.empty()) source["bucket"] = s.source.bucket;
  if (s.source.size_bytes) source["size"] = *s.source.size_bytes;
  if (!s.source.checksum.empty()) source["checksum"] = s.source.checksum;
  json out = {{"id", job.id},
              {"tenantId", s.tenant_id},
              {"videoId", s.video_id},
              {"sourceVersion", s.source_version},
              {"source", source},
              {"profiles", s.profile_set},
              {"outputPrefix", s.output_prefix},
              {"priority", s.priority},
              {"status", to_string(job.status)},
              {"attempt", job.attempt},
              {"maxAttempts", s.max_attempts},
              {"progress", job.progress},
              {"createdAt", job.created_at},
              {"updatedAt", job.updated_at}};
  out["error"] =
      job.error_code.empty() ? json(nullptr) : json{{"code", job.error_code}, {"message", job.error_message}};
  out["result"] = job.result_json.empty() ? json(nullptr) : json::parse(job.result_json, nullptr, false);
  return out;
}

Result<NewJob> parse_new_job(const std::string& body, const JobsApiOptions& options) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return fail(ErrorCode::kUsage, "the body must be a JSON object");
  std::vector<std::string> problems;
  auto text = [&](const json& object, const char* key) -> std::string {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return {};
    if (!it->is_string()) {
      problems.push_back(fmt::format("{} must be a string", key));
      return {};
    }
    return it->get<std::string>();
  };

  NewJob job;
  job.tenant_id = text(doc, "tenantId");
  job.video_id = text(doc, "videoId");
  job.source_version = text(doc, "sourceVersion");
  if (!is_safe_id(job.tenant_id, 64)) problems.emplace_back("tenantId must be 1-64 letters, digits, '.', '_' or '-'");
  if (!is_safe_id(job.video_id, 128)) problems.emplace_back("videoId must be 1-128 letters, digits, '.', '_' or '-'");

  const json source = doc.value("source", json::object());
  if (!source.is_object()) {
    problems.emplace_back("source must be an object");
  } else {
    const auto path = text(source, "path");
    const auto key = text(source, "key");
    job.source.bucket = text(source, "bucket");
    job.source.checksum = text(source, "checksum");
    if (source.contains("size")) {
      if (source["size"].is_number_unsigned()) {
        job.source.size_bytes = source["size"].get<std::int64_t>();
      } else {
        problems.emplace_back("source.size must be a non-negative integer");
      }
    }
    if (path.empty() == key.empty()) {
      problems.emplace_back("source needs exactly one of path (a local file) or key (an object key)");
    } else if (!path.empty()) {
      if (path.front() != '/' || path.find("/../") != std::string::npos || path.ends_with("/..")) {
        problems.emplace_back("source.path must be an absolute path without '..'");
      }
      job.source.key = path;
    } else {
      if (key.front() == '/' || key.find("..") != std::string::npos) {
        problems.emplace_back("source.key must be relative and must not contain '..'");
      }
      job.source.key = key;
    }
  }
  if (doc.contains("profiles")) {
    if (!doc["profiles"].is_array()) {
      problems.emplace_back("profiles must be an array of rendition names");
    } else {
      for (const auto& p : doc["profiles"]) {
        if (!p.is_string() || !ProfileFactory::find(p.get<std::string>())) {
          problems.push_back(fmt::format("profiles: {} is not one of {}", p.dump(), ProfileFactory::names()));
        } else {
          job.profile_set.push_back(p.get<std::string>());
        }
      }
    }
  }
  job.priority = doc.value("priority", 0);
  job.max_attempts = doc.value("maxAttempts", options.default_max_attempts);
  if (job.max_attempts < 1 || job.max_attempts > 100) problems.emplace_back("maxAttempts must be between 1 and 100");

  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
    return fail(ErrorCode::kUsage, message);
  }
  return job;
}

void add_jobs_routes(Router& router, JobStore& store, JobsApiOptions options) {
  router.add("POST", "/v1/jobs", [&store, options](const HttpRequest& request) {
    auto spec = parse_new_job(request.body, options);
    if (!spec) return error_response(spec.error());
    auto created = store.create(*spec);
    if (!created) return error_response(created.error());
    auto response = json_response(created->created ? 201 : 200, job_to_json(created->job).dump());
    response.headers["Location"] = "/v1/jobs/" + created->job.id;
    return response;
  });
  router.add("GET", "/v1/jobs/{id}", [&store](const HttpRequest& request) {
    auto job = store.get(request.params.at("id"));
    if (!job) return error_response(job.error());
    return json_response(200, job_to_json(*job).dump());
  });
}

}  // namespace st
