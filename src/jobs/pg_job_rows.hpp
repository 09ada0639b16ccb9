// What the PostgreSQL job repositories share: the columns every statement
// returns and how a row becomes a Job, and the outbox write.
#pragma once

#include <string>

#include <pqxx/pqxx>

#include "jobs/outbox.hpp"

namespace st::pg {

// The select list every job statement returns, read by job_from_row().
extern const char* const kJobColumns;

Job job_from_row(const pqxx::row& row);

// 8-4-4-4-12 hex digits: anything else cannot be a job id (and must not reach
// a ::uuid cast, which would fail the transaction).
bool is_uuid(const std::string& text);

// Prepares the outbox insert used by announce().
void prepare_outbox(pqxx::connection& connection);
// Writes the event announcing `job`'s final status, in the transaction that set it.
void announce(const OutcomeAnnouncer& announcer, pqxx::work& tx, const Job& job);
// Writes `message` to the outbox, in `tx`.
void write_outbox(pqxx::work& tx, const OutboxMessage& message, const std::string& job_id);

}  // namespace st::pg
