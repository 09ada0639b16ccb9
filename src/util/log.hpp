// Logging setup: JSON lines for machines (the service in a container), readable
// text on a terminal. The work at hand (job, video, tenant, and the current
// span's trace_id and span_id) comes from the thread's ThreadContext and is
// added to every JSON line, on whichever thread the work runs.
#pragma once

#include <string>
#include <string_view>

#include "util/thread_context.hpp"

namespace st {

// `level`: trace, debug, info, warn or error; `format`: "json", "text" or
// "auto" (text when stdout is a terminal).
void configure_logging(const std::string& level, const std::string& format);

// The level names of configuration and output alike ("warn", not spdlog's "warning").
std::string_view log_level_name(int spdlog_level);

// Logs one line that another library produced (librdkafka), at the level it
// gave and with its own facility, through our logger and so as JSON.
void log_foreign(int spdlog_level, std::string_view source, std::string_view facility, std::string_view message);

// Sets this thread's log fields for its lifetime, restoring the previous ones
// after (the span and the CPU account stay as they are).
class LogScope {
 public:
  explicit LogScope(LogFields fields);
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;
  ~LogScope();

 private:
  LogFields previous_;
};

}  // namespace st
