#include "http/jobs_api.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "http/job_events.hpp"
#include "http/query.hpp"
#include "pipeline/ladder.hpp"
#include "storage/naming.hpp"
#include "util/json_fields.hpp"
#include "util/utf8.hpp"

namespace st {
namespace {

using nlohmann::json;

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

// RFC 3339 date-time: 2026-11-26T18:00:00Z, with optional fractions and a
// numeric offset. Checked by hand (no std::regex on outside input).
bool is_timestamp(std::string_view text) {
  const auto digits = [&](std::size_t at, std::size_t count) {
    if (at + count > text.size()) return false;
    return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(at),
                       text.begin() + static_cast<std::ptrdiff_t>(at + count),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  if (text.size() < 20 || text.size() > 40) return false;
  if (!digits(0, 4) || text[4] != '-' || !digits(5, 2) || text[7] != '-' || !digits(8, 2) ||
      (text[10] != 'T' && text[10] != 't') || !digits(11, 2) || text[13] != ':' || !digits(14, 2) || text[16] != ':' ||
      !digits(17, 2)) {
    return false;
  }
  const auto number = [&](std::size_t at) { return (text[at] - '0') * 10 + (text[at + 1] - '0'); };
  if (number(5) < 1 || number(5) > 12 || number(8) < 1 || number(8) > 31 || number(11) > 23 || number(14) > 59 ||
      number(17) > 60) {
    return false;
  }
  std::size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const auto start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == start || at - start > 9) return false;
  }
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) return at + 1 == text.size();
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    return at + 6 == text.size() && digits(at + 1, 2) && text[at + 3] == ':' && digits(at + 4, 2) &&
           number(at + 1) <= 23 && number(at + 4) <= 59;
  }
  return false;
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

}  // namespace

HttpResponse error_response(const Error& error) {
  const int status = status_for(error);
  static const std::map<int, std::string_view> kTitles = {
      {400, "Bad Request"},           {403, "Forbidden"},          {404, "Not Found"}, {409, "Conflict"},
      {500, "Internal Server Error"}, {503, "Service Unavailable"}};
  return problem(status, kTitles.at(status), error.message);
}

void add_health_routes(Router& router, std::function<std::vector<DependencyCheck>()> check_dependencies) {
  router.add(
      "GET", "/health/live", Access::kPublic,
      [](const HttpRequest&) { return json_response(200, R"({"status":"live"})"); }, Router::Blocking::kNo);
  router.add("GET", "/health/ready", Access::kPublic, [check = std::move(check_dependencies)](const HttpRequest&) {
    json checks = json::object();
    bool ready = true;
    bool degraded = false;
    for (const auto& c : check()) {
      checks[c.name] = {{"status", c.up ? "up" : "down"}, {"latencyMs", c.latency_ms}, {"required", c.required}};
      if (!c.detail.empty()) checks[c.name]["detail"] = c.detail;
      if (c.required) {
        ready = ready && c.up;
      } else {
        degraded = degraded || !c.up;
      }
    }
    const char* status = !ready ? "not ready" : degraded ? "degraded" : "ready";
    return json_response(ready ? 200 : 503, safe_dump(json{{"status", status}, {"checks", checks}}));
  });
}

json job_to_json(const Job& job, const std::optional<JobProgress>& live) {
  const auto& s = job.spec;
  json source = {{"key", s.source.key}};
  if (!s.source.bucket.empty()) source["bucket"] = s.source.bucket;
  if (s.source.size_bytes) source["size"] = *s.source.size_bytes;
  if (!s.source.checksum.empty()) source["checksum"] = s.source.checksum;
  const auto optional_text = [](const std::string& text) { return text.empty() ? json(nullptr) : json(text); };
  json out = {{"id", job.id},
              {"tenantId", s.tenant_id},
              {"videoId", s.video_id},
              {"sourceVersion", s.source_version},
              {"source", source},
              {"profiles", s.profile_set},
              {"subtitles", to_json(s.subtitles)},
              {"priority", s.priority},
              {"status", to_string(job.status)},
              {"attempt", job.attempt},
              {"maxAttempts", s.max_attempts},
              {"progress", std::round(job.progress_percent * 10) / 10},
              {"outputPrefix", optional_text(s.output_prefix)},
              {"createdAt", job.created_at},
              {"updatedAt", job.updated_at},
              {"startedAt", optional_text(job.started_at)},
              {"finishedAt", optional_text(job.finished_at)}};
  out["error"] =
      job.error_code.empty() ? json(nullptr) : json{{"code", job.error_code}, {"message", job.error_message}};
  out["outcome"] = job.outcome ? to_json(*job.outcome) : json(nullptr);
  // Only a running job has figures that move; after it, they would mislead.
  const auto& detail = live ? live : job.progress_detail;
  if (job.status == JobStatus::kRunning && detail) {
    out["progressDetail"] = to_json(*detail);
    out["progressDetail"]["source"] = live ? "live" : "database";
    out["progress"] = std::round(std::max(detail->percent, job.progress_percent) * 10) / 10;
  } else {
    out["progressDetail"] = nullptr;
  }
  return out;
}

Result<NewJob> parse_new_job(const std::string& body, const JobsApiOptions& options) {
  auto parsed = parse_json_object(body, {.max_bytes = options.max_body_bytes, .max_depth = 32});
  if (!parsed) return tl::unexpected(parsed.error());
  const auto& doc = *parsed;
  FieldReader read(doc);

  NewJob job;
  read.refuse_unknown_keys(
      {"tenantId", "videoId", "sourceVersion", "source", "profiles", "subtitles", "priority", "maxAttempts"},
      "a field of a job request");
  // Optional: the tenant is the caller's; a request may only repeat it.
  job.tenant_id = read.text("tenantId", {.max_length = 64});
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
    in_source.refuse_unknown_keys({"key", "bucket", "checksum", "size", "path"}, "a field of a source");
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
  if (const auto* subtitles = read.array("subtitles")) {
    std::vector<std::string> problems;
    job.subtitles = subtitle_sidecars_from_json(*subtitles, problems);
    for (auto& p : problems) read.problem(std::move(p));
  }
  // Clamped, not refused: a caller that asks for "as urgent as possible" gets the top.
  const auto priority =
      read.integer("priority", std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
  job.priority = static_cast<int>(std::clamp<std::int64_t>(priority.value_or(0), kMinPriority, kMaxPriority));
  job.max_attempts = static_cast<int>(read.integer("maxAttempts", 1, 100).value_or(options.default_max_attempts));

  if (auto valid = read.verdict(); !valid) return tl::unexpected(valid.error());
  return job;
}

Result<ListRequest> parse_list_query(std::string_view query, int max_page_size) {
  auto params = parse_query(query);
  if (!params) return tl::unexpected(params.error());
  ListRequest request;
  request.query.limit = std::min(50, max_page_size);
  std::vector<std::string> problems;
  for (const auto& [name, value] : *params) {
    if (name == "status") {
      // Repeatable, and a comma-separated list is read the same way.
      std::size_t start = 0;
      while (start <= value.size()) {
        auto end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        const auto one = value.substr(start, end - start);
        if (const auto status = parse_job_status(one)) {
          request.query.statuses.push_back(*status);
        } else {
          problems.emplace_back("status must be queued, running, succeeded, failed, cancelled or dead");
          break;
        }
        start = end + 1;
      }
    } else if (name == "videoId") {
      if (!is_safe_id(value) || value.size() > 128) problems.emplace_back("videoId is not a video id");
      request.query.video_id = value;
    } else if (name == "createdAfter" || name == "createdBefore") {
      if (!is_timestamp(value)) {
        problems.push_back(fmt::format("{} must be an RFC 3339 date-time (2026-11-26T18:00:00Z)", name));
      }
      (name == "createdAfter" ? request.query.created_after : request.query.created_before) = value;
    } else if (name == "limit") {
      int limit = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (error != std::errc() || end != value.data() + value.size() || limit < 1 || limit > max_page_size) {
        problems.push_back(fmt::format("limit must be an integer between 1 and {}", max_page_size));
      }
      request.query.limit = limit;
    } else if (name == "cursor") {
      request.cursor = value;
    } else {
      problems.push_back(fmt::format("{} is not a query parameter of this listing", to_valid_utf8(name.substr(0, 64))));
    }
  }
  if (auto valid = FieldReader::verdict_of(problems); !valid) return tl::unexpected(valid.error());
  return request;
}

TenantScope scope_of(const HttpRequest& request) {
  const auto& principal = *request.context.principal;
  return principal.has(Role::kAdmin) ? TenantScope::all() : TenantScope::of(principal.tenant);
}

namespace {

// What a cursor is bound to: the scope and the filters of its listing.
std::string binding_of(const TenantScope& scope, const JobQuery& query) {
  std::string statuses;
  for (const auto status : query.statuses) statuses += fmt::format("{},", to_string(status));
  return fmt::format("{}|{}|{}|{}|{}", scope.tenant.value_or("*"), statuses, query.video_id, query.created_after,
                     query.created_before);
}

// The live figures of a running job, when LiveProgress has them.
std::optional<JobProgress> live_progress_of(const Job& job, LiveProgress* live) {
  if (live == nullptr || job.status != JobStatus::kRunning) return std::nullopt;
  auto progress = live->read(job.id);
  if (!progress) return std::nullopt;  // Redis away: the database's figures
  return *progress;
}

HttpResponse job_response(int status, const Job& job) {
  return json_response(status, safe_dump(job_to_json(job)));
}

}  // namespace

void add_jobs_routes(Router& router, const JobsApiDependencies& dependencies, const JobsApiOptions& options) {
  auto& catalog = dependencies.catalog;
  auto& policies = dependencies.policies;
  const auto& cursors = dependencies.cursors;
  router.add("POST", "/v1/jobs", Access::kOperator, [&catalog, &policies, options](const HttpRequest& request) {
    auto spec = parse_new_job(request.body, options);
    if (!spec) return error_response(spec.error());
    const auto& principal = *request.context.principal;
    if (spec->tenant_id.empty()) {
      spec->tenant_id = principal.tenant;
    } else if (spec->tenant_id != principal.tenant && !principal.has(Role::kAdmin)) {
      return problem(403, "Forbidden", "a job can only be created for the caller's own tenant");
    }
    auto policy = policies.get(spec->tenant_id);
    if (!policy) return error_response(policy.error());
    if (policy->max_queued) {
      auto queued = catalog.queued_count(spec->tenant_id);
      if (!queued) return error_response(queued.error());
      if (*queued >= *policy->max_queued) {
        auto response = problem(429, "Too Many Requests",
                                fmt::format("tenant {} has {} queued jobs, as many as its policy's maxQueuedJobs",
                                            spec->tenant_id, *queued));
        response.headers["Retry-After"] = "30";
        return response;
      }
    }
    auto created = catalog.create(*spec);
    if (!created) return error_response(created.error());
    auto response = job_response(created->created ? 201 : 200, created->job);
    response.headers["Location"] = "/v1/jobs/" + created->job.id;
    return response;
  });
  router.add("GET", "/v1/jobs", Access::kViewer, [&catalog, &cursors, options](const HttpRequest& request) {
    auto list = parse_list_query(request.query, options.max_page_size);
    if (!list) return error_response(list.error());
    const auto scope = scope_of(request);
    const auto binding = binding_of(scope, list->query);
    if (!list->cursor.empty()) {
      auto after = cursors.decode(list->cursor, binding);
      if (!after) return error_response(after.error());
      list->query.after = std::move(*after);
    }
    auto page = catalog.list(scope, list->query);
    if (!page) return error_response(page.error());
    json jobs = json::array();
    for (const auto& job : page->jobs) jobs.push_back(job_to_json(job));
    json body = {{"jobs", jobs},
                 {"nextCursor", page->next ? json(cursors.encode(*page->next, binding)) : json(nullptr)}};
    return json_response(200, safe_dump(body));
  });
  router.add("GET", "/v1/jobs/{id}", Access::kViewer, [&catalog, live = dependencies.live](const HttpRequest& request) {
    auto job = catalog.get(scope_of(request), request.params.at("id"));
    if (!job) return error_response(job.error());
    return json_response(200, safe_dump(job_to_json(*job, live_progress_of(*job, live))));
  });
  router.add(
      "GET", "/v1/jobs/{id}/events", Access::kViewer,
      [&catalog, live = dependencies.live, streams = std::make_shared<EventStreamCounter>(options.max_event_streams),
       lifetime = options.event_stream_lifetime](const HttpRequest& request) {
        // Known before the stream starts: a job that is not the caller's is a 404 like any other.
        const auto scope = scope_of(request);
        const auto& id = request.params.at("id");
        auto job = catalog.get(scope, id);
        if (!job) return error_response(job.error());
        auto slot = streams->take();
        if (!slot) {
          auto refused = problem(503, "Service Unavailable", "too many event streams are open; retry shortly");
          refused.headers["Retry-After"] = "5";
          return refused;
        }
        HttpResponse response;
        response.content_type = "text/event-stream";
        response.headers["X-Accel-Buffering"] = "no";  // proxies must not hold events back
        response.stream = std::make_shared<JobEventStream>(
            JobEventSource{
                .job = [&catalog, scope, id] { return catalog.get(scope, id); },
                .live = [live, id]() -> std::optional<JobProgress> {
                  if (live == nullptr) return std::nullopt;
                  auto progress = live->read(id);
                  return progress ? *progress : std::nullopt;
                },
                .render = [](const Job& j, const std::optional<JobProgress>& p) { return job_to_json(j, p); }},
            std::move(*slot), lifetime);
        return response;
      });
  router.add("POST", "/v1/jobs/{id}/cancel", Access::kOperator, [&catalog](const HttpRequest& request) {
    auto job = catalog.cancel(scope_of(request), request.params.at("id"));
    if (!job) return error_response(job.error());
    return job_response(200, *job);
  });
  router.add("POST", "/v1/jobs/{id}/retry", Access::kOperator, [&catalog](const HttpRequest& request) {
    auto job = catalog.retry(scope_of(request), request.params.at("id"));
    if (!job) return error_response(job.error());
    return job_response(200, *job);
  });
}

void add_tenant_routes(Router& router, TenantPolicies& policies, const JobsApiOptions& options) {
  const auto tenant_of = [](const HttpRequest& request) -> Result<std::string> {
    const auto& tenant = request.params.at("tenantId");
    if (!is_safe_id(tenant) || tenant.size() > 64) {
      return fail(ErrorCode::kNotFound, fmt::format("no tenant has the id '{}'", tenant.substr(0, 64)));
    }
    return tenant;
  };
  router.add("GET", "/v1/tenants/{tenantId}/policy", Access::kAdmin,
             [&policies, tenant_of](const HttpRequest& request) {
               auto tenant = tenant_of(request);
               if (!tenant) return error_response(tenant.error());
               auto policy = policies.get(*tenant);
               if (!policy) return error_response(policy.error());
               return json_response(200, safe_dump(to_json(*policy)));
             });
  router.add("PUT", "/v1/tenants/{tenantId}/policy", Access::kAdmin,
             [&policies, tenant_of, options](const HttpRequest& request) {
               auto tenant = tenant_of(request);
               if (!tenant) return error_response(tenant.error());
               auto policy = parse_tenant_policy(*tenant, request.body, options.max_body_bytes);
               if (!policy) return error_response(policy.error());
               auto stored = policies.put(*policy);
               if (!stored) return error_response(stored.error());
               return json_response(200, safe_dump(to_json(*stored)));
             });
}

}  // namespace st
