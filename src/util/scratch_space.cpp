#include "util/scratch_space.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <fmt/format.h>

namespace st {

namespace fs = std::filesystem;

Result<ScratchSpace> ScratchSpace::open(const fs::path& parent) {
  std::error_code error;
  fs::create_directories(parent, error);
  if (error)
    return fail(ErrorCode::kIo,
                fmt::format("cannot create the scratch directory {}: {}", parent.string(), error.message()));

  std::size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(parent, error)) {
    if (!entry.is_directory() || !entry.path().filename().string().starts_with("run-")) continue;
    const int fd = ::open((entry.path() / ".lock").c_str(), O_RDWR | O_CLOEXEC);
    // No lock file yet: a process is creating it right now, or it died before; leave it.
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      fs::remove_all(entry.path(), error);
      ++removed;
    }
    ::close(fd);
  }

  std::string pattern = (parent / "run-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorCode::kIo, fmt::format("cannot create a folder in {}: {}", parent.string(), std::strerror(errno)));
  }
  const fs::path path(pattern);
  const int lock = ::open((path / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    if (lock >= 0) ::close(lock);
    fs::remove_all(path, error);
    return fail(ErrorCode::kIo, fmt::format("cannot lock {}: {}", path.string(), std::strerror(errno)));
  }
  return ScratchSpace(path, lock, removed);
}

ScratchSpace::ScratchSpace(ScratchSpace&& other) noexcept
    : path_(std::move(other.path_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      removed_stale_(other.removed_stale_) {}

ScratchSpace::~ScratchSpace() {
  if (lock_fd_ < 0) return;
  std::error_code error;
  fs::remove_all(path_, error);
  ::close(lock_fd_);
}

}  // namespace st
