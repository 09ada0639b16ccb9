// Publishes a finished output folder to an ObjectStore in an order that never
// shows a reader a manifest whose media is missing: segments, init files,
// thumbnails and the report first (in parallel), then media playlists, then
// the multivariant playlist and the MPD.
#pragma once

#include <filesystem>
#include <stop_token>
#include <string>

#include "storage/object_store.hpp"

namespace st {

struct PublishedOutput {
  std::size_t objects = 0;
  std::uint64_t bytes = 0;
};

class OutputPublisher {
 public:
  OutputPublisher(ObjectStore& store, int concurrency) : store_(store), concurrency_(concurrency) {}

  // Uploads every file below `folder` to `key_prefix` + its relative path;
  // once `stop` is requested no further upload starts (kCancelled).
  Result<PublishedOutput> publish(const std::filesystem::path& folder, const std::string& key_prefix,
                                  const std::stop_token& stop = {});

  // The Content-Type a player expects for an output file.
  static std::string content_type_of(const std::filesystem::path& file);

 private:
  ObjectStore& store_;
  int concurrency_;
};

}  // namespace st
