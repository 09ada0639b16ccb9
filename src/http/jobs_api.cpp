#include "http/jobs_api.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "pipeline/ladder.hpp"
#include "storage/naming.hpp"
#include "util/json_bounds.hpp"
#include "util/utf8.hpp"

namespace st {
namespace {

using nlohmann::json;

// Reads the fields of one JSON object by reference, checking each one's type
// and range, and collects what is wrong (naming the field) instead of
// stopping at the first problem.
class FieldReader {
 public:
  struct TextRule {
    bool required = false;
    std::size_t max_length = 256;
  };

  explicit FieldReader(const json& object) : object_(object), problems_(own_problems_) {}
  // Reads a nested object; its problems go to `parent`'s list with `prefix` ("source.").
  FieldReader(const json& object, std::string prefix, FieldReader& parent)
      : object_(object), prefix_(std::move(prefix)), problems_(parent.problems_) {}

  std::string text(const char* key, TextRule rule) {
    const auto* value = find(key);
    if (value == nullptr) {
      if (rule.required) problem(fmt::format("{}{} is required", prefix_, key));
      return {};
    }
    if (!value->is_string()) {
      problem(fmt::format("{}{} must be a string", prefix_, key));
      return {};
    }
    const auto& text = value->get_ref<const std::string&>();
    if (text.size() > rule.max_length) {
      problem(fmt::format("{}{} must be at most {} bytes long", prefix_, key, rule.max_length));
      return {};
    }
    if (has_control_characters(text)) {
      problem(fmt::format("{}{} must not contain control characters", prefix_, key));
      return {};
    }
    if (rule.required && text.empty()) problem(fmt::format("{}{} must not be empty", prefix_, key));
    return text;
  }

  // An integer within [low, high]; numbers that are not integers, or do not
  // fit in 64 bits (nlohmann reads those as floating point), are refused.
  std::optional<std::int64_t> integer(const char* key, std::int64_t low, std::int64_t high) {
    const auto* value = find(key);
    if (value == nullptr) return std::nullopt;
    const auto refuse = [&] {
      problem(fmt::format("{}{} must be an integer between {} and {}", prefix_, key, low, high));
      return std::nullopt;
    };
    if (value->is_number_unsigned()) {
      const auto number = value->get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(high)) return refuse();
      const auto signed_number = static_cast<std::int64_t>(number);
      if (signed_number < low) return refuse();
      return signed_number;
    }
    if (value->is_number_integer()) {
      const auto number = value->get<std::int64_t>();
      if (number < low || number > high) return refuse();
      return number;
    }
    return refuse();
  }

  const json* object(const char* key, bool required = false) {
    const auto* value = find(key);
    if (value == nullptr) {
      if (required) problem(fmt::format("{}{} is required", prefix_, key));
      return nullptr;
    }
    if (!value->is_object()) {
      problem(fmt::format("{}{} must be an object", prefix_, key));
      return nullptr;
    }
    return value;
  }

  const json* array(const char* key) {
    const auto* value = find(key);
    if (value == nullptr) return nullptr;
    if (!value->is_array()) {
      problem(fmt::format("{}{} must be an array", prefix_, key));
      return nullptr;
    }
    return value;
  }

  void problem(std::string text) { problems_.push_back(std::move(text)); }
  [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }

 private:
  // Absent and null are the same: not given.
  [[nodiscard]] const json* find(const char* key) const {
    const auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }

  const json& object_;
  std::string prefix_;
  std::vector<std::string> own_problems_;
  std::vector<std::string>& problems_;
};

// "sha256:<hex or base64>", as the upload contract allows.
bool is_checksum(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const auto algorithm = text.substr(0, colon);
  if (algorithm != "sha256" && algorithm != "md5" && algorithm != "crc32c") return false;
  const auto digest = text.substr(colon + 1);
  if (digest.empty()) return false;
  return std::all_of(digest.begin(), digest.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '=';
  });
}

std::string safe_dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
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
  router.add(
      "GET", "/health/live", [](const HttpRequest&) { return json_response(200, R"({"status":"live"})"); },
      Router::Blocking::kNo);
  router.add("GET", "/health/ready", [check = std::move(check_dependencies)](const HttpRequest&) {
    json checks = json::object();
    bool ready = true;
    for (const auto& c : check()) {
      checks[c.name] = {{"status", c.up ? "up" : "down"}, {"latencyMs", c.latency_ms}};
      if (!c.detail.empty()) checks[c.name]["detail"] = c.detail;
      ready = ready && c.up;
    }
    return json_response(ready ? 200 : 503,
                         safe_dump(json{{"status", ready ? "ready" : "not ready"}, {"checks", checks}}));
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
  if (auto bounded = check_json_bounds(body, {.max_bytes = options.max_body_bytes, .max_depth = 32}); !bounded) {
    return fail(ErrorCode::kUsage, "the body is refused: " + bounded.error().message);
  }
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    // nlohmann also refuses ill-formed UTF-8 in strings here.
    return fail(ErrorCode::kUsage, fmt::format("the body is not valid JSON (at byte {})", e.byte));
  }
  if (!doc.is_object()) return fail(ErrorCode::kUsage, "the body must be a JSON object");
  FieldReader read(doc);

  NewJob job;
  job.tenant_id = read.text("tenantId", {.required = true, .max_length = 64});
  job.video_id = read.text("videoId", {.required = true, .max_length = 128});
  if (!job.tenant_id.empty() && !is_safe_id(job.tenant_id)) {
    read.problem("tenantId must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  if (!job.video_id.empty() && !is_safe_id(job.video_id)) {
    read.problem("videoId must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
  }
  job.source_version = read.text("sourceVersion", {.max_length = 128});

  if (const auto* source = read.object("source", /*required=*/true)) {
    FieldReader in_source(*source, "source.", read);
    if (source->contains("path")) {
      read.problem(
          "source.path is not accepted: name the source by key (below storage.source_dir, or in an allowed "
          "bucket with S3)");
    }
    job.source.key = in_source.text("key", {.required = true, .max_length = 1024});
    job.source.bucket = in_source.text("bucket", {.max_length = 63});
    job.source.checksum = in_source.text("checksum", {.max_length = 128});
    if (!job.source.checksum.empty() && !is_checksum(job.source.checksum)) {
      read.problem("source.checksum must be 'sha256:', 'md5:' or 'crc32c:' followed by hex or base64");
    }
    job.source.size_bytes = in_source.integer("size", 1, std::numeric_limits<std::int64_t>::max());
    if (!job.source.key.empty()) {
      if (auto allowed = options.sources.check(job.source); !allowed) read.problem(allowed.error().message);
    }
  }
  if (const auto* profiles = read.array("profiles")) {
    if (profiles->size() > 16) {
      read.problem("profiles may name at most 16 renditions");
    } else {
      for (const auto& p : *profiles) {
        if (!p.is_string() || !ProfileFactory::find(p.get_ref<const std::string&>())) {
          read.problem(fmt::format("profiles: each must be one of {}", ProfileFactory::names()));
          break;
        }
        job.profile_set.push_back(p.get<std::string>());
      }
    }
  }
  // Clamped, not refused: a caller that asks for "as urgent as possible" gets the top.
  const auto priority =
      read.integer("priority", std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
  job.priority = static_cast<int>(std::clamp<std::int64_t>(priority.value_or(0), kMinPriority, kMaxPriority));
  job.max_attempts = static_cast<int>(read.integer("maxAttempts", 1, 100).value_or(options.default_max_attempts));

  if (!read.problems().empty()) {
    std::string message;
    for (const auto& p : read.problems()) message += (message.empty() ? "" : "; ") + p;
    return fail(ErrorCode::kUsage, message);
  }
  return job;
}

void add_jobs_routes(Router& router, JobStore& store, const JobsApiOptions& options) {
  router.add("POST", "/v1/jobs", [&store, options](const HttpRequest& request) {
    auto spec = parse_new_job(request.body, options);
    if (!spec) return error_response(spec.error());
    auto created = store.create(*spec);
    if (!created) return error_response(created.error());
    auto response = json_response(created->created ? 201 : 200, safe_dump(job_to_json(created->job)));
    response.headers["Location"] = "/v1/jobs/" + created->job.id;
    return response;
  });
  router.add("GET", "/v1/jobs/{id}", [&store](const HttpRequest& request) {
    auto job = store.get(request.params.at("id"));
    if (!job) return error_response(job.error());
    return json_response(200, safe_dump(job_to_json(*job)));
  });
}

}  // namespace st
