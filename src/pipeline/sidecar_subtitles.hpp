// Subtitle files uploaded beside a master (SubRip or WebVTT), made into the
// same WebVTT cues as the source's own text tracks.
//
// A sidecar is outside input. Its size is bounded before it is read; its
// format is recognised from its first line, never by ffmpeg's probing (which
// would follow a playlist's URLs). SubRip is read by ffmpeg with its demuxer
// forced and the file protocol only, so its markup, byte order marks, CRLF
// line ends and legacy encodings are handled by a well-kept reader, and what
// comes out goes through the bounded WebVTT reader like any other track;
// WebVTT goes to that reader directly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "media/media_info.hpp"
#include "packaging/webvtt.hpp"
#include "util/error.hpp"

namespace st {

struct SidecarFile {
  std::filesystem::path path;  // a local copy
  std::string name;            // the key (or file name) it came from, for reports
  std::string language;        // as the uploader states it (BCP 47)
  SubtitleKind kind = SubtitleKind::kSubtitle;
  std::string unavailable;  // why it could not be fetched (no path then): reported, not read
};

struct SidecarLimits {
  // A feature film's SubRip is ~100 KiB. As WebVTT it grows at most threefold
  // (Windows-1252 to UTF-8), staying within `webvtt.max_bytes`.
  std::uintmax_t max_bytes = std::uintmax_t{2} << 20;
  WebVttLimits webvtt;
};

enum class SidecarFormat { kSubRip, kWebVtt };
std::string_view to_string(SidecarFormat format);  // "subrip", "webvtt": ffprobe's codec names

// From the file's first bytes (a UTF-8 or UTF-16 byte order mark and blank
// lines skipped): "WEBVTT" starts WebVTT; a cue number line followed by a
// "00:00:01,000 --> ..." timing line, or the timing line alone, starts SubRip.
// kInvalidInput for anything else.
Result<SidecarFormat> sniff_sidecar_format(std::string_view head);

struct SidecarCues {
  SidecarFormat format = SidecarFormat::kSubRip;
  std::vector<WebVttCue> cues;
  std::vector<std::string> command;  // the ffmpeg run, for the report
};

// kInvalidInput (with the reason to report) for a sidecar that is too large,
// not SubRip or WebVTT, unreadable to ffmpeg or without a cue; kCancelled when
// `stop` is requested; kProcess when ffmpeg cannot be started.
Result<SidecarCues> read_sidecar(const SidecarFile& file, const SidecarLimits& limits, const std::stop_token& stop,
                                 const std::string& ffmpeg = "ffmpeg");

// The planner's view of a usable sidecar: a text subtitle stream with the
// sidecar's language and kind, `sidecar` set to its index.
SubtitleStreamInfo sidecar_stream(const SidecarFile& file, SidecarFormat format, int index);

}  // namespace st
