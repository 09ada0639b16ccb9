// Small filesystem helpers that report failures as Errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace st {

// An owned file descriptor, closed by its destructor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Opens the regular file `relative` for reading beneath the directory `root`,
// as the kernel resolves it (openat2 with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS): no "..", absolute path or symbolic link anywhere in
// the path can lead out of `root`, whatever races with us. A path that leaves
// the root, does not exist, is not a regular file or cannot be read all give
// the same kNotFound, so that the answer says nothing about what lies outside.
Result<UniqueFd> open_beneath(const std::filesystem::path& root, std::string_view relative);

// Copies all of `from` (read from its current offset) to a new file at `to`,
// through the kernel (copy_file_range), never through a buffer of the file's size.
Result<std::uint64_t> copy_to_file(int from, const std::filesystem::path& to);

// Writes `parts` one after the other into a new file at `to`, the same way.
Result<std::uint64_t> concatenate_files(const std::vector<std::filesystem::path>& parts,
                                        const std::filesystem::path& to);

// Bytes free to an unprivileged writer on the file system holding `path`
// (statvfs's f_bavail); the largest value when it cannot be read, so that a
// failed reading never stops work on its own.
std::uint64_t free_disk_bytes(const std::filesystem::path& path);

Result<void> write_text_file(const std::filesystem::path& path, std::string_view content);
// The whole of a file a child process wrote for us; kLimitExceeded beyond `max_bytes`.
Result<std::string> read_text_file(const std::filesystem::path& path, std::size_t max_bytes);
Result<void> make_directories(const std::filesystem::path& path);
Result<void> move_file(const std::filesystem::path& from, const std::filesystem::path& to);

// The process's file mode creation mask, read without changing it (umask(2)
// can only be read by setting it, a race with every thread creating files):
// from /proc/self/status, 022 when that cannot be read.
unsigned current_umask();

}  // namespace st
