// The API's and messaging's side of the job repository: create, find, list,
// cancel and retry. Every call is scoped to a tenant: a job of another tenant
// is kNotFound, exactly like a job that does not exist.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "jobs/job.hpp"
#include "util/error.hpp"

namespace st {

// Whose jobs a call may see: one tenant's, or (for an admin) every tenant's.
struct TenantScope {
  std::optional<std::string> tenant;  // nullopt: all tenants

  static TenantScope all() { return {}; }
  static TenantScope of(std::string tenant) { return {std::move(tenant)}; }
  [[nodiscard]] bool allows(const std::string& tenant_id) const { return !tenant || *tenant == tenant_id; }
};

struct CreatedJob {
  Job job;
  bool created = false;  // false: the same source version already had a job
  // Older jobs of the same video that this newer source version cancelled
  // (queued ones at once; running ones stop within moments).
  std::vector<std::string> superseded;
};

// Where a page of a listing starts: after the job (created_at, id), newest first.
struct JobCursor {
  std::string created_at;  // as Job::created_at
  std::string id;
};

struct JobQuery {
  std::vector<JobStatus> statuses;  // any of these; empty: all
  std::string video_id;             // empty: all
  std::string created_after;        // ISO 8601, exclusive; empty: no bound
  std::string created_before;       // exclusive
  std::optional<JobCursor> after;
  int limit = 50;
};

struct JobPage {
  std::vector<Job> jobs;
  std::optional<JobCursor> next;  // set when more may follow
};

class JobCatalog {
 public:
  virtual ~JobCatalog() = default;

  // Idempotent on (tenant, video, source version). A new source version
  // supersedes the video's unfinished older jobs: they end `cancelled` with
  // the error code `superseded`, announced as such.
  virtual Result<CreatedJob> create(const NewJob& job) = 0;
  // Many at once, in one transaction (the Kafka consumer's batches); all or nothing.
  virtual Result<std::vector<CreatedJob>> create_all(const std::vector<NewJob>& jobs) = 0;
  virtual Result<Job> get(const TenantScope& scope, const std::string& id) = 0;
  // Newest first, keyset-paginated on (created_at, id): stable while jobs are
  // inserted, no job twice, none skipped.
  virtual Result<JobPage> list(const TenantScope& scope, const JobQuery& query) = 0;
  // Queued or running to cancelled (a running job's worker is told through
  // NOTIFY jobs_cancelled and its lease is void); kConflict when already final.
  virtual Result<Job> cancel(const TenantScope& scope, const std::string& id) = 0;
  // Failed, dead or cancelled back to queued with a fresh attempt budget;
  // kConflict otherwise.
  virtual Result<Job> retry(const TenantScope& scope, const std::string& id) = 0;
  // Jobs of `tenant` that are queued (a policy's max_queued).
  virtual Result<std::int64_t> queued_count(const std::string& tenant) = 0;
};

}  // namespace st
