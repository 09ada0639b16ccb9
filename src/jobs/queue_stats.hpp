// What waits in PostgreSQL, for the metrics read at scrape time: jobs queued
// and running by tenant, the age of the oldest job a worker could claim now,
// and the outbox's unsent events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/pool.hpp"
#include "util/error.hpp"

namespace st {

struct QueueDepth {
  std::string status;  // queued or running
  std::string tenant_id;
  std::int64_t jobs = 0;
  // Queued jobs only: the longest wait of one that is due (its retry delay
  // over) since it became due, in seconds; 0 when none is due.
  double oldest_due_seconds = 0;
};

struct QueueSnapshot {
  std::vector<QueueDepth> depths;
  std::int64_t outbox_pending = 0;
  double outbox_oldest_seconds = 0;
};

// One round trip, served by the partial indexes of queued and running jobs
// and of unsent outbox rows.
Result<QueueSnapshot> read_queue_snapshot(ConnectionPool& pool);

}  // namespace st
