// A Kafka-protocol broker for one test (tools/kafka-mock-broker: librdkafka's
// mock cluster over TCP), and kcat as the outside producer and consumer, the
// way another team's service would talk to ours.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/process.hpp"

namespace st::testing {

struct KafkaMessage {
  std::string key;
  std::string value;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::map<std::string, std::string> headers;
};

class KafkaBroker {
 public:
  // Starts a broker with the given topics ("name:partitions") pre-created.
  explicit KafkaBroker(const std::vector<std::string>& topics = {});
  KafkaBroker(const KafkaBroker&) = delete;
  KafkaBroker& operator=(const KafkaBroker&) = delete;
  ~KafkaBroker();

  [[nodiscard]] const std::string& bootstrap() const { return bootstrap_; }
  // Every broker of the cluster refuses connections until up().
  void down() const;
  void up() const;

  // Produces each value as one message with kcat (values must be single lines).
  void produce(const std::string& topic, const std::vector<std::string>& values,
               const std::vector<std::pair<std::string, std::string>>& headers = {}, const std::string& key = "") const;
  // Everything in `topic` so far, read with kcat from the beginning.
  [[nodiscard]] std::vector<KafkaMessage> read_all(const std::string& topic) const;

 private:
  std::unique_ptr<Process> process_;
  pid_t pid_ = -1;
  std::string bootstrap_;
  std::filesystem::path dir_;
};

}  // namespace st::testing
