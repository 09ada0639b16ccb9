// The dead-letter topic: where a message that can never be processed goes,
// unchanged (key, value and headers), with headers that say why, where it came
// from and when, so that the consumer can move on and a person can look at it
// later (and replay it once the cause is fixed).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "messaging/batch_producer.hpp"
#include "messaging/kafka_client.hpp"

namespace st {

struct DeadLetter {
  const KafkaRecord* record = nullptr;
  std::string reason;
};

class DeadLetterPublisher {
 public:
  // An idempotent producer to `bootstrap_servers`.
  static Result<std::unique_ptr<DeadLetterPublisher>> create(const std::string& bootstrap_servers, std::string topic);
  DeadLetterPublisher(const DeadLetterPublisher&) = delete;
  DeadLetterPublisher& operator=(const DeadLetterPublisher&) = delete;
  ~DeadLetterPublisher() = default;

  // Publishes each record with its reason headers and waits for the broker's
  // acknowledgement of all: only then may the consumer store their offsets.
  // Called from one thread at a time.
  Result<void> publish(const std::vector<DeadLetter>& letters);

 private:
  DeadLetterPublisher(std::unique_ptr<BatchProducer> producer, std::string topic)
      : producer_(std::move(producer)), topic_(std::move(topic)) {}
  std::unique_ptr<BatchProducer> producer_;
  std::string topic_;
};

}  // namespace st
