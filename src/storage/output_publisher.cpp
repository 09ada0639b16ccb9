#include "storage/output_publisher.hpp"

#include <algorithm>
#include <array>
#include <atomic>

#include <fmt/format.h>

#include "packaging/output_names.hpp"
#include "util/parallel.hpp"

namespace st {

namespace fs = std::filesystem;

namespace {

// 0: media and everything else, 1: media playlists, 2: the entry points.
int stage_of(const std::string& relative) {
  if (relative == kMasterPlaylistFile || relative == kDashManifestFile) return 2;
  if (relative.ends_with(".m3u8")) return 1;
  return 0;
}

}  // namespace

std::string OutputPublisher::content_type_of(const fs::path& file) {
  const auto extension = file.extension().string();
  if (extension == ".m3u8") return "application/vnd.apple.mpegurl";
  if (extension == ".mpd") return "application/dash+xml";
  if (extension == ".m4s") return "video/iso.segment";
  if (extension == ".mp4") return "video/mp4";
  if (extension == ".jpg") return "image/jpeg";
  if (extension == ".vtt") return "text/vtt";
  if (extension == ".json") return "application/json";
  return "application/octet-stream";
}

Result<PublishedOutput> OutputPublisher::publish(const fs::path& folder, const std::string& key_prefix,
                                                 const std::stop_token& stop) {
  std::array<std::vector<std::string>, 3> stages;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(folder, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_regular_file()) continue;
    const auto relative = fs::relative(it->path(), folder).generic_string();
    stages[static_cast<std::size_t>(stage_of(relative))].push_back(relative);
  }
  if (error)
    return fail(ErrorCode::kIo, fmt::format("cannot list the outputs in {}: {}", folder.string(), error.message()));

  PublishedOutput published;
  std::atomic<std::uint64_t> bytes{0};
  for (auto& files : stages) {
    std::sort(files.begin(), files.end());
    auto uploaded = parallel_for(files.size(), concurrency_, [&](std::size_t i) -> Result<void> {
      if (stop.stop_requested()) return fail(ErrorCode::kCancelled, "publishing was stopped");
      const auto path = folder / files[i];
      auto put = store_.put(key_prefix + files[i], path, content_type_of(path));
      if (!put) return tl::unexpected(put.error());
      bytes += put->size;
      return {};
    });
    if (!uploaded) return tl::unexpected(uploaded.error());
    published.objects += files.size();
  }
  published.bytes = bytes.load();
  return published;
}

}  // namespace st
