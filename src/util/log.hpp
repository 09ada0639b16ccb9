// Logging setup: JSON lines for machines (the service in a container), readable
// text on a terminal. Fields that identify the work at hand (job, video, tenant,
// trace) are set per thread with a LogScope and added to every JSON line.
#pragma once

#include <string>

namespace st {

struct LogFields {
  std::string job_id;
  std::string video_id;
  std::string tenant_id;
  std::string trace_id;
};

// `format`: "json", "text" or "auto" (text when stdout is a terminal).
void configure_logging(const std::string& level, const std::string& format);

// Sets this thread's fields for its lifetime, restoring the previous ones after.
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
