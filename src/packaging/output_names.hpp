// The names of the files of one output tree (docs/outputs.md), defined once:
// the packager and the pipeline write them, the publisher orders them by
// them, and the job's result, the report and the VideoTranscoded event name them.
#pragma once

#include <string_view>

namespace st {

inline constexpr std::string_view kMasterPlaylistFile = "master.m3u8";
inline constexpr std::string_view kDashManifestFile = "manifest.mpd";
inline constexpr std::string_view kPosterFile = "thumbnails/poster.jpg";
// Trick play: sprite sheets thumbnails/sprite-00001.jpg ... and their WebVTT track.
inline constexpr std::string_view kThumbnailsFolder = "thumbnails";
inline constexpr std::string_view kSpriteFilePrefix = "sprite-";
inline constexpr std::string_view kThumbnailTrackFile = "thumbnails/thumbnails.vtt";
inline constexpr std::string_view kReportFile = "report.json";
// In each rendition's folder.
inline constexpr std::string_view kInitSegmentFile = "init.mp4";
inline constexpr std::string_view kMediaPlaylistFile = "playlist.m3u8";
inline constexpr std::string_view kIFramePlaylistFile = "iframes.m3u8";

}  // namespace st
