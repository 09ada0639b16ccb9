#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "util/thread_context.hpp"

namespace st {
namespace {

constexpr std::size_t kMaxLineBytes = std::size_t{64} * 1024;
constexpr int kPollIntervalMs = 100;

double seconds_of(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

// The child's CPU time goes to the account of the job this thread works for.
void charge(const rusage& usage) {
  if (const auto& account = this_thread_context().cpu) {
    account->add(seconds_of(usage.ru_utime), seconds_of(usage.ru_stime));
  }
}

// A pipe whose ends close themselves unless released.
struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() = default;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    if (read_end >= 0) ::close(read_end);
    if (write_end >= 0) ::close(write_end);
  }
  bool open() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) return false;
    read_end = fds[0];
    write_end = fds[1];
    return true;
  }
};

void set_limit(int resource, rlim_t soft, rlim_t hard) {
  rlimit limit{soft, hard};
  ::setrlimit(resource, &limit);
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const char* path, char* const* argv, char* const* envp, int stdout_fd, int stderr_fd,
                             int error_fd, const ProcessLimits& limits, const char* working_directory) {
  ::setpgid(0, 0);
  // If the parent dies, even by SIGKILL, the child must not run on unsupervised.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the parent may block SIGINT/SIGTERM
  ::signal(SIGPIPE, SIG_DFL);
  ::signal(SIGXFSZ, SIG_DFL);

  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
  ::dup2(stdout_fd, STDOUT_FILENO);
  ::dup2(stderr_fd, STDERR_FILENO);
  // Nothing of ours beyond the standard three: not the listening socket, not a
  // database connection, not another job's files. Only the exec-status pipe
  // stays open until the exec (it is close-on-exec) to report a failed exec.
  if (error_fd > 3) ::close_range(3, static_cast<unsigned>(error_fd) - 1, 0);
  ::close_range(static_cast<unsigned>(error_fd) + 1, ~0U, 0);

  // The soft CPU limit sends SIGXCPU, which says why; the hard one, a little
  // later, is SIGKILL for a child that ignores it. Equal limits would skip the former.
  if (limits.cpu_time.count() > 0) {
    const auto seconds = static_cast<rlim_t>(limits.cpu_time.count());
    set_limit(RLIMIT_CPU, seconds, seconds + 2);
  }
  if (limits.address_space_bytes > 0) set_limit(RLIMIT_AS, limits.address_space_bytes, limits.address_space_bytes);
  if (limits.file_size_bytes > 0) set_limit(RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes);

  if (working_directory != nullptr && ::chdir(working_directory) != 0) {
    const int err = errno;
    (void)!::write(error_fd, &err, sizeof err);
    ::_exit(127);
  }
  ::execve(path, argv, envp);
  const int err = errno;
  (void)!::write(error_fd, &err, sizeof err);
  ::_exit(127);
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

}  // namespace

std::string ProcessResult::describe() const {
  if (timed_out) return fmt::format("killed after exceeding its time limit ({:.1f} s)", wall_seconds);
  if (cancelled) return "stopped on request";
  if (term_signal == SIGXCPU) return "killed by SIGXCPU: it exceeded its CPU time limit";
  if (term_signal == SIGXFSZ) return "killed by SIGXFSZ: it wrote a file larger than its limit";
  if (term_signal != 0) return fmt::format("killed by {}", signal_name(term_signal));
  return fmt::format("exited with code {}", exit_code);
}

Result<std::string> find_executable(std::string_view name) {
  namespace fs = std::filesystem;
  if (name.find('/') != std::string_view::npos) {
    if (::access(std::string(name).c_str(), X_OK) == 0) return std::string(name);
    return fail(ErrorCode::kProcess, fmt::format("{} is not an executable file", name));
  }
  const char* path_env = std::getenv("PATH");
  std::string_view path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (!path.empty()) {
    const auto colon = path.find(':');
    const auto dir = path.substr(0, colon);
    if (!dir.empty()) {
      const auto candidate = fs::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return fail(ErrorCode::kProcess, fmt::format("'{}' was not found on PATH; install it (scripts/setup.sh does)", name));
}

Result<Process> Process::spawn(const ProcessSpec& spec) {
  if (spec.argv.empty()) return fail(ErrorCode::kInternal, "Process::spawn called without argv");
  auto path = find_executable(spec.argv.front());
  if (!path) return tl::unexpected(path.error());

  // Everything the child touches is prepared before fork: after it, only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    const auto name = text.substr(0, eq + 1);
    const bool allowed = spec.inherit_environment ||
                         std::any_of(std::begin(kInheritedVariables), std::end(kInheritedVariables),
                                     [&](std::string_view variable) { return text.substr(0, eq) == variable; });
    const bool replaced = std::any_of(spec.environment.begin(), spec.environment.end(),
                                      [&](const std::string& extra) { return extra.starts_with(name); });
    if (allowed && !replaced) environment.emplace_back(text);
  }
  environment.insert(environment.end(), spec.environment.begin(), spec.environment.end());
  std::vector<char*> envp;
  envp.reserve(environment.size() + 1);
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  Pipe out;
  Pipe err;
  Pipe exec_status;  // CLOEXEC: closes silently on a successful exec
  if (!out.open() || !err.open() || !exec_status.open()) {
    return fail(ErrorCode::kProcess, fmt::format("cannot create pipes: {}", std::strerror(errno)));
  }

  const pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorCode::kProcess, fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    exec_child(path->c_str(), argv.data(), envp.data(), out.write_end, err.write_end, exec_status.write_end,
               spec.limits, spec.working_directory.empty() ? nullptr : spec.working_directory.c_str());
  }
  ::setpgid(pid, pid);  // also done by the child; whichever runs first wins the race

  ::close(exec_status.write_end);
  exec_status.write_end = -1;
  int child_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(exec_status.read_end, &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    ::waitpid(pid, nullptr, 0);
    return fail(ErrorCode::kProcess, fmt::format("cannot run {}: {}", spec.argv.front(), std::strerror(child_errno)));
  }

  Process process(pid, std::exchange(out.read_end, -1), std::exchange(err.read_end, -1), spec.limits,
                  spec.stderr_tail_bytes);
  return process;
}

Process::Process(pid_t pid, int stdout_fd, int stderr_fd, ProcessLimits limits, std::size_t tail_bytes)
    : pid_(pid),
      stdout_fd_(stdout_fd),
      stderr_fd_(stderr_fd),
      limits_(limits),
      tail_bytes_(tail_bytes),
      started_(std::chrono::steady_clock::now()) {}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      stdout_fd_(std::exchange(other.stdout_fd_, -1)),
      stderr_fd_(std::exchange(other.stderr_fd_, -1)),
      limits_(other.limits_),
      tail_bytes_(other.tail_bytes_),
      started_(other.started_) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    stdout_fd_ = std::exchange(other.stdout_fd_, -1);
    stderr_fd_ = std::exchange(other.stderr_fd_, -1);
    limits_ = other.limits_;
    tail_bytes_ = other.tail_bytes_;
    started_ = other.started_;
  }
  return *this;
}

Process::~Process() {
  release();
}

void Process::release() {
  if (pid_ > 0) {
    kill_group();
    // A child killed before wait() still cost CPU: it is charged too.
    rusage usage{};
    while (::wait4(pid_, nullptr, 0, &usage) < 0 && errno == EINTR) {
    }
    charge(usage);
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) ::close(std::exchange(stdout_fd_, -1));
  if (stderr_fd_ >= 0) ::close(std::exchange(stderr_fd_, -1));
}

void Process::kill_group() const {
  if (pid_ > 0) ::kill(-pid_, SIGKILL);
}

ProcessResult Process::wait(const LineHandler& on_line, const std::stop_token& stop) {
  ProcessResult result;
  std::string line_buffer;
  std::string& tail = result.stderr_tail;
  std::array<char, std::size_t{16} * 1024> chunk{};
  bool killed = false;

  const auto deadline =
      limits_.wall_time.count() > 0 ? started_ + limits_.wall_time : std::chrono::steady_clock::time_point::max();

  auto emit_lines = [&](bool flush) {
    std::size_t start = 0;
    for (auto nl = line_buffer.find('\n'); nl != std::string::npos; nl = line_buffer.find('\n', start)) {
      if (on_line) on_line(std::string_view(line_buffer).substr(start, nl - start));
      start = nl + 1;
    }
    line_buffer.erase(0, start);
    if (line_buffer.size() > kMaxLineBytes) line_buffer.clear();  // a runaway line is dropped
    if (flush && !line_buffer.empty()) {
      if (on_line) on_line(line_buffer);
      line_buffer.clear();
    }
  };

  auto read_into = [&](int& fd, bool is_stdout) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n > 0) {
      const auto bytes = std::string_view(chunk.data(), static_cast<std::size_t>(n));
      if (is_stdout) {
        line_buffer.append(bytes);
        emit_lines(false);
      } else {
        tail.append(bytes);
        if (tail.size() > 2 * tail_bytes_) tail.erase(0, tail.size() - tail_bytes_);
      }
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      ::close(fd);
      fd = -1;
    }
  };

  rusage usage{};
  int status = 0;
  while (true) {
    if (!killed) {
      if (stop.stop_requested()) {
        result.cancelled = true;
        kill_group();
        killed = true;
      } else if (std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        kill_group();
        killed = true;
      }
    }

    std::array<pollfd, 2> fds{};
    nfds_t count = 0;
    if (stdout_fd_ >= 0) fds[count++] = {stdout_fd_, POLLIN, 0};
    if (stderr_fd_ >= 0) fds[count++] = {stderr_fd_, POLLIN, 0};
    if (count == 0) {
      // Both pipes closed: the child has exited or is about to.
      const pid_t done = ::wait4(pid_, &status, WNOHANG, &usage);
      if (done == pid_) break;
      ::poll(nullptr, 0, kPollIntervalMs);
      continue;
    }
    const int ready = ::poll(fds.data(), count, kPollIntervalMs);
    if (ready <= 0) continue;
    for (nfds_t i = 0; i < count; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (fds[i].fd == stdout_fd_) {
        read_into(stdout_fd_, true);
      } else {
        read_into(stderr_fd_, false);
      }
    }
  }
  emit_lines(true);
  pid_ = -1;  // reaped

  if (tail.size() > tail_bytes_) tail.erase(0, tail.size() - tail_bytes_);
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  result.user_cpu_seconds = seconds_of(usage.ru_utime);
  result.system_cpu_seconds = seconds_of(usage.ru_stime);
  result.max_rss_bytes = static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
  charge(usage);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

Result<CapturedRun> run_captured(const ProcessSpec& spec, std::size_t max_stdout_bytes, const std::stop_token& stop) {
  auto process = Process::spawn(spec);
  if (!process) return tl::unexpected(process.error());
  CapturedRun run;
  bool overflow = false;
  run.result = process->wait(
      [&](std::string_view line) {
        if (run.stdout_text.size() + line.size() + 1 > max_stdout_bytes) {
          overflow = true;
          return;
        }
        run.stdout_text.append(line);
        run.stdout_text.push_back('\n');
      },
      stop);
  if (overflow) {
    return fail(ErrorCode::kProcess,
                fmt::format("{} wrote more than {} bytes to stdout", spec.argv.front(), max_stdout_bytes));
  }
  return run;
}

}  // namespace st
