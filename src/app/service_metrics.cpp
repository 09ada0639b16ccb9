#include "app/service_metrics.hpp"

#include <sys/statvfs.h>

#include <chrono>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>

#include "db/pool.hpp"
#include "jobs/queue_stats.hpp"
#include "messaging/kafka_client.hpp"
#include "observability/collectors.hpp"
#include "observability/otlp_exporter.hpp"
#include "redis/fallback_counters.hpp"
#include "redis/redis_client.hpp"

namespace st {
namespace {

using Families = std::vector<prometheus::MetricFamily>;

Families messaging_families(const MessagingCounters& c) {
  const auto value = [](const std::atomic<std::int64_t>& v) { return static_cast<double>(v.load()); };
  return {
      counter_family("st_kafka_messages_consumed_total", "Upload events read from Kafka.", value(c.consumed)),
      counter_family("st_kafka_jobs_created_total", "Jobs created from upload events.", value(c.jobs_created)),
      counter_family("st_kafka_duplicate_events_total", "Upload events whose job already existed.",
                     value(c.duplicates)),
      counter_family("st_kafka_dead_lettered_total", "Upload events sent to the dead-letter topic.",
                     value(c.dead_lettered)),
      gauge_family("st_kafka_consumer_lag", "Upload events not yet read in this consumer's assigned partitions.",
                   value(c.consumer_lag)),
      counter_family("st_outbox_published_total", "Events published from the outbox.", value(c.published)),
      counter_family("st_outbox_publish_failures_total", "Outbox publications that failed and will be retried.",
                     value(c.publish_failures)),
  };
}

Families redis_families(RedisClient* redis, const RedisFallbackCounters& f) {
  Families out{counter_family("st_redis_fallbacks_total",
                              "Uses of Redis that fell back to PostgreSQL or local state, by use.",
                              {{{{"use", "video_lock"}}, static_cast<double>(f.video_lock.load())},
                               {{{"use", "rate_limit"}}, static_cast<double>(f.rate_limit.load())},
                               {{{"use", "progress"}}, static_cast<double>(f.progress.load())},
                               {{{"use", "status_cache"}}, static_cast<double>(f.status_cache.load())}})};
  if (redis != nullptr) {
    out.push_back(counter_family("st_redis_failures_total", "Redis commands that failed (unreachable, timed out).",
                                 static_cast<double>(redis->failures())));
    out.push_back(gauge_family("st_redis_up", "Whether Redis answered the last command.", redis->available() ? 1 : 0));
    out.push_back(gauge_family("st_redis_pool_connections", "Open Redis connections.",
                               static_cast<double>(redis->open_connections())));
  }
  return out;
}

Families pool_families(const ConnectionPool& pool) {
  const auto open = static_cast<double>(pool.open_connections());
  const auto idle = static_cast<double>(pool.idle_connections());
  return {gauge_family("st_db_pool_connections", "PostgreSQL connections of the pool, by state.",
                       {{{{"state", "in_use"}}, open - idle}, {{{"state", "idle"}}, idle}}),
          gauge_family("st_db_pool_max_connections", "The most connections the pool may open.",
                       static_cast<double>(pool.max_size()))};
}

// The last reading of the queue, reused for a second: scrapes from several
// Prometheus servers (or anyone who can reach /metrics) cost one query a second.
struct QueueReading {
  std::mutex mutex;
  std::chrono::steady_clock::time_point at;
  Result<QueueSnapshot> snapshot = fail(ErrorCode::kUnavailable, "not read yet");
};

Families queue_families(ConnectionPool& pool, Metrics& metrics, QueueReading& reading) {
  std::unique_lock lock(reading.mutex);
  const auto now = std::chrono::steady_clock::now();
  if (now - reading.at >= std::chrono::seconds(1)) {
    reading.snapshot = read_queue_snapshot(pool);
    reading.at = now;
  }
  const auto snapshot = reading.snapshot;
  lock.unlock();
  if (!snapshot) {
    // No families rather than zeros: an absent series alerts (absent()), a false zero would not.
    spdlog::warn("metrics: the job queue cannot be read: {}", snapshot.error().message);
    return {gauge_family("st_queue_scrape_error", "1 when the last scrape could not read the job queue.", 1)};
  }
  double oldest = 0;
  for (const auto& d : snapshot->depths) oldest = std::max(oldest, d.oldest_due_seconds);
  const auto depth = queue_depth_samples(snapshot->depths, metrics);
  return {gauge_family("st_jobs", "Jobs queued and running, by status and tenant (all workers).", depth),
          gauge_family("st_queue_oldest_due_job_age_seconds",
                       "How long the oldest job that a worker could claim now has waited.", oldest),
          gauge_family("st_outbox_pending", "Events in the outbox not yet published.",
                       static_cast<double>(snapshot->outbox_pending)),
          gauge_family("st_outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox event.",
                       snapshot->outbox_oldest_seconds),
          gauge_family("st_queue_scrape_error", "1 when the last scrape could not read the job queue.", 0)};
}

Families scratch_families(const std::filesystem::path& scratch) {
  struct statvfs fs {};
  if (::statvfs(scratch.c_str(), &fs) != 0) return {};
  const auto block = static_cast<double>(fs.f_frsize);
  return {
      gauge_family("st_scratch_free_bytes", "Bytes free for the service on the scratch volume.",
                   static_cast<double>(fs.f_bavail) * block),
      gauge_family("st_scratch_size_bytes", "Size of the scratch volume.", static_cast<double>(fs.f_blocks) * block)};
}

Families exporter_families(const OtlpHttpExporter& exporter) {
  const auto s = exporter.stats();
  return {
      counter_family("st_trace_spans_exported_total", "Spans the OTLP collector accepted.",
                     static_cast<double>(s.exported)),
      counter_family("st_trace_spans_dropped_total", "Spans dropped: the export queue was full or their batch failed.",
                     static_cast<double>(s.dropped)),
      counter_family("st_trace_export_failures_total", "OTLP export requests that failed.",
                     static_cast<double>(s.failed_batches)),
      gauge_family("st_trace_export_queue_spans", "Spans waiting to be exported.", static_cast<double>(s.queued))};
}

}  // namespace

std::vector<std::pair<MetricLabels, double>> queue_depth_samples(const std::vector<QueueDepth>& depths,
                                                                 Metrics& metrics) {
  // Tenants beyond the label's bound share "other": one series, summed.
  std::map<std::pair<std::string, std::string>, double> jobs;
  for (const auto& d : depths) jobs[{d.status, metrics.tenant_label(d.tenant_id)}] += static_cast<double>(d.jobs);
  std::vector<std::pair<MetricLabels, double>> samples;
  samples.reserve(jobs.size());
  for (const auto& [labels, count] : jobs)
    samples.push_back({{{"status", labels.first}, {"tenant", labels.second}}, count});
  return samples;
}

void add_service_collectors(Metrics& metrics, const ServiceState& state) {
  auto reading = std::make_shared<QueueReading>();
  metrics.add_collector(std::make_shared<ScrapeCollector>([state, &metrics, reading] {
    Families out;
    const auto append = [&out](Families more) {
      out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    };
    if (state.messaging != nullptr && state.kafka) append(messaging_families(*state.messaging));
    if (state.fallbacks != nullptr) append(redis_families(state.redis, *state.fallbacks));
    if (state.pool != nullptr) {
      append(pool_families(*state.pool));
      append(queue_families(*state.pool, metrics, *reading));
    }
    if (state.exporter != nullptr) append(exporter_families(*state.exporter));
    if (!state.scratch.empty()) append(scratch_families(state.scratch));
    return out;
  }));
}

}  // namespace st
