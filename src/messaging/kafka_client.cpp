#include "messaging/kafka_client.hpp"

#include <array>
#include <set>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <spdlog/spdlog.h>

#include "util/log.hpp"

namespace st {
namespace {

constexpr std::size_t kMaxLibraryLineBytes = 4096;

// librdkafka's own lines ("%3|...|FAIL|..." on stderr by default) through our
// logger, as JSON like every other line. Called on librdkafka's threads.
void log_library_line(const rd_kafka_t* /*handle*/, int syslog_level, const char* facility, const char* message) {
  try {
    // syslog levels: 0-3 emergency..error, 4 warning, 5-6 notice and info, 7 debug.
    const auto level = syslog_level <= 3   ? spdlog::level::err
                       : syslog_level == 4 ? spdlog::level::warn
                       : syslog_level <= 6 ? spdlog::level::info
                                           : spdlog::level::debug;
    std::string_view text = message != nullptr ? message : "";
    if (text.size() > kMaxLibraryLineBytes) text = text.substr(0, kMaxLibraryLineBytes);
    log_foreign(level, "librdkafka", facility != nullptr ? facility : "", text);
  } catch (...) {
    // Nothing may leave a library callback.
  }
}

}  // namespace

Result<std::unique_ptr<RdKafka::Conf>> make_kafka_conf(const KafkaSettings& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  rd_kafka_conf_set_log_cb(conf->c_ptr_global(), log_library_line);
  std::string error;
  for (const auto& [name, value] : settings) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK) {
      return fail(ErrorCode::kUsage, fmt::format("kafka setting {}={}: {}", name, value, error));
    }
  }
  return conf;
}

void ensure_topics(RdKafka::Handle& handle, const std::vector<TopicSpec>& topics, std::chrono::milliseconds timeout) {
  // Only the missing ones: most starts find every topic there.
  std::set<std::string> existing;
  RdKafka::Metadata* raw = nullptr;
  if (handle.metadata(/*all_topics=*/true, nullptr, &raw, static_cast<int>(timeout.count())) == RdKafka::ERR_NO_ERROR) {
    const std::unique_ptr<RdKafka::Metadata> metadata(raw);
    for (const auto* topic : *metadata->topics()) {
      if (topic->err() == RdKafka::ERR_NO_ERROR) existing.insert(topic->topic());
    }
  }
  // The C++ API has no Admin client; the C API works on the same handle.
  rd_kafka_t* rk = handle.c_ptr();
  std::vector<rd_kafka_NewTopic_t*> requests;
  std::array<char, 256> error{};
  for (const auto& topic : topics) {
    if (existing.contains(topic.name)) continue;
    auto* request = rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions, /*replication_factor=*/-1, error.data(),
                                          error.size());
    if (request == nullptr) {
      spdlog::warn("kafka: cannot ask for topic {}: {}", topic.name, error.data());
      continue;
    }
    requests.push_back(request);
  }
  if (requests.empty()) return;
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout.count()), error.data(), error.size());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, requests.data(), requests.size(), options, queue);

  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 1000);
  if (event == nullptr) {
    spdlog::warn("kafka: no answer to CreateTopics; topics will be created on first use");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::info("kafka: the broker did not create topics ({}); they will be created on first use",
                 rd_kafka_event_error_string(event));
  } else {
    std::size_t count = 0;
    const auto* results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (std::size_t i = 0; i < count; ++i) {
      const auto err = rd_kafka_topic_result_error(results[i]);
      const char* name = rd_kafka_topic_result_name(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        spdlog::info("kafka: created topic {}", name);
      } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        spdlog::info("kafka: topic {} not created ({}); it will be created on first use", name, rd_kafka_err2str(err));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy_array(requests.data(), requests.size());
}

std::string KafkaRecord::header(std::string_view name) const {
  std::string found;
  for (const auto& [header_name, header_value] : headers) {
    if (header_name == name) found = header_value;
  }
  return found;
}

KafkaRecord record_of(const RdKafka::Message& message) {
  KafkaRecord record;
  record.topic = message.topic_name();
  record.partition = message.partition();
  record.offset = message.offset();
  if (message.key() != nullptr) record.key = *message.key();
  if (message.payload() != nullptr) record.value.assign(static_cast<const char*>(message.payload()), message.len());
  if (const auto* headers = const_cast<RdKafka::Message&>(message).headers(); headers != nullptr) {
    for (const auto& header : headers->get_all()) {
      const auto* value = static_cast<const char*>(header.value());
      record.headers.emplace_back(header.key(), value != nullptr ? std::string(value, header.value_size()) : "");
    }
  }
  return record;
}

}  // namespace st
