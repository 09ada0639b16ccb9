#include "util/files.hpp"

#include <fstream>

#include <fmt/format.h>

namespace st {

namespace fs = std::filesystem;

Result<void> write_text_file(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return fail(ErrorCode::kIo, fmt::format("cannot write {}", path.string()));
  return {};
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

}  // namespace st
