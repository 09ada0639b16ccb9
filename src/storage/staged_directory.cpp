#include "storage/staged_directory.hpp"

#include <fmt/format.h>

#include "util/files.hpp"

namespace st {

namespace fs = std::filesystem;

Result<StagedDirectory> StagedDirectory::prepare(const fs::path& destination, bool replace) {
  const auto target = fs::absolute(destination).lexically_normal();
  std::error_code ec;
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec)) {
      return fail(ErrorCode::kUsage, fmt::format("{} exists and is not a directory", target.string()));
    }
    if (!fs::is_empty(target, ec) && !replace) {
      return fail(ErrorCode::kUsage,
                  fmt::format("{} already exists and is not empty; choose another directory or pass --force to "
                              "replace it",
                              target.string()));
    }
  }
  auto name = target.filename().string();
  if (name.empty()) name = "output";
  auto staging = TempDir::create(target.parent_path(), fmt::format(".{}.partial-", name));
  if (!staging) return tl::unexpected(staging.error());
  // mkdtemp makes the staging directory 0700, private while it is written. The
  // output it becomes is an ordinary directory (0777 less the umask), so a web
  // server running as another user can serve it.
  fs::permissions(staging->path(), static_cast<fs::perms>(0777U & ~current_umask()), ec);
  if (ec) {
    return fail(ErrorCode::kIo, fmt::format("cannot set the mode of {}: {}", staging->path().string(), ec.message()));
  }
  return StagedDirectory(std::move(*staging), target);
}

Result<void> StagedDirectory::commit() {
  std::error_code ec;
  if (fs::exists(destination_, ec) && !fs::is_empty(destination_, ec)) {
    // Park the old contents in a directory that deletes itself once the new ones are in place.
    auto old =
        TempDir::create(destination_.parent_path(), fmt::format(".{}.replaced-", destination_.filename().string()));
    if (!old) return tl::unexpected(old.error());
    fs::rename(destination_, old->path() / "previous", ec);
    if (ec) {
      return fail(ErrorCode::kIo,
                  fmt::format("cannot move the previous {} aside: {}", destination_.string(), ec.message()));
    }
    return staging_.commit_to(destination_);
  }
  return staging_.commit_to(destination_);
}

}  // namespace st
