// "Produce a batch and wait for delivery": what the dead-letter path and the
// outbox relay both need before they may move on (store the consumer's
// offsets; mark outbox rows sent). An idempotent librdkafka producer; send()
// returns, for each message, whether the broker acknowledged it.
#pragma once

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
  static Result<std::unique_ptr<BatchProducer>> create(const std::string& bootstrap_servers, KafkaSettings settings,
                                                       std::chrono::milliseconds delivery_timeout);
  BatchProducer(const BatchProducer&) = delete;
  BatchProducer& operator=(const BatchProducer&) = delete;
  ~BatchProducer();  // waits (a bounded time) for what is in flight

  // Produces every message and waits until each has its delivery report (or
  // the delivery timeout has passed). Called from one thread at a time.
  BatchDelivery send(const std::vector<OutgoingMessage>& messages);

 private:
  class Reports;
  BatchProducer(std::unique_ptr<Reports> reports, std::unique_ptr<RdKafka::Producer> producer,
                std::chrono::milliseconds delivery_timeout);
  std::unique_ptr<Reports> reports_;  // outlives producer_, which calls it
  std::unique_ptr<RdKafka::Producer> producer_;
  std::chrono::milliseconds delivery_timeout_;
};

}  // namespace st
