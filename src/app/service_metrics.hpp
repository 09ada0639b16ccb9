// The families /metrics reads at scrape time from state the service keeps
// anyway: the Kafka side's counters, the pools of PostgreSQL and Redis, the
// Redis fallbacks, the job queue and outbox in PostgreSQL, and the trace
// exporter. Each part may be absent (null) in a role that has none.
#pragma once

#include <filesystem>
#include <utility>
#include <vector>

#include "jobs/queue_stats.hpp"
#include "observability/collectors.hpp"
#include "observability/metrics.hpp"

namespace st {

class ConnectionPool;
class RedisClient;
class OtlpHttpExporter;
struct MessagingCounters;
struct RedisFallbackCounters;

struct ServiceState {
  ConnectionPool* pool = nullptr;
  RedisClient* redis = nullptr;
  const RedisFallbackCounters* fallbacks = nullptr;
  const MessagingCounters* messaging = nullptr;
  const OtlpHttpExporter* exporter = nullptr;
  bool kafka = false;             // the Kafka families, only where Kafka is configured
  std::filesystem::path scratch;  // workers' scratch volume; empty in the api role
};

void add_service_collectors(Metrics& metrics, const ServiceState& state);

// st_jobs's samples: one per status and tenant label, tenants past the label's
// bound summed into "other".
std::vector<std::pair<MetricLabels, double>> queue_depth_samples(const std::vector<QueueDepth>& depths,
                                                                 Metrics& metrics);

}  // namespace st
