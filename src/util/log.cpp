#include "util/log.hpp"

#include <unistd.h>

#include <chrono>

#include <fmt/chrono.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace st {
namespace {

thread_local LogFields current_fields;

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(msg.time);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time - seconds).count();
    const auto level = spdlog::level::to_string_view(msg.level);
    nlohmann::json line = {
        {"time", fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)),
                             millis)},
        {"level", std::string(level.data(), level.size())},
        {"message", std::string_view(msg.payload.data(), msg.payload.size())},
    };
    const auto& f = current_fields;
    if (!f.job_id.empty()) line["job_id"] = f.job_id;
    if (!f.video_id.empty()) line["video_id"] = f.video_id;
    if (!f.tenant_id.empty()) line["tenant_id"] = f.tenant_id;
    if (!f.trace_id.empty()) line["trace_id"] = f.trace_id;
    // Invalid UTF-8 in a message (a file name) is replaced, never a reason to throw.
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

void configure_logging(const std::string& level, const std::string& format) {
  auto logger =
      std::make_shared<spdlog::logger>("stream-transcoding", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  const bool json = format == "json" || (format == "auto" && ::isatty(STDOUT_FILENO) == 0);
  if (json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

LogScope::LogScope(LogFields fields) : previous_(std::exchange(current_fields, std::move(fields))) {}

LogScope::~LogScope() {
  current_fields = std::move(previous_);
}

}  // namespace st
