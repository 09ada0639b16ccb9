// The transactional outbox: an event is written in the same transaction as the
// job status it announces, and messaging/outbox_relay publishes it.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "jobs/job.hpp"

namespace st {

struct OutboxMessage {
  std::string topic;
  std::string key;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Makes the event that announces a job's final status (succeeded, failed,
// cancelled, dead).
using OutcomeAnnouncer = std::function<OutboxMessage(const Job&)>;

struct JobProgress;
// Makes the event that announces a running job's progress (at most one per
// 10% per job, on the progress topic).
using ProgressAnnouncer = std::function<OutboxMessage(const Job&, const JobProgress&)>;

}  // namespace st
