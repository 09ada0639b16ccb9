#include "messaging/dead_letter.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace st {
namespace {

constexpr int kDeliveryTimeoutMs = 15000;
// The producer's message.max.bytes (Kafka's default): a dead letter must fit,
// however large the message that became one.
constexpr std::size_t kMaxMessageBytes = 1000000;
// What is kept of a value too large to republish whole: enough to see what it was.
constexpr std::size_t kTruncatedValueBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxReasonBytes = 1024;

std::size_t headers_size(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::size_t total = 0;
  for (const auto& [name, value] : headers) total += name.size() + value.size() + 16;
  return total;
}

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)));
}

}  // namespace

Result<std::unique_ptr<DeadLetterPublisher>> DeadLetterPublisher::create(const std::string& bootstrap_servers,
                                                                         std::string topic) {
  auto producer = BatchProducer::create(bootstrap_servers,
                                        {{"message.max.bytes", std::to_string(kMaxMessageBytes)},
                                         {"linger.ms", "1"},
                                         {"client.id", "stream-transcoding-dead-letter"}},
                                        std::chrono::milliseconds(kDeliveryTimeoutMs));
  if (!producer) return tl::unexpected(producer.error());
  return std::unique_ptr<DeadLetterPublisher>(new DeadLetterPublisher(std::move(*producer), std::move(topic)));
}

Result<void> DeadLetterPublisher::publish(const std::vector<DeadLetter>& letters) {
  if (letters.empty()) return {};
  const auto at = now_iso8601();
  std::vector<OutgoingMessage> messages;
  messages.reserve(letters.size());
  for (const auto& letter : letters) {
    const auto& record = *letter.record;
    OutgoingMessage message{.topic = topic_};
    // What does not fit is cut, and the headers say so: a dead letter that
    // cannot be published would block its partition forever.
    const auto budget = kMaxMessageBytes - std::size_t{4096};
    const bool keep_headers = headers_size(record.headers) + record.key.size() <= budget / 2;
    if (keep_headers) {
      message.headers = record.headers;
    } else {
      message.headers.emplace_back("dead-letter-headers-dropped", std::to_string(record.headers.size()));
    }
    const auto key_size = std::min(record.key.size(), budget / 4);
    const auto used = key_size + (keep_headers ? headers_size(record.headers) : 0);
    auto value_size = record.value.size();
    if (used + value_size > budget) {
      value_size = std::min(value_size, kTruncatedValueBytes);
      message.headers.emplace_back("dead-letter-truncated", "true");
      message.headers.emplace_back("dead-letter-original-bytes", std::to_string(record.value.size()));
    }
    message.headers.emplace_back("dead-letter-reason", letter.reason.substr(0, kMaxReasonBytes));
    message.headers.emplace_back("dead-letter-source-topic", record.topic);
    message.headers.emplace_back("dead-letter-source-partition", std::to_string(record.partition));
    message.headers.emplace_back("dead-letter-source-offset", std::to_string(record.offset));
    message.headers.emplace_back("dead-letter-at", at);
    message.headers.emplace_back("dead-letter-by", "stream-transcoding");
    // The same key keeps the dead letters of one video in order on one partition.
    message.key = record.key.substr(0, key_size);
    message.value = record.value.substr(0, value_size);
    messages.push_back(std::move(message));
  }
  const auto delivery = producer_->send(messages);
  if (delivery.failed > 0) {
    return fail(ErrorCode::kUnavailable, fmt::format("{} of {} dead letter(s) not acknowledged: {}", delivery.failed,
                                                     letters.size(), delivery.last_error));
  }
  return {};
}

}  // namespace st
