// The dead-letter topic: where a message that can never be processed goes,
// unchanged (key, value and headers), with headers that say why, where it came
// from and when, so that the consumer can move on and a person can look at it
// later (and replay it once the cause is fixed).
#pragma once

#include <memory>
#include <string>

#include "messaging/kafka_client.hpp"

namespace RdKafka {
class Producer;
}

namespace st {

class DeadLetterPublisher {
 public:
  // An idempotent producer to `bootstrap_servers`.
  static Result<std::unique_ptr<DeadLetterPublisher>> create(const std::string& bootstrap_servers, std::string topic);
  DeadLetterPublisher(const DeadLetterPublisher&) = delete;
  DeadLetterPublisher& operator=(const DeadLetterPublisher&) = delete;
  ~DeadLetterPublisher();

  // Publishes `record` with the reason headers and waits for the broker's
  // acknowledgement: only then may the consumer store the record's offset.
  // Called from one thread at a time.
  Result<void> publish(const KafkaRecord& record, const std::string& reason);

 private:
  class Reports;
  DeadLetterPublisher(std::unique_ptr<Reports> reports, std::unique_ptr<RdKafka::Producer> producer, std::string topic);
  std::unique_ptr<Reports> reports_;  // outlives producer_, which calls it
  std::unique_ptr<RdKafka::Producer> producer_;
  std::string topic_;
};

}  // namespace st
