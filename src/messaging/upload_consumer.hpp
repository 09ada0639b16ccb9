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

#include "jobs/job_catalog.hpp"
#include "messaging/dead_letter.hpp"
#include "messaging/kafka_client.hpp"
#include "storage/source_policy.hpp"

namespace RdKafka {  // NOLINT(readability-identifier-naming): librdkafka's own name
class KafkaConsumer;
class RebalanceCb;
}  // namespace RdKafka

namespace st {

struct UploadConsumerOptions {
  std::string bootstrap_servers;
  std::string group_id = "stream-transcoding";
  std::string uploaded_topic = "video-service.video-uploaded";
  std::string dead_letter_topic = "video-service.video-uploaded.dead-letter";
  // Created beside the others when absent (the outbox relay publishes to it).
  std::string transcoded_topic = "transcoding-service.video-transcoded";
  int partitions = 6;   // for topics this service creates
  int max_batch = 500;  // events inserted in one transaction
  int session_timeout_ms = 10000;
  int close_timeout_ms = 5000;    // stopping waits at most this on the broker
  int max_message_bytes = 65536;  // larger upload events are dead-lettered unread
  int retry_backoff_ms = 1000;    // first wait when the database refuses an event; doubles up to 30 s
  int max_retry_seconds = 3600;   // an event the database keeps refusing is dead-lettered after this
  int max_attempts = 3;           // of the jobs it creates
  SourcePolicy sources;
};

class UploadConsumer {
 public:
  UploadConsumer(UploadConsumerOptions options, JobCatalog& catalog, MessagingCounters& counters);
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

  UploadConsumerOptions config_;
  JobCatalog& store_;
  MessagingCounters& counters_;
  std::unique_ptr<DeadLetterPublisher> dead_letters_;
  std::unique_ptr<Rebalance> rebalance_;  // outlives consumer_, which calls it
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::jthread thread_;
};

}  // namespace st
