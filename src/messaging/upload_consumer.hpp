// Consumes video-service.video-uploaded: each event becomes a job, exactly once
// in effect.
//
// At-least-once delivery with an idempotent effect: an event's offset is stored
// (and later committed) only after its job row exists, and the job insert is
// idempotent on (tenant, video, source version), so a redelivery after a crash
// finds the job already there. Events are taken in batches (up to
// `kafka.max_batch` or what arrived within a poll) and inserted in one
// transaction. A message that can never be processed (too large, not UTF-8,
// too deep, not JSON, against the schema, a header that is not text, a bucket
// not allowed) goes to the dead-letter topic with the reason, and the consumer
// moves on: a poison message never blocks its partition. When the database
// refuses (down, overloaded), the consumer pauses its partitions and retries
// the same batch with backoff; only after kafka.max_retry_seconds of refusals
// are the events still waiting dead-lettered, with the last error.
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
#include "storage/source_policy.hpp"

namespace RdKafka {  // NOLINT(readability-identifier-naming): librdkafka's own name
class KafkaConsumer;
class RebalanceCb;
}  // namespace RdKafka

namespace st {

class UploadConsumer {
 public:
  UploadConsumer(KafkaConfig config, JobStore& store, int max_attempts, SourcePolicy sources,
                 MessagingCounters& counters);
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
  // The job a record asks for, or why it can never be one (a permanent error).
  Result<NewJob> job_of(const KafkaRecord& record) const;
  // Dead-letters what is left of a batch that kept failing for kafka.max_retry_seconds.
  Result<void> give_up(std::vector<Pending>& batch, const Error& last_error);
  void wait_before_retry(std::chrono::milliseconds backoff, const std::stop_token& stop);
  void store_offsets(const std::vector<Pending>& batch);
  void update_lag();
  void poll_loop(const std::stop_token& stop);

  class Rebalance;
  void close_consumer();

  KafkaConfig config_;
  JobStore& store_;
  int max_attempts_;
  SourcePolicy sources_;
  MessagingCounters& counters_;
  std::unique_ptr<DeadLetterPublisher> dead_letters_;
  std::unique_ptr<Rebalance> rebalance_;  // outlives consumer_, which calls it
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::jthread thread_;
};

}  // namespace st
