// The management API's routes: health and readiness; jobs (create, get,
// list, cancel, retry) scoped to the caller's tenant; tenant policies (admins).
// JSON in and out, camelCase like the platform's other services; errors as
// RFC 9457 problems; docs/openapi.yaml describes every one.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/cursor.hpp"
#include "http/server.hpp"
#include "jobs/job_catalog.hpp"
#include "jobs/tenant_policy.hpp"
#include "storage/source_policy.hpp"

namespace st {

// One dependency's state for /health/ready.
struct DependencyCheck {
  std::string name;  // "database"
  bool up = false;
  std::string detail;
  double latency_ms = 0;
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
};

// The documented range of a job's priority; values beyond it are clamped.
inline constexpr int kMinPriority = -100;
inline constexpr int kMaxPriority = 100;

// What the job routes work with; all outlive the router.
struct JobsApiDependencies {
  JobCatalog& catalog;
  TenantPolicies& policies;
  const CursorCodec& cursors;
};

void add_jobs_routes(Router& router, const JobsApiDependencies& dependencies, const JobsApiOptions& options);
void add_tenant_routes(Router& router, TenantPolicies& policies, const JobsApiOptions& options);

// The API's view of a job.
nlohmann::json job_to_json(const Job& job);

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
