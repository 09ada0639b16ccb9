// WebVTT (W3C WebVTT: The Web Video Text Tracks Format) as subtitles need it:
// reading the cues ffmpeg wrote from a source's text subtitles, and writing
// them back whole (DASH) or cut into segments on the video's grid (HLS).
//
// The cues come from the source, so the reader is bounded like any outside
// input: file size, cue count and cue length, and text that is not UTF-8 is
// repaired, never passed on.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace st {

struct WebVttCue {
  double start = 0;  // seconds
  double end = 0;
  std::string settings;  // "line:90% align:center", kept as written
  std::string text;      // the payload lines, without a trailing newline
};

struct WebVttLimits {
  std::size_t max_bytes = std::size_t{8} << 20;
  std::size_t max_cues = 100'000;
  std::size_t max_cue_bytes = 4096;
};

// Cues in file order; STYLE, REGION and NOTE blocks are dropped (players style
// subtitles themselves). kInvalidInput when the text is not WebVTT or exceeds a limit.
Result<std::vector<WebVttCue>> parse_webvtt(std::string_view text, const WebVttLimits& limits = {});

// "00:01:02.500", or "-" for a negative time (never written).
std::string webvtt_time(double seconds);

// A whole WebVTT file of `cues`.
std::string write_webvtt(const std::vector<WebVttCue>& cues);

// One HLS subtitle segment: the cues that overlap [from, to), with the
// X-TIMESTAMP-MAP (RFC 8216 3.5) that puts cue time 0 at media time 0, the
// start of the CMAF timeline (MPEG-2 90 kHz ticks).
std::string write_webvtt_segment(const std::vector<WebVttCue>& cues, double from, double to);

}  // namespace st
