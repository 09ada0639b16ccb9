// Subtitle text from outside: sidecar files as uploaded (the format sniffer
// and the WebVTT reader), and what ffmpeg converted from a source's tracks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "packaging/webvtt.hpp"
#include "pipeline/sidecar_subtitles.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static_cast<void>(st::sniff_sidecar_format(text));
  const st::WebVttLimits limits{.max_bytes = 1 << 16, .max_cues = 200, .max_cue_bytes = 256};
  if (auto cues = st::parse_webvtt(text, limits)) {
    // Whatever was read is written back whole and cut, as the packager does.
    static_cast<void>(st::write_webvtt(*cues));
    static_cast<void>(st::write_webvtt_segment(*cues, 0, 4));
  }
  return 0;
}
