// One ffmpeg process that decodes the source once and encodes every rendition.
//
// The filter graph normalises the source once (deinterlace, constant frame rate)
// and splits it; each branch scales to one rendition. Every video encoder gets
// the same time-based keyframe schedule, so all renditions have IDR frames at the
// same instants and ffmpeg's dash muxer cuts segments at the same boundaries:
// a player can switch renditions at any segment. The muxer writes CMAF fMP4
// segments into a scratch folder; the Packager turns them into the final layout.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "media/media_info.hpp"
#include "pipeline/ladder.hpp"
#include "pipeline/progress.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace st {

// The service's limits on one encode, scaled to the probed source: whatever a
// hostile source makes ffmpeg do, it stops within its budget.
struct EncodeBudget {
  // Wall time max(floor, factor x the source's duration); CPU time that wall
  // time x `cpus`. A factor of 0 sets no derived limit (the `transcode` command).
  double time_factor = 0;
  std::chrono::seconds time_floor{300};
  double cpus = 1;
  std::uint64_t max_memory_bytes = 0;  // RLIMIT_AS; 0: none
  std::uint64_t max_file_bytes = 0;    // RLIMIT_FSIZE; 0: none
  // The encode stops (kUnavailable: another worker may have room) when the
  // disk holding `scratch` has less than this free. 0: not watched.
  std::filesystem::path scratch;
  std::uint64_t min_free_bytes = 0;
  // Free bytes of the disk holding a path; free_disk_bytes unless a test replaces it.
  std::function<std::uint64_t(const std::filesystem::path&)> free_bytes;

  // The process limits for a source of `duration_seconds`, within `base`
  // (an explicit --time-limit stays if it is tighter).
  [[nodiscard]] ProcessLimits limits_for(double duration_seconds, ProcessLimits base) const;
};

struct EncodeOptions {
  std::string preset = "veryfast";  // x264 speed/quality trade-off
  double segment_seconds = 4;
  ProcessLimits limits;
  EncodeBudget budget;
};

// Which of ffmpeg's outputs holds which rendition.
struct RenditionOutput {
  std::string rendition;   // the ladder's name
  int representation = 0;  // ffmpeg's output stream index, which names its files
};

// ffmpeg's output layout in the scratch folder: an init file and numbered
// segments per representation.
struct EncodeCommand {
  std::vector<std::string> argv;
  std::filesystem::path output_dir;
  std::vector<RenditionOutput> video;      // in ladder order
  std::vector<RenditionOutput> hdr_video;  // the HDR ladder's, in ladder order
  std::vector<RenditionOutput> audio;      // in ladder order
  std::vector<RenditionOutput> subtitles;  // representation: the k of subtitle_file(k)
  [[nodiscard]] std::filesystem::path init_file(int representation) const;
  // The 1-based `number`th media segment of a representation.
  [[nodiscard]] std::filesystem::path segment_file(int representation, int number) const;
  // The WebVTT of the ladder's `k`th subtitle track: converted by ffmpeg from
  // a source stream, or written by the pipeline from a sidecar file.
  [[nodiscard]] std::filesystem::path subtitle_file(int k) const;
};

EncodeCommand build_encode_command(const std::filesystem::path& source, const MediaInfo& info, const Ladder& ladder,
                                   const EncodeOptions& options, const std::filesystem::path& output_dir,
                                   const std::string& ffmpeg = "ffmpeg");

// The encode's normalisation of the source picture, as filters: the constant
// frame rate alone, and the whole chain every SDR rendition is scaled from
// (deinterlacing, the frame rate, tone mapping). Shared with the quality
// measurement, which must compare renditions with the same picture.
std::string constant_rate_filter(const Ladder& ladder);
std::string sdr_picture_filter(const Ladder& ladder);

// Seconds as ffmpeg's options take them: at most millisecond precision, no trailing zeros.
std::string ffmpeg_seconds(double seconds);

// The x264 presets accepted by --preset.
bool is_known_preset(std::string_view preset);
std::string known_presets();  // "ultrafast, superfast, ..., placebo", for messages

class Encoder {
 public:
  using ProgressHandler = std::function<void(const EncodeProgress&)>;

  // Runs the command; ffmpeg's failure becomes an Error quoting its last words.
  // With a watched scratch disk (`budget`), a disk that runs low stops it.
  Result<ProcessResult> run(const EncodeCommand& command, const ProgressHandler& on_progress,
                            const std::stop_token& stop, const ProcessLimits& limits,
                            const EncodeBudget& budget = {}) const;
};

}  // namespace st
