#include "jobs/pg_job_catalog.hpp"

#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db/transaction.hpp"
#include "jobs/pg_job_rows.hpp"

namespace st {
namespace {

using pg::job_from_row;
using pg::kJobColumns;

Error no_such_job(const std::string& id) {
  return {ErrorCode::kNotFound, fmt::format("no job has the id '{}'", id)};
}

// Inserts `job` unless its source version already has one; either way returns the job.
CreatedJob insert_or_find(pqxx::work& tx, const NewJob& job) {
  const auto inserted = tx.exec_prepared("catalog_insert", job.tenant_id, job.video_id, job.source_version,
                                         job.source.bucket, job.source.key, job.source.size_bytes, job.source.checksum,
                                         nlohmann::json(job.profile_set).dump(), job.priority, job.max_attempts,
                                         job.origin.message_id, job.origin.correlation_id, job.origin.conversation_id,
                                         job.origin.traceparent, to_json(job.subtitles).dump());
  if (!inserted.empty()) return CreatedJob{job_from_row(inserted[0]), true, {}};
  // Someone inserted it first; within this transaction's snapshot or after, it is there.
  const auto existing = tx.exec_prepared("catalog_by_source", job.tenant_id, job.video_id, job.source_version);
  if (existing.empty()) throw std::logic_error("job insert conflicted but no job was found");
  return CreatedJob{job_from_row(existing[0]), false, {}};
}

}  // namespace

std::vector<std::string> PgJobCatalog::supersede_older(pqxx::work& tx, const Job& newer) {
  std::vector<std::string> ids;
  for (const auto& row : tx.exec_prepared("catalog_supersede", newer.id, newer.spec.source_version)) {
    const auto job = job_from_row(row);
    pg::announce(announcer_, tx, job);
    ids.push_back(job.id);
  }
  return ids;
}

void PgJobCatalog::prepare_statements(pqxx::connection& c) {
  pg::prepare_outbox(c);
  constexpr const char* kInsertColumns =
      "tenant_id, video_id, source_version, source_bucket, source_key, source_size, source_checksum, profile_set,"
      " priority, max_attempts, message_id, correlation_id, conversation_id, traceparent, subtitles";
  c.prepare("catalog_insert",
            fmt::format("INSERT INTO jobs ({}) VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, NULLIF($7, ''),"
                        " ARRAY(SELECT json_array_elements_text($8::json)), $9, $10,"
                        " NULLIF($11, ''), NULLIF($12, ''), NULLIF($13, ''), NULLIF($14, ''), $15::jsonb)"
                        " ON CONFLICT (tenant_id, video_id, source_version) DO NOTHING RETURNING {}",
                        kInsertColumns, kJobColumns));
  // The batch form of catalog_insert: $1 is a JSON array of rows (see create_all).
  constexpr const char* kBatchRows =
      "json_to_recordset($1::json) AS r(tenant_id text, video_id text, source_version text, source_bucket text,"
      " source_key text, source_size bigint, source_checksum text, profile_set json, priority integer,"
      " max_attempts integer, message_id text, correlation_id text, conversation_id text, traceparent text,"
      " subtitles jsonb)";
  c.prepare("catalog_insert_all",
            fmt::format("INSERT INTO jobs ({}) SELECT tenant_id, video_id, source_version, NULLIF(source_bucket, ''),"
                        " source_key, source_size, NULLIF(source_checksum, ''),"
                        " ARRAY(SELECT json_array_elements_text(profile_set)), priority, max_attempts,"
                        " NULLIF(message_id, ''), NULLIF(correlation_id, ''), NULLIF(conversation_id, ''),"
                        " NULLIF(traceparent, ''), coalesce(subtitles, '[]'::jsonb) FROM {}"
                        " ON CONFLICT (tenant_id, video_id, source_version) DO NOTHING RETURNING id::text",
                        kInsertColumns, kBatchRows));
  c.prepare("catalog_by_sources", fmt::format("SELECT {} FROM jobs WHERE (tenant_id, video_id, source_version) IN"
                                              " (SELECT tenant_id, video_id, source_version FROM {})",
                                              kJobColumns, kBatchRows));
  c.prepare(
      "catalog_by_source",
      fmt::format("SELECT {} FROM jobs WHERE tenant_id = $1 AND video_id = $2 AND source_version = $3", kJobColumns));
  // $2 NULL: every tenant (an admin's scope).
  c.prepare(
      "catalog_get",
      fmt::format("SELECT {} FROM jobs WHERE id = $1::uuid AND ($2::text IS NULL OR tenant_id = $2)", kJobColumns));
  // The fencing token moves on: the worker of a running job can no longer
  // write, and stops at its next heartbeat if NOTIFY jobs_cancelled missed it.
  c.prepare("catalog_cancel",
            fmt::format("UPDATE jobs SET status = 'cancelled', error_code = 'cancelled',"
                        " error_message = 'cancelled by an operator', lease_owner = NULL, lease_expires_at = NULL,"
                        " fencing_token = fencing_token + 1, finished_at = now(), updated_at = now()"
                        " WHERE id = $1::uuid AND ($2::text IS NULL OR tenant_id = $2) AND status IN ({})"
                        " RETURNING {}",
                        sql_from(JobEvent::kCancel), kJobColumns));
  // The older unfinished jobs of the video of job $1 (created before it):
  // cancelled like an operator's cancel, so a running one's worker is told
  // through NOTIFY jobs_cancelled and its fencing token is void.
  c.prepare(
      "catalog_supersede",
      fmt::format("UPDATE jobs SET status = 'cancelled', error_code = '{}',"
                  " error_message = 'superseded by source version ' || quote_literal($2) || ' (job ' || $1 || ')',"
                  " lease_owner = NULL, lease_expires_at = NULL, fencing_token = fencing_token + 1,"
                  " finished_at = now(), updated_at = now()"
                  " FROM (SELECT tenant_id AS n_tenant, video_id AS n_video, created_seq AS n_seq FROM jobs"
                  " WHERE id = $1::uuid) newer"
                  " WHERE tenant_id = n_tenant AND video_id = n_video AND created_seq < n_seq"
                  " AND status IN ({}) RETURNING {}",
                  kSupersededErrorCode, sql_from(JobEvent::kCancel), kJobColumns));
  // A fresh attempt budget; the last error stays until the next attempt ends.
  c.prepare("catalog_retry",
            fmt::format("UPDATE jobs SET status = 'queued', attempt = 0, progress = 0, result = NULL,"
                        " next_attempt_at = now(), queued_at = now(), finished_at = NULL, updated_at = now()"
                        " WHERE id = $1::uuid AND ($2::text IS NULL OR tenant_id = $2) AND status IN ({})"
                        " RETURNING {}",
                        sql_from(JobEvent::kRetry), kJobColumns));
  c.prepare("catalog_queued_count", "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND status = 'queued'");
}

Result<CreatedJob> PgJobCatalog::create(const NewJob& job) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<CreatedJob> {
    pqxx::work tx(c);
    auto created = insert_or_find(tx, job);
    if (created.created) created.superseded = supersede_older(tx, created.job);
    tx.commit();
    return created;
  });
}

Result<std::vector<CreatedJob>> PgJobCatalog::create_all(const std::vector<NewJob>& jobs) {
  if (jobs.empty()) return std::vector<CreatedJob>();
  // One statement for the whole batch (one round trip), rows passed as JSON.
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& job : jobs) {
    rows.push_back({{"tenant_id", job.tenant_id},
                    {"video_id", job.video_id},
                    {"source_version", job.source_version},
                    {"source_bucket", job.source.bucket},
                    {"source_key", job.source.key},
                    {"source_size", job.source.size_bytes ? nlohmann::json(*job.source.size_bytes) : nlohmann::json()},
                    {"source_checksum", job.source.checksum},
                    {"profile_set", job.profile_set},
                    {"priority", job.priority},
                    {"max_attempts", job.max_attempts},
                    {"message_id", job.origin.message_id},
                    {"correlation_id", job.origin.correlation_id},
                    {"conversation_id", job.origin.conversation_id},
                    {"traceparent", job.origin.traceparent},
                    {"subtitles", to_json(job.subtitles)}});
  }
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<std::vector<CreatedJob>> {
    pqxx::work tx(c);
    const auto inserted = tx.exec_prepared("catalog_insert_all", rows.dump());
    const auto present = tx.exec_prepared("catalog_by_sources", rows.dump());
    using Key = std::tuple<std::string, std::string, std::string>;
    std::map<Key, Job> by_key;
    for (const auto& row : present) {
      auto job = job_from_row(row);
      Key key{job.spec.tenant_id, job.spec.video_id, job.spec.source_version};
      by_key.emplace(std::move(key), std::move(job));
    }
    std::set<std::string> new_ids;
    for (const auto& row : inserted) new_ids.insert(row[0].as<std::string>());
    std::vector<CreatedJob> created;
    created.reserve(jobs.size());
    for (const auto& job : jobs) {
      const auto it = by_key.find(Key{job.tenant_id, job.video_id, job.source_version});
      if (it == by_key.end())
        return st::fail(ErrorCode::kInternal, "a job of the batch was neither inserted nor found");
      // Only the first copy of a new row in the batch created it.
      created.push_back(CreatedJob{it->second, new_ids.erase(it->second.id) > 0, {}});
    }
    // In the batch's order, which is the order of creation: of several new
    // versions of one video in a batch, the last one wins.
    for (auto& entry : created) {
      if (entry.created) entry.superseded = supersede_older(tx, entry.job);
    }
    tx.commit();
    return created;
  });
}

Result<Job> PgJobCatalog::get(const TenantScope& scope, const std::string& id) {
  if (!pg::is_uuid(id)) return tl::unexpected(no_such_job(id));
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<Job> {
    pqxx::read_transaction tx(c);
    const auto rows = tx.exec_prepared("catalog_get", id, scope.tenant);
    if (rows.empty()) return tl::unexpected(no_such_job(id));
    return job_from_row(rows[0]);
  });
}

Result<JobPage> PgJobCatalog::list(const TenantScope& scope, const JobQuery& query) {
  // Built per query (the filters vary) but every value is a bound parameter.
  // Newest first on (created_at, id): the order of the indexes, and a cursor
  // that no insert can move.
  std::string where = "TRUE";
  std::vector<std::string> values;
  const auto bind = [&values](std::string value) {
    values.push_back(std::move(value));
    return fmt::format("${}", values.size());
  };
  if (scope.tenant) where += fmt::format(" AND tenant_id = {}", bind(*scope.tenant));
  if (!query.statuses.empty()) {
    std::string list;
    for (const auto status : query.statuses) {
      list += fmt::format("{}{}::job_status", list.empty() ? "" : ", ", bind(std::string(to_string(status))));
    }
    where += fmt::format(" AND status IN ({})", list);
  }
  if (!query.video_id.empty()) where += fmt::format(" AND video_id = {}", bind(query.video_id));
  if (!query.created_after.empty())
    where += fmt::format(" AND created_at > {}::timestamptz", bind(query.created_after));
  if (!query.created_before.empty())
    where += fmt::format(" AND created_at < {}::timestamptz", bind(query.created_before));
  if (query.after) {
    const auto at = bind(query.after->created_at);
    where += fmt::format(" AND (created_at, id) < ({}::timestamptz, {}::uuid)", at, bind(query.after->id));
  }
  const int limit = std::clamp(query.limit, 1, 1000);
  // One more than asked: whether another page follows.
  const auto sql = fmt::format("SELECT {} FROM jobs WHERE {} ORDER BY created_at DESC, id DESC LIMIT {}", kJobColumns,
                               where, limit + 1);
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<JobPage> {
    pqxx::read_transaction tx(c);
    const auto rows = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(values));
    JobPage page;
    for (const auto& row : rows) {
      if (static_cast<int>(page.jobs.size()) == limit) {
        page.next = JobCursor{page.jobs.back().created_at, page.jobs.back().id};
        break;
      }
      page.jobs.push_back(job_from_row(row));
    }
    return page;
  });
}

Result<Job> PgJobCatalog::transition(const TenantScope& scope, const std::string& id, JobEvent event) {
  if (!pg::is_uuid(id)) return tl::unexpected(no_such_job(id));
  const char* statement = event == JobEvent::kCancel ? "catalog_cancel" : "catalog_retry";
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<Job> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared(statement, id, scope.tenant);
    if (rows.empty()) {
      const auto current = tx.exec_prepared("catalog_get", id, scope.tenant);
      if (current.empty()) return tl::unexpected(no_such_job(id));
      const auto job = job_from_row(current[0]);
      return st::fail(ErrorCode::kConflict, fmt::format("job {} is {}: it cannot be {}", id, to_string(job.status),
                                                        event == JobEvent::kCancel ? "cancelled" : "retried"));
    }
    auto job = job_from_row(rows[0]);
    pg::announce(announcer_, tx, job);  // cancelled is final: announced like any final status
    tx.commit();
    return job;
  });
}

Result<Job> PgJobCatalog::cancel(const TenantScope& scope, const std::string& id) {
  return transition(scope, id, JobEvent::kCancel);
}

Result<Job> PgJobCatalog::retry(const TenantScope& scope, const std::string& id) {
  return transition(scope, id, JobEvent::kRetry);
}

Result<std::int64_t> PgJobCatalog::queued_count(const std::string& tenant) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<std::int64_t> {
    pqxx::read_transaction tx(c);
    return tx.exec_prepared1("catalog_queued_count", tenant)[0].as<std::int64_t>();
  });
}

}  // namespace st
