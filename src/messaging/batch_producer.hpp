// "Produce a batch and wait for delivery": what the dead-letter path and the
// outbox relay both need before they may move on (store the consumer's
// offsets; mark outbox rows sent). An idempotent librdkafka producer; send()
// returns, for each message, whether the broker acknowledged it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "messaging/kafka_client.hpp"

namespace RdKafka {  // NOLINT(readability-identifier-naming): librdkafka's own name
class Producer;
}

namespace st {

struct OutgoingMessage {
  std::string topic;
  std::string key;  // empty: none (the partitioner picks)
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct BatchDelivery {
  std::vector<bool> delivered;  // one per message, in order
  std::size_t failed = 0;
  std::string last_error;  // of a message that was not delivered
};

class BatchProducer {
 public:
  // `settings` beyond the bootstrap servers (client.id, message.max.bytes);
  // idempotence and the delivery timeout are set here.
  // `close_timeout`: how long destruction waits for what is in flight.
  static Result<std::unique_ptr<BatchProducer>> create(
      const std::string& bootstrap_servers, KafkaSettings settings, std::chrono::milliseconds delivery_timeout,
      std::chrono::milliseconds close_timeout = std::chrono::milliseconds(2000));
  BatchProducer(const BatchProducer&) = delete;
  BatchProducer& operator=(const BatchProducer&) = delete;
  ~BatchProducer();  // waits at most close_timeout for what is in flight, then drops it

  // Produces every message and waits until each has its delivery report (or
  // the delivery timeout has passed, or abandon() was called). Called from
  // one thread at a time.
  BatchDelivery send(const std::vector<OutgoingMessage>& messages);
  // Ends a send() that is waiting (from another thread, when stopping): what
  // is not acknowledged yet counts as not delivered, to be sent again later.
  void abandon() { abandoned_ = true; }
  // Whether a broker answers a metadata request within `timeout` (readiness).
  Result<void> check_broker(std::chrono::milliseconds timeout);

 private:
  class Reports;
  BatchProducer(std::unique_ptr<Reports> reports, std::unique_ptr<RdKafka::Producer> producer,
                std::chrono::milliseconds delivery_timeout, std::chrono::milliseconds close_timeout);
  std::unique_ptr<Reports> reports_;  // outlives producer_, which calls it
  std::unique_ptr<RdKafka::Producer> producer_;
  std::chrono::milliseconds delivery_timeout_;
  std::chrono::milliseconds close_timeout_;
  std::atomic<bool> abandoned_{false};
};

}  // namespace st
