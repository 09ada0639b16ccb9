// What every Kafka client of the service shares: configuration from name/value
// pairs, topic creation, the counters the metrics endpoint shows, and header access.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace RdKafka {  // NOLINT(readability-identifier-naming): librdkafka's own name
class Conf;
class Handle;
class Message;
}  // namespace RdKafka

namespace st {

using KafkaSettings = std::vector<std::pair<std::string, std::string>>;

// A librdkafka global configuration; kUsage names the setting it refused.
Result<std::unique_ptr<RdKafka::Conf>> make_kafka_conf(const KafkaSettings& settings);

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

// Creates the topics that do not exist yet. A broker that cannot create topics
// through the Admin API (librdkafka's mock cluster) creates them on first use:
// that is logged, not an error.
void ensure_topics(RdKafka::Handle& handle, const std::vector<TopicSpec>& topics, std::chrono::milliseconds timeout);

// A consumed message as plain values, detached from librdkafka's buffers.
struct KafkaRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;

  // The last value of header `name`, or empty.
  [[nodiscard]] std::string header(std::string_view name) const;
};

KafkaRecord record_of(const RdKafka::Message& message);

// Counters of the messaging side, shown by GET /metrics. Written by the consumer
// and relay threads, read by the HTTP threads.
struct MessagingCounters {
  std::atomic<std::int64_t> consumed{0};
  std::atomic<std::int64_t> jobs_created{0};
  std::atomic<std::int64_t> duplicates{0};
  std::atomic<std::int64_t> dead_lettered{0};
  std::atomic<std::int64_t> consumer_lag{0};  // messages behind the end of the assigned partitions
  std::atomic<std::int64_t> published{0};
  std::atomic<std::int64_t> publish_failures{0};
  std::atomic<std::int64_t> outbox_pending{0};
};

}  // namespace st
