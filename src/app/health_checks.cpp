#include "app/health_checks.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "db/pool.hpp"
#include "messaging/outbox_relay.hpp"
#include "observability/otlp_exporter.hpp"
#include "redis/redis_client.hpp"
#include "storage/s3_store.hpp"
#include "util/parallel.hpp"

namespace st {
namespace {

// Times `probe` (which fills `check`) and returns the check.
template <typename Probe>
DependencyCheck timed(DependencyCheck check, Probe&& probe) {
  const auto start = std::chrono::steady_clock::now();
  probe(check);
  check.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return check;
}

}  // namespace

DependencyCheck check_database(ConnectionPool& pool, std::chrono::milliseconds timeout) {
  return timed(DependencyCheck{.name = "database"}, [&pool, timeout](DependencyCheck& check) {
    auto lease = pool.acquire();
    if (!lease) {
      check.detail = lease.error().message;
      return;
    }
    try {
      pqxx::work tx(**lease);
      tx.exec(fmt::format("SET LOCAL statement_timeout = {}", timeout.count()));
      tx.exec("SELECT 1");
      tx.commit();
      check.up = true;
    } catch (const std::exception& e) {
      lease->discard();
      check.detail = e.what();
      while (!check.detail.empty() && check.detail.back() == '\n') check.detail.pop_back();
    }
  });
}

DependencyCheck check_redis(RedisClient& redis) {
  return timed(DependencyCheck{.name = "redis", .required = false}, [&redis](DependencyCheck& check) {
    auto pong = redis.command({"PING"});
    check.up = pong.has_value();
    if (!pong) check.detail = pong.error().message + " (locks, cache, progress and rate limits fall back)";
  });
}

DependencyCheck check_kafka(OutboxRelay& relay, std::chrono::milliseconds timeout) {
  return timed(DependencyCheck{.name = "kafka"}, [&](DependencyCheck& check) {
    auto answered = relay.check_broker(timeout);
    check.up = answered.has_value();
    if (!answered) check.detail = answered.error().message;
  });
}

DependencyCheck check_s3(S3Store& outputs, std::chrono::milliseconds timeout) {
  return timed(DependencyCheck{.name = "s3"}, [&](DependencyCheck& check) {
    auto answered = outputs.check_bucket(timeout);
    check.up = answered.has_value();
    if (!answered) check.detail = answered.error().message;
  });
}

DependencyCheck check_otlp(const OtlpHttpExporter& exporter) {
  DependencyCheck check{.name = "otlp", .required = false};
  const auto stats = exporter.stats();
  check.up = !stats.last_export_failed;
  if (stats.last_export_failed) check.detail = stats.last_error + " (spans are dropped; jobs go on)";
  return check;
}

std::vector<DependencyCheck> run_checks(const std::vector<std::function<DependencyCheck()>>& checks) {
  std::vector<DependencyCheck> results(checks.size());
  static_cast<void>(parallel_for(checks.size(), static_cast<int>(checks.size()), [&](std::size_t i) -> Result<void> {
    results[i] = checks[i]();
    return {};
  }));
  return results;
}

}  // namespace st
