// This process's own folder in a scratch directory that other processes (other
// workers on the node, an earlier run of this pod) may share.
//
// The folder is `<parent>/run-XXXXXX`, and the process holds an flock(2) on its
// `.lock` for its whole life. The kernel drops the lock when the process dies,
// however it dies, so at start every sibling whose lock can be taken belongs to
// a dead process and is deleted: scratch left by a crash does not pile up, and
// a live neighbour's files are never touched. The destructor deletes the folder.
#pragma once

#include <filesystem>

#include "util/error.hpp"

namespace st {

class ScratchSpace {
 public:
  static Result<ScratchSpace> open(const std::filesystem::path& parent);

  ScratchSpace(ScratchSpace&& other) noexcept;
  ScratchSpace& operator=(ScratchSpace&&) = delete;
  ScratchSpace(const ScratchSpace&) = delete;
  ScratchSpace& operator=(const ScratchSpace&) = delete;
  ~ScratchSpace();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Folders of dead processes deleted by open().
  [[nodiscard]] std::size_t removed_stale() const { return removed_stale_; }

 private:
  ScratchSpace(std::filesystem::path path, int lock_fd, std::size_t removed)
      : path_(std::move(path)), lock_fd_(lock_fd), removed_stale_(removed) {}
  std::filesystem::path path_;
  int lock_fd_ = -1;
  std::size_t removed_stale_ = 0;
};

}  // namespace st
