#include "jobs/pg_job_rows.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

namespace st::pg {

#define ST_ISO8601(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

const char* const kJobColumns =
    "id::text, tenant_id, video_id, source_version, coalesce(source_bucket, ''), source_key, source_size,"
    " coalesce(source_checksum, ''), array_to_json(profile_set)::text, output_prefix, priority, max_attempts,"
    " status::text, attempt, fencing_token, coalesce(lease_owner, ''), progress, coalesce(error_code, ''),"
    " coalesce(error_message, ''), coalesce(result::text, ''), " ST_ISO8601("created_at") ", " ST_ISO8601(
        "updated_at") ", coalesce(" ST_ISO8601("started_at") ", ''), coalesce(" ST_ISO8601("finished_at") ", ''),"
                      " coalesce(message_id, ''), coalesce(correlation_id, ''), coalesce(conversation_id, ''),"
                      " coalesce(traceparent, ''), coalesce(progress_detail::text, ''), subtitles::text";

#undef ST_ISO8601

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
  job.progress_percent = row[i++].as<double>();
  job.error_code = row[i++].as<std::string>();
  job.error_message = row[i++].as<std::string>();
  if (const auto result = row[i++].as<std::string>(); !result.empty()) {
    // Written by succeed() from a JobOutcome; a row that does not read back
    // (edited by hand) shows no outcome rather than failing the read.
    if (auto outcome = outcome_from_json(nlohmann::json::parse(result, nullptr, false))) {
      job.outcome = std::move(*outcome);
    }
  }
  job.created_at = row[i++].as<std::string>();
  job.updated_at = row[i++].as<std::string>();
  job.started_at = row[i++].as<std::string>();
  job.finished_at = row[i++].as<std::string>();
  spec.origin.message_id = row[i++].as<std::string>();
  spec.origin.correlation_id = row[i++].as<std::string>();
  spec.origin.conversation_id = row[i++].as<std::string>();
  spec.origin.traceparent = row[i++].as<std::string>();
  if (const auto detail = row[i++].as<std::string>(); !detail.empty()) {
    job.progress_detail = progress_from_json(nlohmann::json::parse(detail, nullptr, false));
  }
  // Written from checked entries; read through the same checks all the same
  // (a row edited by hand loses what is wrong, not the job).
  std::vector<std::string> problems;
  spec.subtitles =
      subtitle_sidecars_from_json(nlohmann::json::parse(row[i++].as<std::string>(), nullptr, false), problems);
  return job;
}

bool is_uuid(const std::string& text) {
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

void prepare_outbox(pqxx::connection& c) {
  c.prepare("outbox_insert",
            "INSERT INTO outbox (topic, message_key, payload, headers, job_id)"
            " VALUES ($1, $2, $3, $4::jsonb, $5::uuid)");
}

void write_outbox(pqxx::work& tx, const OutboxMessage& message, const std::string& job_id) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [name, value] : message.headers) headers[name] = value;
  tx.exec_prepared("outbox_insert", message.topic, message.key, message.payload, headers.dump(), job_id);
}

void announce(const OutcomeAnnouncer& announcer, pqxx::work& tx, const Job& job) {
  if (!announcer || !is_terminal(job.status)) return;
  write_outbox(tx, announcer(job), job.id);
}

}  // namespace st::pg
