#include "jobs/queue_stats.hpp"

#include <pqxx/pqxx>

#include "db/transaction.hpp"

namespace st {

Result<QueueSnapshot> read_queue_snapshot(ConnectionPool& pool) {
  return with_connection(pool, [](pqxx::connection& connection) -> Result<QueueSnapshot> {
    pqxx::read_transaction tx(connection);
    QueueSnapshot snapshot;
    // A job is due once its retry delay is over; it has waited since the later
    // of that moment and its (re)queueing.
    const auto jobs = tx.exec(
        "SELECT status::text, tenant_id, count(*),"
        " coalesce(max(extract(epoch FROM now() - greatest(queued_at, next_attempt_at)))"
        "   FILTER (WHERE status = 'queued' AND next_attempt_at <= now()), 0)::float8"
        " FROM jobs WHERE status IN ('queued', 'running') GROUP BY 1, 2");
    for (const auto& row : jobs) {
      snapshot.depths.push_back({.status = row[0].as<std::string>(),
                                 .tenant_id = row[1].as<std::string>(),
                                 .jobs = row[2].as<std::int64_t>(),
                                 .oldest_due_seconds = row[3].as<double>()});
    }
    const auto outbox = tx.exec1(
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8"
        " FROM outbox WHERE sent_at IS NULL");
    snapshot.outbox_pending = outbox[0].as<std::int64_t>();
    snapshot.outbox_oldest_seconds = outbox[1].as<double>();
    return snapshot;
  });
}

}  // namespace st
