#include "util/files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include <fmt/format.h>

namespace st {

namespace fs = std::filesystem;

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<UniqueFd> open_beneath(const fs::path& root, std::string_view relative) {
  const auto refused = [&] {
    return fail(ErrorCode::kNotFound, fmt::format("'{}' cannot be opened below the source directory", relative));
  };
  if (root.empty() || relative.empty() || relative.find('\0') != std::string_view::npos) return refused();
  const UniqueFd directory(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!directory.valid()) return refused();
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const std::string path(relative);
  // glibc 2.36 has no wrapper for openat2 (Linux 5.6).
  UniqueFd file(static_cast<int>(::syscall(SYS_openat2, directory.get(), path.c_str(), &how, sizeof how)));
  if (!file.valid()) return refused();
  // O_NONBLOCK above keeps a FIFO from blocking the open; only regular files go on.
  struct stat status {};
  if (::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode)) return refused();
  const int flags = ::fcntl(file.get(), F_GETFL);
  if (flags < 0 || ::fcntl(file.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) return refused();
  return file;
}

std::uint64_t free_disk_bytes(const fs::path& path) {
  struct statvfs disk {};
  if (::statvfs(path.c_str(), &disk) != 0) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize;
}

namespace {

Result<std::uint64_t> copy_all(int from, int to, const fs::path& to_path) {
  std::uint64_t total = 0;
  for (;;) {
    const auto copied = ::copy_file_range(from, nullptr, to, nullptr, std::size_t{64} << 20, 0);
    if (copied < 0 && errno == EINTR) continue;
    if (copied < 0)
      return fail(ErrorCode::kIo, fmt::format("cannot copy to {}: {}", to_path.string(), std::strerror(errno)));
    if (copied == 0) break;
    total += static_cast<std::uint64_t>(copied);
  }
  return total;
}

}  // namespace

Result<std::uint64_t> copy_to_file(int from, const fs::path& to) {
  const UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out.valid()) return fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", to.string(), std::strerror(errno)));
  return copy_all(from, out.get(), to);
}

Result<std::uint64_t> concatenate_files(const std::vector<fs::path>& parts, const fs::path& to) {
  const UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out.valid()) return fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", to.string(), std::strerror(errno)));
  std::uint64_t total = 0;
  for (const auto& part : parts) {
    const UniqueFd in(::open(part.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.valid())
      return fail(ErrorCode::kIo, fmt::format("cannot open {}: {}", part.string(), std::strerror(errno)));
    auto copied = copy_all(in.get(), out.get(), to);
    if (!copied) return tl::unexpected(copied.error());
    total += *copied;
  }
  return total;
}

Result<void> write_text_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return fail(ErrorCode::kIo, fmt::format("cannot write {}", path.string()));
  return {};
}

Result<std::string> read_text_file(const fs::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!in || ec) return fail(ErrorCode::kIo, fmt::format("cannot read {}", path.string()));
  if (size > max_bytes) {
    return fail(ErrorCode::kLimitExceeded, fmt::format("{} is larger than {} bytes", path.string(), max_bytes));
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  // A file still growing reads short: what was read is what there is.
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return fail(ErrorCode::kIo, fmt::format("cannot read {}", path.string()));
  return text;
}

Result<void> make_directories(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", path.string(), ec.message()));
  return {};
}

Result<void> move_file(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec)
    return fail(ErrorCode::kIo, fmt::format("cannot move {} to {}: {}", from.string(), to.string(), ec.message()));
  return {};
}

unsigned current_umask() {
  constexpr unsigned kDefault = 022;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) != 0) continue;
    try {
      return static_cast<unsigned>(std::stoul(line.substr(6), nullptr, 8)) & 0777U;
    } catch (const std::exception&) {
      return kDefault;
    }
  }
  return kDefault;
}

}  // namespace st
