// The transactional outbox, both ends.
//
// In: video_transcoded_announcer() makes the VideoTranscoded event of a job in a
// final status; the job repositories write it to the `outbox` table in the same
// transaction as that status, so an event exists if and only if the status does.
//
// Out: OutboxRelay publishes unsent rows in order with an idempotent producer and
// marks each sent when the broker acknowledges it. A crash or a broker outage
// leaves rows unsent, and they go out when the relay runs again: every event is
// published at least once, always under its own MessageId (the row's), so a
// consumer that has seen a MessageId knows a repeat for what it is. One relay
// at a time publishes (a PostgreSQL advisory lock per round), so the events of
// one video keep their order in any number of pods.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "db/pool.hpp"
#include "jobs/outbox.hpp"
#include "messaging/batch_producer.hpp"
#include "messaging/kafka_client.hpp"

namespace RdKafka {  // NOLINT(readability-identifier-naming): librdkafka's own name
class Producer;
}

namespace st {

// Content-Type as MassTransit's Kafka rider writes it: plain camelCase JSON in the value.
inline constexpr const char* kMassTransitContentType = "application/vnd.masstransit+json";

// Key: the video id. Headers: CorrelationId and ConversationId of the upload
// event (else the job id), InitiatorId (the upload's MessageId), Content-Type,
// and a traceparent that continues the upload's trace. MessageId is added by the
// relay from the outbox row.
OutcomeAnnouncer video_transcoded_announcer(std::string topic);
// The TranscodeProgress event of a running job, keyed and correlated the same way.
ProgressAnnouncer transcode_progress_announcer(std::string topic);

struct OutboxRelayOptions {
  std::string bootstrap_servers;
  std::chrono::milliseconds poll{250};
  int batch = 500;
  std::chrono::milliseconds delivery_timeout{10000};
  // Stopping waits at most this for events in flight (an unreachable broker).
  std::chrono::milliseconds close_timeout{5000};
};

class OutboxRelay {
 public:
  OutboxRelay(ConnectionPool& pool, OutboxRelayOptions options, MessagingCounters& counters);
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;
  ~OutboxRelay();  // stop()

  Result<void> start();
  // Whether a broker answers within `timeout` (readiness).
  Result<void> check_broker(std::chrono::milliseconds timeout);
  // Ends the round in progress (events not acknowledged yet stay in the
  // outbox, to be sent again) and stops, within the close timeout.
  void stop();

 private:
  // Publishes one batch of unsent rows; the number published, or why none could be.
  Result<int> publish_round();
  void loop(const std::stop_token& stop);

  ConnectionPool& pool_;
  OutboxRelayOptions options_;
  MessagingCounters& counters_;
  std::unique_ptr<BatchProducer> producer_;
  std::mutex mutex_;
  std::condition_variable_any wakeup_;  // waited on between rounds; stop() interrupts it
  std::jthread thread_;
};

}  // namespace st
