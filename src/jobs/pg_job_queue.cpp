#include "jobs/pg_job_queue.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db/transaction.hpp"
#include "jobs/job_transitions.hpp"
#include "jobs/pg_job_rows.hpp"

namespace st {
namespace {

using pg::job_from_row;
using pg::kJobColumns;

// The fencing check failed: say what the job is now, for the log.
Error lost_lease(pqxx::work& tx, const JobLease& lease) {
  const auto rows = tx.exec_params("SELECT status::text, fencing_token FROM jobs WHERE id = $1::uuid", lease.job_id);
  if (rows.empty()) return {ErrorCode::kNotFound, fmt::format("job {} does not exist", lease.job_id)};
  return {ErrorCode::kConflict,
          fmt::format("job {} is no longer ours: it is {} with fencing token {} (we hold {})", lease.job_id,
                      rows[0][0].as<std::string>(), rows[0][1].as<std::int64_t>(), lease.fencing_token)};
}

// The WHERE clause of a fenced transition.
std::string fenced(JobEvent event) {
  return fmt::format("id = $1::uuid AND fencing_token = $2 AND status IN ({})", sql_from(event));
}

}  // namespace

void PgJobQueue::prepare_statements(pqxx::connection& c) {
  pg::prepare_outbox(c);
  // Fairness: each tenant's head job (priority, then wait), from the tenants
  // below their running cap, the tenant served longest ago first. SKIP LOCKED:
  // concurrent claimers each take a different row instead of queueing on one.
  c.prepare("queue_claim",
            fmt::format("WITH picked AS ("
                        " SELECT j.id FROM tenant_queue t"
                        " LEFT JOIN tenant_policies p ON p.tenant_id = t.tenant_id"
                        " CROSS JOIN LATERAL (SELECT id FROM jobs WHERE tenant_id = t.tenant_id AND status IN ({0})"
                        "  AND next_attempt_at <= now() ORDER BY priority DESC, queued_at, id LIMIT 1"
                        "  FOR UPDATE SKIP LOCKED) j"
                        " WHERE p.max_running IS NULL OR p.max_running > (SELECT count(*) FROM jobs r"
                        "  WHERE r.tenant_id = t.tenant_id AND r.status = 'running')"
                        " ORDER BY coalesce(p.priority, 0) DESC, t.last_claimed_at NULLS FIRST, t.tenant_id LIMIT 1),"
                        " claimed AS (UPDATE jobs SET status = 'running', attempt = attempt + 1, lease_owner = $1,"
                        " lease_expires_at = now() + make_interval(secs => $2), fencing_token = fencing_token + 1,"
                        " started_at = coalesce(started_at, now()), updated_at = now()"
                        " FROM picked WHERE jobs.id = picked.id RETURNING jobs.*),"
                        // A claimer updating the same tenant's row at this moment records
                        // the same time: skip that row rather than queue behind its lock.
                        " served AS (UPDATE tenant_queue SET last_claimed_at = clock_timestamp()"
                        " WHERE tenant_id IN (SELECT q.tenant_id FROM tenant_queue q"
                        " JOIN claimed c ON c.tenant_id = q.tenant_id FOR UPDATE OF q SKIP LOCKED))"
                        " SELECT {1} FROM claimed",
                        sql_from(JobEvent::kClaim), kJobColumns));
  c.prepare("queue_heartbeat",
            "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3)"
            " WHERE id = $1::uuid AND fencing_token = $2 AND status = 'running'");
  // Returns the job, and the tens of percent announced before this report
  // (from the locked row as it was): announce only what is new.
  c.prepare("queue_progress",
            fmt::format("WITH current AS (SELECT id AS current_id, progress_announced AS announced_before FROM jobs"
                        " WHERE id = $1::uuid AND fencing_token = $2 AND status = 'running' FOR UPDATE)"
                        " UPDATE jobs SET progress = $3, progress_detail = $4::jsonb,"
                        " progress_announced = greatest(progress_announced, $5)"
                        " FROM current WHERE id = current_id RETURNING {}, announced_before",
                        kJobColumns));
  c.prepare("queue_succeed",
            fmt::format("UPDATE jobs SET status = 'succeeded', progress = 100, result = $3::jsonb,"
                        " output_prefix = $4, error_code = NULL, error_message = NULL, lease_owner = NULL,"
                        " lease_expires_at = NULL, finished_at = now(), updated_at = now() WHERE {} RETURNING {}",
                        fenced(JobEvent::kSucceed), kJobColumns));
  c.prepare("queue_fail",
            fmt::format("UPDATE jobs SET status = CASE WHEN $3 THEN 'failed'::job_status"
                        " WHEN attempt >= max_attempts THEN 'dead'::job_status ELSE 'queued'::job_status END,"
                        " next_attempt_at = now() + make_interval(secs => $4), queued_at = now(),"
                        " error_code = $5, error_message = $6, lease_owner = NULL, lease_expires_at = NULL,"
                        " updated_at = now(), finished_at = CASE WHEN $3 OR attempt >= max_attempts THEN now() END"
                        " WHERE {} RETURNING {}",
                        fenced(JobEvent::kFail), kJobColumns));
  // The fencing token moves on: whoever held the lease can no longer write.
  // $3: seconds before it may be claimed again (0 on shutdown; a moment when its video is locked).
  c.prepare("queue_release",
            "UPDATE jobs SET status = 'queued', attempt = greatest(attempt - 1, 0), lease_owner = NULL,"
            " lease_expires_at = NULL, fencing_token = fencing_token + 1,"
            " next_attempt_at = now() + make_interval(secs => $3), queued_at = now(),"
            " updated_at = now() WHERE " +
                fenced(JobEvent::kRelease));
  c.prepare("queue_requeue_expired",
            fmt::format("UPDATE jobs SET status = CASE WHEN attempt >= max_attempts THEN 'dead'::job_status"
                        " ELSE 'queued'::job_status END, error_code = 'lease_expired',"
                        " error_message = 'the worker running this job stopped renewing its lease (' ||"
                        " coalesce(lease_owner, '?') || ')', lease_owner = NULL, lease_expires_at = NULL,"
                        " fencing_token = fencing_token + 1, next_attempt_at = now(), queued_at = now(),"
                        " updated_at = now(), finished_at = CASE WHEN attempt >= max_attempts THEN now() END"
                        " WHERE id IN (SELECT id FROM jobs WHERE status IN ({}) AND lease_expires_at < now()"
                        " FOR UPDATE SKIP LOCKED) RETURNING {}",
                        sql_from(JobEvent::kRequeue), kJobColumns));
}

Result<std::optional<Job>> PgJobQueue::claim(const std::string& owner, std::chrono::seconds lease) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<std::optional<Job>> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared("queue_claim", owner, static_cast<double>(lease.count()));
    tx.commit();
    if (rows.empty()) return std::optional<Job>();
    return std::optional<Job>(job_from_row(rows[0]));
  });
}

Result<void> PgJobQueue::heartbeat(const JobLease& lease, std::chrono::seconds extension) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<void> {
    pqxx::work tx(c);
    const auto updated =
        tx.exec_prepared("queue_heartbeat", lease.job_id, lease.fencing_token, static_cast<double>(extension.count()));
    if (updated.affected_rows() == 0) return tl::unexpected(lost_lease(tx, lease));
    tx.commit();
    return {};
  });
}

Result<void> PgJobQueue::record_progress(const JobLease& lease, const JobProgress& progress) {
  const double percent = std::clamp(progress.percent, 0.0, 100.0);
  const int tens = static_cast<int>(percent / 10) * 10;
  const auto detail = to_json(progress).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<void> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared("queue_progress", lease.job_id, lease.fencing_token, percent, detail,
                                       progress_announcer_ ? tens : -1);
    if (rows.empty()) return tl::unexpected(lost_lease(tx, lease));
    const auto announced_before = rows[0].back().as<int>();
    if (progress_announcer_ && tens > announced_before) {
      pg::write_outbox(tx, progress_announcer_(job_from_row(rows[0]), progress), rows[0][0].as<std::string>());
    }
    tx.commit();
    return {};
  });
}

Result<void> PgJobQueue::succeed(const JobLease& lease, const JobOutcome& outcome) {
  const auto result =
      to_json(outcome, /*with_report=*/true).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<void> {
    pqxx::work tx(c);
    const auto updated =
        tx.exec_prepared("queue_succeed", lease.job_id, lease.fencing_token, result, outcome.output_prefix);
    if (updated.empty()) return tl::unexpected(lost_lease(tx, lease));
    pg::announce(announcer_, tx, job_from_row(updated[0]));
    tx.commit();
    return {};
  });
}

Result<JobStatus> PgJobQueue::fail(const JobLease& lease, const Error& error, bool permanent,
                                   std::chrono::milliseconds retry_after) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<JobStatus> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared("queue_fail", lease.job_id, lease.fencing_token, permanent,
                                       static_cast<double>(retry_after.count()) / 1000.0,
                                       std::string(to_string(error.code)), error.message);
    if (rows.empty()) return tl::unexpected(lost_lease(tx, lease));
    const auto job = job_from_row(rows[0]);
    pg::announce(announcer_, tx, job);
    tx.commit();
    return job.status;
  });
}

Result<void> PgJobQueue::release(const JobLease& lease) {
  return defer(lease, std::chrono::milliseconds(0));
}

Result<void> PgJobQueue::defer(const JobLease& lease, std::chrono::milliseconds delay) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<void> {
    pqxx::work tx(c);
    const auto updated = tx.exec_prepared("queue_release", lease.job_id, lease.fencing_token,
                                          static_cast<double>(delay.count()) / 1000.0);
    if (updated.affected_rows() == 0) return tl::unexpected(lost_lease(tx, lease));
    tx.commit();
    return {};
  });
}

Result<std::vector<std::string>> PgJobQueue::requeue_expired() {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<std::vector<std::string>> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared("queue_requeue_expired");
    std::vector<std::string> ids;
    for (const auto& row : rows) {
      const auto job = job_from_row(row);
      pg::announce(announcer_, tx, job);  // a job out of attempts is dead: announced like any final status
      ids.push_back(job.id);
    }
    tx.commit();
    return ids;
  });
}

}  // namespace st
