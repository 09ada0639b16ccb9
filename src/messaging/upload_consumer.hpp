// Consumes video-service.video-uploaded: each event becomes a job, exactly once
// in effect.
//
// At-least-once delivery with an idempotent effect: an event's offset is stored
// (and later committed) only after its job row exists, and the job insert is
// idempotent on (tenant, video, source version), so a redelivery after a crash
// finds the job already there. Events are taken in batches (up to
// `kafka.max_batch` or what arrived within a poll) and inserted in one
// transaction. A message that can never be processed (not JSON, against the
// schema) goes to the dead-letter topic, and the consumer moves on. When the
// database refuses (down, overloaded), nothing is dead-lettered: the consumer
// pauses its partitions and retries the same batch with backoff.
// Long work never happens here: the poll loop only inserts rows.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "jobs/job_store.hpp"
#include "messaging/dead_letter.hpp"
#include "messaging/kafka_client.hpp"

namespace RdKafka {  // NOLINT(readability-identifier-naming): librdkafka's own name
class KafkaConsumer;
class RebalanceCb;
}  // namespace RdKafka

namespace st {

class UploadConsumer {
 public:
  UploadConsumer(KafkaConfig config, JobStore& store, int max_attempts, MessagingCounters& counters);
  UploadConsumer(const UploadConsumer&) = delete;
  UploadConsumer& operator=(const UploadConsumer&) = delete;
  ~UploadConsumer();  // stop()

  // Joins the consumer group and starts the poll thread.
  Result<void> start();
  // Leaves the group, committing the offsets stored so far.
  void stop();

 private:
  struct Pending;
  std::vector<KafkaRecord> next_batch();
  // kUnavailable while a dependency refuses; the batch is then retried as it is.
  Result<void> process(std::vector<Pending>& batch);
  void wait_before_retry(std::chrono::milliseconds backoff, const std::stop_token& stop);
  void store_offsets(const std::vector<Pending>& batch);
  void update_lag();
  void poll_loop(const std::stop_token& stop);

  class Rebalance;
  void close_consumer();

  KafkaConfig config_;
  JobStore& store_;
  int max_attempts_;
  MessagingCounters& counters_;
  std::unique_ptr<DeadLetterPublisher> dead_letters_;
  std::unique_ptr<Rebalance> rebalance_;  // outlives consumer_, which calls it
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::jthread thread_;
};

}  // namespace st
