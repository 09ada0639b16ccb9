// The upload event's parser and validator: any bytes a producer can put in a
// Kafka value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "messaging/contracts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  static_cast<void>(st::parse_video_uploaded(value, {.max_bytes = 1 << 20}));
  static_cast<void>(st::validate_contract("video-transcoded", value));
  return 0;
}
