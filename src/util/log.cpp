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

// Set while a foreign line is logged: its source and facility go into the JSON line.
thread_local std::string_view foreign_source;
thread_local std::string_view foreign_facility;

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(msg.time);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time - seconds).count();
    nlohmann::json line = {
        {"time", fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)),
                             millis)},
        {"level", log_level_name(msg.level)},
        {"message", std::string_view(msg.payload.data(), msg.payload.size())},
    };
    if (!foreign_source.empty()) {
      line["source"] = foreign_source;
      line["facility"] = foreign_facility;
    }
    const auto& context = this_thread_context();
    const auto& f = context.log;
    if (!f.job_id.empty()) line["job_id"] = f.job_id;
    if (!f.video_id.empty()) line["video_id"] = f.video_id;
    if (!f.tenant_id.empty()) line["tenant_id"] = f.tenant_id;
    if (context.span) {
      line["trace_id"] = context.span->trace_id;
      line["span_id"] = context.span->span_id;
    }
    // Invalid UTF-8 in a message (a file name) is replaced, never a reason to throw.
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// %L in the text pattern: our level name, padded.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*time*/, spdlog::memory_buf_t& dest) override {
    const auto name = fmt::format("{:<5}", log_level_name(msg.level));
    dest.append(name.data(), name.data() + name.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<LevelFlag>();
  }
};

}  // namespace

std::string_view log_level_name(int spdlog_level) {
  switch (spdlog_level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "fatal";
    default:
      return "off";
  }
}

void configure_logging(const std::string& level, const std::string& format) {
  auto logger =
      std::make_shared<spdlog::logger>("stream-transcoding", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  const bool json = format == "json" || (format == "auto" && ::isatty(STDOUT_FILENO) == 0);
  if (json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    auto text = std::make_unique<spdlog::pattern_formatter>();
    text->add_flag<LevelFlag>('L').set_pattern("%Y-%m-%d %H:%M:%S.%e %^%L%$ %v");
    logger->set_formatter(std::move(text));
  }
  // spdlog's own parser knows "warn" and "warning"; ours are validated by the configuration.
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

void log_foreign(int spdlog_level, std::string_view source, std::string_view facility, std::string_view message) {
  foreign_source = source;
  foreign_facility = facility;
  spdlog::log(static_cast<spdlog::level::level_enum>(spdlog_level), "{}", message);
  foreign_source = {};
  foreign_facility = {};
}

LogScope::LogScope(LogFields fields) : previous_(std::exchange(this_thread_context().log, std::move(fields))) {}

LogScope::~LogScope() {
  this_thread_context().log = std::move(previous_);
}

}  // namespace st
