#include "storage/file_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "storage/naming.hpp"
#include "util/utf8.hpp"

namespace st {

namespace fs = std::filesystem;

Result<fs::path> FileStore::path_of(const std::string& key) const {
  if (!is_safe_key(key) || key.back() == '/') {
    return fail(ErrorCode::kInvalidInput, fmt::format("'{}' is not a valid object key", key));
  }
  return root_ / key;
}

Result<ObjectInfo> FileStore::head(const std::string& key) {
  auto file = open(key);
  if (!file) return tl::unexpected(file.error());
  struct stat status {};
  if (::fstat(file->get(), &status) != 0) return no_such_object(key);
  return ObjectInfo{.key = key, .size = static_cast<std::uint64_t>(status.st_size)};
}

Result<ObjectInfo> FileStore::get(const std::string& key, const fs::path& destination, const std::stop_token& stop) {
  // One local copy (copy_file_range) is not worth interrupting.
  if (stop.stop_requested()) return fail(ErrorCode::kCancelled, fmt::format("the copy of {} was stopped", key));
  auto file = open(key);
  if (!file) return tl::unexpected(file.error());
  auto copied = copy_to_file(file->get(), destination);
  if (!copied) return tl::unexpected(copied.error());
  return ObjectInfo{.key = key, .size = *copied};
}

Result<UniqueFd> FileStore::open(const std::string& key) const {
  if (!is_safe_key(key) || key.back() == '/') return no_such_object(key);
  auto file = open_beneath(root_, key);
  if (!file) return no_such_object(key);
  return file;
}

tl::unexpected<Error> FileStore::no_such_object(const std::string& key) const {
  return fail(ErrorCode::kNotFound, fmt::format("no object '{}' in {}", to_valid_utf8(key), location()));
}

Result<ObjectInfo> FileStore::put(const std::string& key, const fs::path& source, const std::string& /*content_type*/) {
  auto path = path_of(key);
  if (!path) return tl::unexpected(path.error());
  std::error_code error;
  fs::create_directories(path->parent_path(), error);
  const auto temporary = path->parent_path() / fmt::format(".{}.{}.part", path->filename().string(), ::getpid());
  if (!error) fs::copy_file(source, temporary, fs::copy_options::overwrite_existing, error);
  if (!error) fs::rename(temporary, *path, error);
  if (error) {
    fs::remove(temporary, error);
    return fail(ErrorCode::kIo, fmt::format("cannot store '{}' in {}: {}", key, location(), error.message()));
  }
  return ObjectInfo{.key = key, .size = fs::file_size(*path)};
}

Result<std::vector<ObjectInfo>> FileStore::list(const std::string& prefix) {
  std::vector<ObjectInfo> objects;
  std::error_code error;
  if (!fs::exists(root_, error)) return objects;
  for (auto it = fs::recursive_directory_iterator(root_, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_regular_file()) continue;
    auto key = fs::relative(it->path(), root_).generic_string();
    if (key.starts_with(prefix) && key.find("/.") == std::string::npos && !key.starts_with(".")) {
      objects.push_back({.key = std::move(key), .size = it->file_size()});
    }
  }
  if (error) return fail(ErrorCode::kIo, fmt::format("cannot list {}: {}", location(), error.message()));
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return objects;
}

Result<std::size_t> FileStore::remove_prefix(const std::string& prefix) {
  auto objects = list(prefix);
  if (!objects) return tl::unexpected(objects.error());
  for (const auto& object : *objects) {
    std::error_code error;
    fs::remove(root_ / object.key, error);
    if (error) return fail(ErrorCode::kIo, fmt::format("cannot delete '{}': {}", object.key, error.message()));
  }
  return objects->size();
}

}  // namespace st
