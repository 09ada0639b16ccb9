// What comes back from Redis is read like outside input (anyone with access
// to it may have written it): a job record, a progress value, and the
// configuration's Redis URL. The first byte picks which.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "jobs/job_state_cache.hpp"
#include "redis/redis_connection.hpp"
#include "util/json_bounds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      static_cast<void>(st::parse_redis_url(text));
      break;
    default: {
      // The same bounds RedisJobState applies before parsing.
      if (!st::check_json_bounds(
              text, {.max_bytes = std::size_t{4} << 20, .max_depth = 32, .max_string_bytes = std::size_t{1} << 20})) {
        return 0;
      }
      const auto doc = nlohmann::json::parse(text, nullptr, false);
      if (doc.is_discarded()) return 0;
      if (data[0] % 3 == 1) {
        if (auto job = st::job_from_record_json(doc)) static_cast<void>(st::to_record_json(*job));
      } else {
        if (auto progress = st::progress_from_json(doc)) static_cast<void>(st::to_json(*progress));
      }
    }
  }
  return 0;
}
