// The management API's routes: health and readiness; jobs (create, get,
// list, cancel, retry) scoped to the caller's tenant; tenant policies (admins).
// JSON in and out, camelCase like the platform's other services; errors as
// RFC 9457 problems; docs/openapi.yaml describes every one.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/cursor.hpp"
#include "http/server.hpp"
#include "jobs/job_catalog.hpp"
#include "jobs/job_state_cache.hpp"
#include "jobs/tenant_policy.hpp"
#include "storage/source_policy.hpp"

namespace st {

// One dependency's state for /health/ready.
struct DependencyCheck {
  std::string name;  // "database"
  bool up = false;
  std::string detail;
  double latency_ms = 0;
  bool required = true;  // false: the service works without it (degraded), so still ready
};

// /health/live answers on the server's io threads and touches nothing shared
// (no pool, no lock): it says the process serves. /health/ready checks the
// dependencies.
void add_health_routes(Router& router, std::function<std::vector<DependencyCheck>()> check_dependencies);

struct JobsApiOptions {
  int default_max_attempts = 3;
  SourcePolicy sources;
  std::size_t max_body_bytes = std::size_t{1} << 20;
  int max_page_size = 200;
  int max_event_streams = 200;  // GET /v1/jobs/{id}/events open at once
  std::chrono::seconds event_stream_lifetime{3600};
};

// The documented range of a job's priority; values beyond it are clamped.
inline constexpr int kMinPriority = -100;
inline constexpr int kMaxPriority = 100;

// What the job routes work with; all outlive the router.
struct JobsApiDependencies {
  JobCatalog& catalog;
  TenantPolicies& policies;
  const CursorCodec& cursors;
  LiveProgress* live = nullptr;  // running jobs' live figures; null: the database's
};

// Shared by the API's route files: an error as its RFC 9457 problem (kUsage
// 400, kNotFound 404, ...), and the tenants a principal's calls may see (its
// own, or every one for an admin).
HttpResponse error_response(const Error& error);
TenantScope scope_of(const HttpRequest& request);

void add_jobs_routes(Router& router, const JobsApiDependencies& dependencies, const JobsApiOptions& options);
void add_tenant_routes(Router& router, TenantPolicies& policies, const JobsApiOptions& options);

// The API's view of a job. `live`: the running job's live figures, shown
// instead of the last persisted ones.
nlohmann::json job_to_json(const Job& job, const std::optional<JobProgress>& live = std::nullopt);

// Validates a POST /v1/jobs body: bounded (size, nesting depth, string
// lengths) before it is parsed, every field type- and range-checked, unknown
// fields refused. kUsage with a message naming each field at fault. The
// tenant is not read here: it is the caller's (see add_jobs_routes).
Result<NewJob> parse_new_job(const std::string& body, const JobsApiOptions& options);

// GET /v1/jobs's query; kUsage naming the parameter at fault.
struct ListRequest {
  JobQuery query;
  std::string cursor;  // as given
};
Result<ListRequest> parse_list_query(std::string_view query, int max_page_size);

}  // namespace st
