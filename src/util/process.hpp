// A child process with pipes, resource limits and a guaranteed end.
//
// Every ffmpeg and ffprobe the service runs goes through this class, so that one
// place decides how children are started (no shell, stdin from /dev/null, their
// own process group, killed if we die, no descriptor of ours but the three
// standard ones, an environment of allow-listed variables only: no secret of
// ours reaches a child), limited (wall time, CPU time, address space, file
// size) and stopped (SIGKILL to the whole group on timeout, cancellation or
// destruction). A Process is owned by one thread; nothing here is shared.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace st {

struct ProcessLimits {
  std::chrono::milliseconds wall_time{0};  // zero: no limit
  std::chrono::seconds cpu_time{0};        // RLIMIT_CPU; zero: no limit
  std::uint64_t address_space_bytes = 0;   // RLIMIT_AS; zero: no limit
  std::uint64_t file_size_bytes = 0;       // RLIMIT_FSIZE (largest file it may write); zero: no limit
};

struct ProcessSpec {
  // argv[0] is looked up on PATH unless it contains a slash. No shell is involved,
  // so arguments are never reinterpreted.
  std::vector<std::string> argv;
  ProcessLimits limits;
  // Added to (or replacing in) the environment, as "NAME=value".
  std::vector<std::string> environment;
  // Which of our variables the child sees besides `environment`: by default
  // only those of kInheritedVariables (PATH, locale, time zone, TMPDIR). Tests
  // that start the service itself pass the whole environment on.
  bool inherit_environment = false;
  // The child's current directory; empty: ours. Lets a child name its files
  // relatively where an absolute path would need quoting (ffmpeg's filter options).
  std::filesystem::path working_directory;
  // Only the end of stderr is kept: ffmpeg's last lines say why it failed, and a
  // chatty child must not grow our memory.
  std::size_t stderr_tail_bytes = std::size_t{16} * 1024;
};

struct ProcessResult {
  int exit_code = -1;   // meaningful when term_signal == 0
  int term_signal = 0;  // the signal that ended the child, or 0
  bool timed_out = false;
  bool cancelled = false;
  std::string stderr_tail;
  double wall_seconds = 0;
  double user_cpu_seconds = 0;
  double system_cpu_seconds = 0;
  std::int64_t max_rss_bytes = 0;

  [[nodiscard]] bool succeeded() const { return term_signal == 0 && exit_code == 0 && !timed_out && !cancelled; }
  // "exited with code 1", "killed by SIGKILL after the 10 s time limit", ...
  [[nodiscard]] std::string describe() const;
};

// The variables a child inherits unless told otherwise: what ffmpeg needs to
// find itself and format text, nothing that could hold a credential.
inline constexpr std::string_view kInheritedVariables[] = {"PATH", "LANG",   "LC_ALL", "LC_CTYPE",
                                                           "TZ",   "TMPDIR", "HOME"};

class Process {
 public:
  using LineHandler = std::function<void(std::string_view line)>;

  static Result<Process> spawn(const ProcessSpec& spec);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // Kills the process group and reaps the child if wait() did not.
  ~Process();

  // Pumps the child's stdout (one call of on_line per line, without the newline)
  // and stderr until it exits, enforcing the wall-time limit and `stop`.
  ProcessResult wait(const LineHandler& on_line, const std::stop_token& stop = {});

  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  Process(pid_t pid, int stdout_fd, int stderr_fd, ProcessLimits limits, std::size_t tail_bytes);
  void kill_group() const;
  void release();

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  ProcessLimits limits_;
  std::size_t tail_bytes_ = 0;
  std::chrono::steady_clock::time_point started_;
};

// Runs a child to completion and returns its stdout, which must not exceed
// `max_stdout_bytes` (larger output fails rather than growing without bound).
struct CapturedRun {
  ProcessResult result;
  std::string stdout_text;
};
Result<CapturedRun> run_captured(const ProcessSpec& spec, std::size_t max_stdout_bytes,
                                 const std::stop_token& stop = {});

// Absolute path of an executable found on PATH, or an error naming what is missing.
Result<std::string> find_executable(std::string_view name);

}  // namespace st
