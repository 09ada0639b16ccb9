// The dependency checks of /health/ready: each one bounded in time, all run
// at once, so that the answer comes within about one timeout whatever is down.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "http/jobs_api.hpp"

namespace st {

class ConnectionPool;
class RedisClient;
class OutboxRelay;
class S3Store;
class OtlpHttpExporter;

// SELECT 1 on a pooled connection, cancelled after `timeout` (waiting for a
// free connection is bounded by the pool's acquire timeout).
DependencyCheck check_database(ConnectionPool& pool, std::chrono::milliseconds timeout);
// PING; not required: locks, cache, progress and rate limits fall back.
DependencyCheck check_redis(RedisClient& redis);
// A metadata request through the outbox relay's producer.
DependencyCheck check_kafka(OutboxRelay& relay, std::chrono::milliseconds timeout);
// HeadBucket of the output bucket, one attempt.
DependencyCheck check_s3(S3Store& outputs, std::chrono::milliseconds timeout);
// The trace exporter's last export (no request of its own); a warning only.
DependencyCheck check_otlp(const OtlpHttpExporter& exporter);

// Runs the checks in parallel and returns their results in order.
std::vector<DependencyCheck> run_checks(const std::vector<std::function<DependencyCheck()>>& checks);

}  // namespace st
