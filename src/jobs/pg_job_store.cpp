#include "jobs/pg_job_store.hpp"

#include <cctype>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <pqxx/pqxx>

namespace st {
namespace {

// Every statement returns the same columns, read by job_from_row().
constexpr const char* kColumns =
    "id::text, tenant_id, video_id, source_version, coalesce(source_bucket, ''), source_key, source_size,"
    " coalesce(source_checksum, ''), array_to_json(profile_set)::text, output_prefix, priority, max_attempts,"
    " status::text, attempt, fencing_token, coalesce(lease_owner, ''), progress, coalesce(error_code, ''),"
    " coalesce(error_message, ''), coalesce(result::text, ''),"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " coalesce(to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), ''),"
    " coalesce(to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), ''),"
    " coalesce(message_id, ''), coalesce(correlation_id, ''), coalesce(conversation_id, ''),"
    " coalesce(traceparent, '')";

Job job_from_row(const pqxx::row& row) {
  Job job;
  int i = 0;
  job.id = row[i++].as<std::string>();
  auto& spec = job.spec;
  spec.tenant_id = row[i++].as<std::string>();
  spec.video_id = row[i++].as<std::string>();
  spec.source_version = row[i++].as<std::string>();
  spec.source.bucket = row[i++].as<std::string>();
  spec.source.key = row[i++].as<std::string>();
  if (!row[i].is_null()) spec.source.size_bytes = row[i].as<std::int64_t>();
  ++i;
  spec.source.checksum = row[i++].as<std::string>();
  spec.profile_set = nlohmann::json::parse(row[i++].as<std::string>()).get<std::vector<std::string>>();
  spec.output_prefix = row[i++].as<std::string>();
  spec.priority = row[i++].as<int>();
  spec.max_attempts = row[i++].as<int>();
  job.status = parse_job_status(row[i++].as<std::string>()).value_or(JobStatus::kQueued);
  job.attempt = row[i++].as<int>();
  job.fencing_token = row[i++].as<std::int64_t>();
  job.lease_owner = row[i++].as<std::string>();
  job.progress = row[i++].as<double>();
  job.error_code = row[i++].as<std::string>();
  job.error_message = row[i++].as<std::string>();
  job.result_json = row[i++].as<std::string>();
  job.created_at = row[i++].as<std::string>();
  job.updated_at = row[i++].as<std::string>();
  job.started_at = row[i++].as<std::string>();
  job.finished_at = row[i++].as<std::string>();
  spec.origin.message_id = row[i++].as<std::string>();
  spec.origin.correlation_id = row[i++].as<std::string>();
  spec.origin.conversation_id = row[i++].as<std::string>();
  spec.origin.traceparent = row[i++].as<std::string>();
  return job;
}

bool is_uuid(const std::string& text) {
  // 8-4-4-4-12 hex digits.
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::string first_line(const char* what) {
  std::string text = what;
  if (const auto nl = text.find('\n'); nl != std::string::npos) text.erase(nl);
  return text;
}

// Runs `work` on a pooled connection, turning libpqxx's exceptions into Errors.
// A broken connection is discarded so the pool replaces it.
template <typename Work>
auto with_connection(ConnectionPool& pool, Work&& work) -> decltype(work(std::declval<pqxx::connection&>())) {
  auto lease = pool.acquire();
  if (!lease) return tl::unexpected(lease.error());
  try {
    return work(**lease);
  } catch (const pqxx::broken_connection& e) {
    lease->discard();
    return fail(ErrorCode::kUnavailable, fmt::format("lost the database connection: {}", first_line(e.what())));
  } catch (const pqxx::check_violation& e) {
    return fail(ErrorCode::kUsage, fmt::format("rejected by the database: {}", first_line(e.what())));
  } catch (const pqxx::data_exception& e) {
    // SQLSTATE class 22: the values themselves are unacceptable (a NUL in
    // text, a number out of range); sending them again cannot help.
    lease->discard();
    return fail(ErrorCode::kInvalidInput, fmt::format("rejected by the database: {}", first_line(e.what())));
  } catch (const nlohmann::json::exception& e) {
    // A value that cannot be written as JSON (ill-formed UTF-8): the input's fault.
    return fail(ErrorCode::kInvalidInput, fmt::format("cannot encode the job: {}", first_line(e.what())));
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "57014") {
      // query_canceled: the statement ran past database.statement_timeout_ms
      // (a locked row, an overloaded server). Worth another try later.
      return fail(ErrorCode::kUnavailable,
                  fmt::format("the database did not answer in time: {}", first_line(e.what())));
    }
    // A failed statement may leave the connection in an unknown state: do not reuse it.
    lease->discard();
    return fail(ErrorCode::kInternal, fmt::format("database error: {}", first_line(e.what())));
  } catch (const std::exception& e) {
    lease->discard();
    return fail(ErrorCode::kInternal, fmt::format("database error: {}", first_line(e.what())));
  }
}

// The fencing check failed: say what the job is now, for the log.
Error lost_lease(pqxx::work& tx, const JobLease& lease) {
  const auto rows = tx.exec_params("SELECT status::text, fencing_token FROM jobs WHERE id = $1::uuid", lease.job_id);
  if (rows.empty()) return {ErrorCode::kNotFound, fmt::format("job {} does not exist", lease.job_id)};
  return {ErrorCode::kConflict,
          fmt::format("job {} is no longer ours: it is {} with fencing token {} (we hold {})", lease.job_id,
                      rows[0][0].as<std::string>(), rows[0][1].as<std::int64_t>(), lease.fencing_token)};
}

}  // namespace

void PgJobStore::prepare_statements(pqxx::connection& c) {
  c.prepare("job_insert",
            fmt::format("INSERT INTO jobs (tenant_id, video_id, source_version, source_bucket, source_key,"
                        " source_size, source_checksum, profile_set, output_prefix, priority, max_attempts,"
                        " message_id, correlation_id, conversation_id, traceparent)"
                        " VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, NULLIF($7, ''),"
                        " ARRAY(SELECT json_array_elements_text($8::json)), $9, $10, $11,"
                        " NULLIF($12, ''), NULLIF($13, ''), NULLIF($14, ''), NULLIF($15, ''))"
                        " ON CONFLICT (tenant_id, video_id, source_version) DO NOTHING RETURNING {}",
                        kColumns));
  // The batch form of job_insert: $1 is a JSON array of rows (see create_all).
  constexpr const char* kBatchRows =
      "json_to_recordset($1::json) AS r(tenant_id text, video_id text, source_version text, source_bucket text,"
      " source_key text, source_size bigint, source_checksum text, profile_set json, output_prefix text,"
      " priority integer, max_attempts integer, message_id text, correlation_id text, conversation_id text,"
      " traceparent text)";
  c.prepare(
      "job_insert_all",
      fmt::format("INSERT INTO jobs (tenant_id, video_id, source_version, source_bucket, source_key,"
                  " source_size, source_checksum, profile_set, output_prefix, priority, max_attempts,"
                  " message_id, correlation_id, conversation_id, traceparent)"
                  " SELECT tenant_id, video_id, source_version, NULLIF(source_bucket, ''), source_key,"
                  " source_size, NULLIF(source_checksum, ''), ARRAY(SELECT json_array_elements_text(profile_set)),"
                  " output_prefix, priority, max_attempts, NULLIF(message_id, ''), NULLIF(correlation_id, ''),"
                  " NULLIF(conversation_id, ''), NULLIF(traceparent, '') FROM {}"
                  " ON CONFLICT (tenant_id, video_id, source_version) DO NOTHING RETURNING id::text",
                  kBatchRows));
  c.prepare("job_by_sources", fmt::format("SELECT {} FROM jobs WHERE (tenant_id, video_id, source_version) IN"
                                          " (SELECT tenant_id, video_id, source_version FROM {})",
                                          kColumns, kBatchRows));
  c.prepare(
      "job_by_source",
      fmt::format("SELECT {} FROM jobs WHERE tenant_id = $1 AND video_id = $2 AND source_version = $3", kColumns));
  c.prepare("job_get", fmt::format("SELECT {} FROM jobs WHERE id = $1::uuid", kColumns));
  // SKIP LOCKED: concurrent claimers each take a different row instead of queueing on one.
  c.prepare("job_claim",
            fmt::format("UPDATE jobs SET status = 'running', attempt = attempt + 1, lease_owner = $1,"
                        " lease_expires_at = now() + make_interval(secs => $2), fencing_token = fencing_token + 1,"
                        " started_at = coalesce(started_at, now()), updated_at = now()"
                        " WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND next_attempt_at <= now()"
                        " ORDER BY priority DESC, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
                        " RETURNING {}",
                        kColumns));
  c.prepare("job_heartbeat",
            "UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3), progress = $4, updated_at = now()"
            " WHERE id = $1::uuid AND fencing_token = $2 AND status = 'running'");
  c.prepare(
      "job_succeed",
      "UPDATE jobs SET status = 'succeeded', progress = 1, result = $3::jsonb, error_code = NULL,"
      " error_message = NULL, lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()"
      " WHERE id = $1::uuid AND fencing_token = $2 AND status = 'running' RETURNING " +
          std::string(kColumns));
  c.prepare("job_fail",
            "UPDATE jobs SET status = CASE WHEN $3 THEN 'failed'::job_status"
            " WHEN attempt >= max_attempts THEN 'dead'::job_status ELSE 'queued'::job_status END,"
            " next_attempt_at = now() + make_interval(secs => $4), error_code = $5, error_message = $6,"
            " lease_owner = NULL, lease_expires_at = NULL, updated_at = now(),"
            " finished_at = CASE WHEN $3 OR attempt >= max_attempts THEN now() END"
            " WHERE id = $1::uuid AND fencing_token = $2 AND status = 'running' RETURNING " +
                std::string(kColumns));
  // The fencing token moves on: whoever held the lease can no longer write.
  c.prepare("job_release",
            "UPDATE jobs SET status = 'queued', attempt = greatest(attempt - 1, 0), lease_owner = NULL,"
            " lease_expires_at = NULL, fencing_token = fencing_token + 1, next_attempt_at = now(), updated_at = now()"
            " WHERE id = $1::uuid AND fencing_token = $2 AND status = 'running'");
  c.prepare("job_requeue_expired",
            "UPDATE jobs SET status = CASE WHEN attempt >= max_attempts THEN 'dead'::job_status"
            " ELSE 'queued'::job_status END, error_code = 'lease_expired',"
            " error_message = 'the worker running this job stopped renewing its lease (' || coalesce(lease_owner, '?')"
            " || ')', lease_owner = NULL, lease_expires_at = NULL, fencing_token = fencing_token + 1,"
            " next_attempt_at = now(), updated_at = now(),"
            " finished_at = CASE WHEN attempt >= max_attempts THEN now() END"
            " WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < now()"
            " FOR UPDATE SKIP LOCKED) RETURNING " +
                std::string(kColumns));
  c.prepare("outbox_insert",
            "INSERT INTO outbox (topic, message_key, payload, headers, job_id)"
            " VALUES ($1, $2, $3, $4::jsonb, $5::uuid)");
}

namespace {

// Inserts `job` unless its source version already has one; either way returns the job.
CreatedJob insert_or_find(pqxx::work& tx, const NewJob& job) {
  const auto inserted =
      tx.exec_prepared("job_insert", job.tenant_id, job.video_id, job.source_version, job.source.bucket, job.source.key,
                       job.source.size_bytes, job.source.checksum, nlohmann::json(job.profile_set).dump(),
                       job.output_prefix, job.priority, job.max_attempts, job.origin.message_id,
                       job.origin.correlation_id, job.origin.conversation_id, job.origin.traceparent);
  if (!inserted.empty()) return CreatedJob{job_from_row(inserted[0]), true};
  // Someone inserted it first; within this transaction's snapshot or after, it is there.
  const auto existing = tx.exec_prepared("job_by_source", job.tenant_id, job.video_id, job.source_version);
  if (existing.empty()) throw std::logic_error("job insert conflicted but no job was found");
  return CreatedJob{job_from_row(existing[0]), false};
}

// Writes the event announcing `job`'s final status, in the transaction that set it.
void announce(const OutcomeAnnouncer& announcer, pqxx::work& tx, const Job& job) {
  if (!announcer || !is_terminal(job.status)) return;
  const auto message = announcer(job);
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : message.headers) headers[name] = value;
  tx.exec_prepared("outbox_insert", message.topic, message.key, message.payload, headers.dump(), job.id);
}

}  // namespace

Result<CreatedJob> PgJobStore::create(const NewJob& job) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<CreatedJob> {
    pqxx::work tx(c);
    auto created = insert_or_find(tx, job);
    tx.commit();
    return created;
  });
}

Result<std::vector<CreatedJob>> PgJobStore::create_all(const std::vector<NewJob>& jobs) {
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
                    {"output_prefix", job.output_prefix},
                    {"priority", job.priority},
                    {"max_attempts", job.max_attempts},
                    {"message_id", job.origin.message_id},
                    {"correlation_id", job.origin.correlation_id},
                    {"conversation_id", job.origin.conversation_id},
                    {"traceparent", job.origin.traceparent}});
  }
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<std::vector<CreatedJob>> {
    pqxx::work tx(c);
    const auto inserted = tx.exec_prepared("job_insert_all", rows.dump());
    const auto present = tx.exec_prepared("job_by_sources", rows.dump());
    tx.commit();
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
      created.push_back(CreatedJob{it->second, new_ids.erase(it->second.id) > 0});
    }
    return created;
  });
}

Result<Job> PgJobStore::get(const std::string& id) {
  if (!is_uuid(id)) return st::fail(ErrorCode::kNotFound, fmt::format("no job has the id '{}'", id));
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<Job> {
    pqxx::read_transaction tx(c);
    const auto rows = tx.exec_prepared("job_get", id);
    if (rows.empty()) return st::fail(ErrorCode::kNotFound, fmt::format("no job has the id '{}'", id));
    return job_from_row(rows[0]);
  });
}

Result<std::optional<Job>> PgJobStore::claim(const std::string& owner, std::chrono::seconds lease) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<std::optional<Job>> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared("job_claim", owner, static_cast<double>(lease.count()));
    tx.commit();
    if (rows.empty()) return std::optional<Job>();
    return std::optional<Job>(job_from_row(rows[0]));
  });
}

Result<void> PgJobStore::heartbeat(const JobLease& lease, std::chrono::seconds extension, double progress) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<void> {
    pqxx::work tx(c);
    const auto updated = tx.exec_prepared("job_heartbeat", lease.job_id, lease.fencing_token,
                                          static_cast<double>(extension.count()), std::clamp(progress, 0.0, 1.0));
    if (updated.affected_rows() == 0) return tl::unexpected(lost_lease(tx, lease));
    tx.commit();
    return {};
  });
}

Result<void> PgJobStore::succeed(const JobLease& lease, const std::string& result_json) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<void> {
    pqxx::work tx(c);
    const auto updated = tx.exec_prepared("job_succeed", lease.job_id, lease.fencing_token,
                                          result_json.empty() ? std::string("{}") : result_json);
    if (updated.empty()) return tl::unexpected(lost_lease(tx, lease));
    announce(announcer_, tx, job_from_row(updated[0]));
    tx.commit();
    return {};
  });
}

Result<JobStatus> PgJobStore::fail(const JobLease& lease, const Error& error, bool permanent,
                                   std::chrono::milliseconds retry_after) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<JobStatus> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared("job_fail", lease.job_id, lease.fencing_token, permanent,
                                       static_cast<double>(retry_after.count()) / 1000.0,
                                       std::string(to_string(error.code)), error.message);
    if (rows.empty()) return tl::unexpected(lost_lease(tx, lease));
    const auto job = job_from_row(rows[0]);
    if (!is_legal_transition(JobStatus::kRunning, job.status)) {
      return st::fail(ErrorCode::kInternal, fmt::format("illegal transition running -> {}", to_string(job.status)));
    }
    announce(announcer_, tx, job);
    tx.commit();
    return job.status;
  });
}

Result<void> PgJobStore::release(const JobLease& lease) {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<void> {
    pqxx::work tx(c);
    const auto updated = tx.exec_prepared("job_release", lease.job_id, lease.fencing_token);
    if (updated.affected_rows() == 0) return tl::unexpected(lost_lease(tx, lease));
    tx.commit();
    return {};
  });
}

Result<std::vector<std::string>> PgJobStore::requeue_expired() {
  return with_connection(pool_, [&](pqxx::connection& c) -> Result<std::vector<std::string>> {
    pqxx::work tx(c);
    const auto rows = tx.exec_prepared("job_requeue_expired");
    std::vector<std::string> ids;
    for (const auto& row : rows) {
      const auto job = job_from_row(row);
      announce(announcer_, tx, job);  // a job out of attempts is dead: announced like any final status
      ids.push_back(job.id);
    }
    tx.commit();
    return ids;
  });
}

}  // namespace st
