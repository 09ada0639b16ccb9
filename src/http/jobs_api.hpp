// The management API's routes: health and readiness, and (for now) creating and
// reading jobs. JSON in and out, camelCase like the platform's other services;
// errors as RFC 9457 problems.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/server.hpp"
#include "jobs/job_store.hpp"

namespace st {

// One dependency's state for /health/ready.
struct DependencyCheck {
  std::string name;  // "database"
  bool up = false;
  std::string detail;
  double latency_ms = 0;
};

void add_health_routes(Router& router, std::function<std::vector<DependencyCheck>()> check_dependencies);

struct JobsApiOptions {
  int default_max_attempts = 3;
};

void add_jobs_routes(Router& router, JobStore& store, JobsApiOptions options);

// The API's view of a job.
nlohmann::json job_to_json(const Job& job);

// Validates a POST /v1/jobs body; kUsage with a message naming the field.
Result<NewJob> parse_new_job(const std::string& body, const JobsApiOptions& options);

}  // namespace st
