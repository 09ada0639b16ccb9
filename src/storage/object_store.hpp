// Where masters come from and outputs go: objects by key, moved to and from
// local files (never through memory, whatever their size).
//
// Two implementations: S3Store (any S3 API: AWS, MinIO, moto) and FileStore (a
// directory: the embedded default, and the tests that need no S3). Keys use "/"
// as the separator and never start with one. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace st {

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // opaque; empty where the store has none
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Writes the object to `destination` (replaced if it exists). kNotFound when
  // there is no such object.
  // Stops between parts once `stop` is requested (kCancelled).
  virtual Result<ObjectInfo> get(const std::string& key, const std::filesystem::path& destination,
                                 const std::stop_token& stop) = 0;
  virtual Result<ObjectInfo> put(const std::string& key, const std::filesystem::path& source,
                                 const std::string& content_type) = 0;
  virtual Result<ObjectInfo> head(const std::string& key) = 0;
  // Every object whose key starts with `prefix`, in key order.
  virtual Result<std::vector<ObjectInfo>> list(const std::string& prefix) = 0;
  // Deletes every object under `prefix`; how many there were.
  virtual Result<std::size_t> remove_prefix(const std::string& prefix) = 0;

  // For messages: "s3://bucket" or "file:///dir".
  [[nodiscard]] virtual std::string location() const = 0;
};

}  // namespace st
