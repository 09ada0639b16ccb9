// ObjectStore on a local directory: the embedded default (no S3 configured) and
// the tests that need no S3. A key is a relative path below the root; a put is
// written beside its destination and renamed, so a reader never sees half a file.
// Reads (head, get) resolve the key beneath the root in the kernel
// (open_beneath): no "..", absolute path or symbolic link leads out of it, and
// every refusal reads the same, whether or not something exists there.
#pragma once

#include <filesystem>

#include "storage/object_store.hpp"
#include "util/files.hpp"

namespace st {

class FileStore final : public ObjectStore {
 public:
  explicit FileStore(std::filesystem::path root) : root_(std::move(root)) {}

  Result<ObjectInfo> get(const std::string& key, const std::filesystem::path& destination,
                         const std::stop_token& stop) override;
  Result<ObjectInfo> put(const std::string& key, const std::filesystem::path& source,
                         const std::string& content_type) override;
  Result<ObjectInfo> head(const std::string& key) override;
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override;
  Result<std::size_t> remove_prefix(const std::string& prefix) override;
  [[nodiscard]] std::string location() const override { return "file://" + root_.string(); }

 private:
  // The path of `key`, or kInvalidInput when the key could leave the root.
  [[nodiscard]] Result<std::filesystem::path> path_of(const std::string& key) const;
  [[nodiscard]] Result<UniqueFd> open(const std::string& key) const;
  [[nodiscard]] tl::unexpected<Error> no_such_object(const std::string& key) const;
  std::filesystem::path root_;
};

}  // namespace st
