#include "pipeline/encoder.hpp"

#include <csignal>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stop_token>

#include <fmt/format.h>

#include "media/input_policy.hpp"
#include "util/files.hpp"

namespace st {
namespace {

constexpr std::array<std::string_view, 10> kPresets = {"ultrafast", "superfast", "veryfast", "faster",   "fast",
                                                       "medium",    "slow",      "slower",   "veryslow", "placebo"};

constexpr std::string_view kDeinterlaceFilter = "bwdif=mode=send_frame:parity=auto:deint=all,";

// `[in]` split into `count` labels `[{prefix}0]` ... (no split for one).
std::string split_into(std::size_t count, std::string_view prefix) {
  if (count == 1) return fmt::format("[{}0]", prefix);
  std::string out = fmt::format(",split={}", count);
  for (std::size_t i = 0; i < count; ++i) out += fmt::format("[{}{}]", prefix, i);
  return out;
}

// A rung is scaled from a larger rung rather than from the full picture when
// that rung is at least this many times its size in both directions: the
// scaler reads a quarter of the pixels or fewer, and the picture is the same
// within 0.03 dB of PSNR (a 1.5x step, 720p to 480p, lost 0.085 dB: not taken).
constexpr double kCascadeRatio = 2.0;

// For each SDR rendition, the index of the rendition it is scaled from, or -1
// for the normalised source: the smallest larger rung at kCascadeRatio with
// the same frame rate and colour handling.
std::vector<int> scaling_parents(const std::vector<VideoRendition>& video) {
  std::vector<int> parents(video.size(), -1);
  for (std::size_t i = 0; i < video.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto& big = video[j];
      const auto& small = video[i];
      const bool large_enough =
          big.width >= kCascadeRatio * small.width - 2 && big.height >= kCascadeRatio * small.height - 2;
      const bool same_picture = big.frame_rate == small.frame_rate && big.from_bt601 == small.from_bt601 &&
                                big.color_matrix == small.color_matrix && !big.is_hdr() && !small.is_hdr();
      if (large_enough && same_picture) parents[i] = static_cast<int>(j);  // later rungs are smaller
    }
  }
  return parents;
}

// One rendition's branch from `from` to the encoder's `[v{output}]`, and to
// `[c{output}_k]` for each of `children` rungs scaled from it.
std::string rendition_branch(const VideoRendition& r, const Ladder& ladder, const std::string& from, std::size_t output,
                             std::size_t children, bool from_rung) {
  std::string branch = fmt::format(";[{}]", from);
  // Dropping frames before scaling saves the scaler work (a rung's own rung has dropped them).
  if (!(r.frame_rate == ladder.frame_rate) && !from_rung) branch += fmt::format("fps={},", r.frame_rate.to_string());
  // setsar=1: anamorphic sources come out with square pixels at their display size.
  // The HDR ladder stays in the source's 10-bit BT.2020 (scaled, never converted).
  branch += fmt::format("scale={}:{}:flags=bicubic{},setsar=1,format={}", r.width, r.height,
                        r.from_bt601 && !from_rung ? ":in_color_matrix=bt601:out_color_matrix=bt709" : "",
                        r.is_hdr() ? "yuv420p10le" : "yuv420p");
  if (children == 0) return branch + fmt::format("[v{}]", output);
  branch += fmt::format(",split={}[v{}]", children + 1, output);
  for (std::size_t k = 0; k < children; ++k) branch += fmt::format("[c{}_{}]", output, k);
  return branch;
}

std::string filter_graph(const MediaInfo& info, const Ladder& ladder) {
  // Shared by all renditions: done once per frame, before the split.
  std::string graph = fmt::format("[0:{}]", info.video.index);
  if (ladder.deinterlace) graph += kDeinterlaceFilter;
  graph += constant_rate_filter(ladder);
  const auto sdr = ladder.video.size();
  const auto hdr = ladder.hdr_video.size();
  if (hdr > 0) graph += ",split=2[sdr][hdr];[sdr]";
  // Tone-mapped once, for every SDR rendition; the HDR ladder branches off before.
  if (!ladder.tone_map_from.empty()) graph += (hdr > 0 ? "" : ",") + sdr_tone_map_filter(ladder.tone_map_from);
  const auto parents = scaling_parents(ladder.video);
  std::vector<std::size_t> children(sdr, 0);
  for (const int parent : parents) {
    if (parent >= 0) ++children[static_cast<std::size_t>(parent)];
  }
  const auto from_source = static_cast<std::size_t>(std::count(parents.begin(), parents.end(), -1));
  graph += split_into(from_source, "s");
  std::size_t next_source = 0;
  std::vector<std::size_t> next_child(sdr, 0);
  for (std::size_t i = 0; i < sdr; ++i) {
    const int parent = parents[i];
    const auto from = parent < 0 ? fmt::format("s{}", next_source++)
                                 : fmt::format("c{}_{}", parent, next_child[static_cast<std::size_t>(parent)]++);
    graph += rendition_branch(ladder.video[i], ladder, from, i, children[i], parent >= 0);
  }
  if (hdr > 0) {
    graph += ";[hdr]null" + split_into(hdr, "h");
    for (std::size_t i = 0; i < hdr; ++i) {
      graph += rendition_branch(ladder.hdr_video[i], ladder, fmt::format("h{}", i), sdr + i, 0, false);
    }
  }
  return graph;
}

// A decoding failure means the source is bad; anything else is our problem.
bool blames_the_source(const std::string& stderr_tail) {
  for (const char* hint : {"Invalid data found", "partial file", "error while decoding", "corrupt",
                           "Error while decoding", "moov atom not found", "Invalid NAL"}) {
    if (stderr_tail.find(hint) != std::string::npos) return true;
  }
  return false;
}

// ffmpeg's reason is usually on the line before its final "Error ..." summary.
std::string last_lines(const std::string& text, int count) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
    start = end + 1;
  }
  std::string out;
  const auto first =
      lines.size() > static_cast<std::size_t>(count) ? lines.size() - static_cast<std::size_t>(count) : 0;
  for (auto i = first; i < lines.size(); ++i) out += (out.empty() ? "" : "; ") + lines[i];
  return out;
}

}  // namespace

std::string constant_rate_filter(const Ladder& ladder) {
  // start_time=0: the picture starts at the source's time zero, as the audio
  // does (below); a video that starts late repeats its first frame.
  return fmt::format("fps=fps={}:start_time=0", ladder.frame_rate.to_string());
}

std::string ffmpeg_seconds(double seconds) {
  auto text = fmt::format("{:.3f}", seconds);
  while (text.ends_with('0')) text.pop_back();
  if (text.ends_with('.')) text.pop_back();
  return text;
}

std::string sdr_picture_filter(const Ladder& ladder) {
  std::string chain;
  if (ladder.deinterlace) chain += kDeinterlaceFilter;
  chain += constant_rate_filter(ladder);
  if (!ladder.tone_map_from.empty()) chain += "," + sdr_tone_map_filter(ladder.tone_map_from);
  return chain;
}

std::string known_presets() {
  return fmt::format("{}", fmt::join(kPresets, ", "));
}

bool is_known_preset(std::string_view preset) {
  return std::find(kPresets.begin(), kPresets.end(), preset) != kPresets.end();
}

std::filesystem::path EncodeCommand::init_file(int representation) const {
  return output_dir / fmt::format("init-{}.mp4", representation);
}

std::filesystem::path EncodeCommand::subtitle_file(int k) const {
  return output_dir / fmt::format("subtitle-{}.vtt", k);
}

std::filesystem::path EncodeCommand::segment_file(int representation, int number) const {
  return output_dir / fmt::format("seg-{}-{:05d}.m4s", representation, number);
}

EncodeCommand build_encode_command(const std::filesystem::path& source, const MediaInfo& info, const Ladder& ladder,
                                   const EncodeOptions& options, const std::filesystem::path& output_dir,
                                   const std::string& ffmpeg) {
  EncodeCommand command;
  command.output_dir = output_dir;
  auto& a = command.argv;
  a = {ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1", "-y"};
  // Read no further than the probed duration (and a segment's margin): a
  // source whose timestamps jump past what it declared cannot make the
  // encoder produce hours of duplicated frames.
  if (info.duration_seconds > 0) {
    a.insert(a.end(), {"-t", ffmpeg_seconds(info.duration_seconds + options.segment_seconds)});
  }
  for (auto& arg : safe_input_arguments(source)) a.push_back(std::move(arg));
  a.insert(a.end(), {"-filter_complex", filter_graph(info, ladder)});
  // Phone videos carry GPS positions and device names in metadata: none of it is published.
  a.insert(a.end(), {"-map_metadata", "-1", "-map_chapters", "-1"});

  const auto segment = ffmpeg_seconds(options.segment_seconds);
  std::vector<const VideoRendition*> videos;
  for (const auto& r : ladder.video) videos.push_back(&r);
  for (const auto& r : ladder.hdr_video) videos.push_back(&r);
  for (std::size_t i = 0; i < videos.size(); ++i) {
    const auto& r = *videos[i];
    const auto gop = static_cast<int>(std::ceil(r.frame_rate.value() * options.segment_seconds));
    const auto v = fmt::format(":v:{}", i);
    a.insert(a.end(), {"-map", fmt::format("[v{}]", i)});
    if (r.is_hdr()) {
      // HEVC Main 10 as 'hvc1' (parameter sets in the sample entry, as HLS
      // requires), closed GOPs, the colour in the VUI and HDR10's SEI.
      a.insert(a.end(), {"-c" + v, "libx265", "-profile" + v, "main10", "-preset" + v, options.preset, "-tag" + v,
                         "hvc1", "-x265-params" + v,
                         fmt::format("log-level=error:keyint={0}:min-keyint={0}:scenecut=0:open-gop=0:repeat-headers=1"
                                     "{1}",
                                     gop, r.color_transfer == "smpte2084" ? ":hdr10=1:hdr10-opt=1" : "")});
    } else {
      a.insert(a.end(), {"-c" + v, "libx264", "-profile" + v, "high", "-preset" + v, options.preset});
    }
    // Signalled as encoded, so that players neither guess nor keep a source's HDR tags.
    a.insert(a.end(), {"-color_primaries" + v, r.color_primaries, "-color_trc" + v, r.color_transfer, "-colorspace" + v,
                       r.color_matrix, "-color_range" + v, "tv"});
    if (r.crf > 0) {
      a.insert(a.end(), {"-crf" + v, std::to_string(r.crf)});
    } else {
      a.insert(a.end(), {"-b" + v, fmt::format("{}k", r.bitrate_kbps)});
    }
    a.insert(a.end(),
             {"-maxrate" + v, fmt::format("{}k", r.maxrate_kbps), "-bufsize" + v, fmt::format("{}k", r.bufsize_kbits)});
    // Keyframes on the segment grid and nowhere else: no scene-cut IDRs that would
    // differ between renditions.
    a.insert(a.end(),
             {"-g" + v, std::to_string(gop), "-keyint_min" + v, std::to_string(gop), "-sc_threshold" + v, "0",
              "-forced-idr" + v, "1", "-force_key_frames" + v, fmt::format("expr:gte(t,n_forced*{})", segment)});
  }
  int representation = 0;
  for (const auto& r : ladder.video) command.video.push_back({.rendition = r.name, .representation = representation++});
  for (const auto& r : ladder.hdr_video) {
    command.hdr_video.push_back({.rendition = r.name, .representation = representation++});
  }
  for (std::size_t i = 0; i < ladder.audio.size(); ++i) {
    const auto& r = ladder.audio[i];
    const auto spec = fmt::format(":a:{}", i);
    // Audio that starts later than the picture (or after a gap) is padded with
    // silence from time zero: every track keeps its place against the video.
    a.insert(a.end(), {"-map", fmt::format("0:{}", r.source_index), "-filter" + spec, "aresample=async=1:first_pts=0",
                       "-c" + spec, r.codec, "-b" + spec, fmt::format("{}k", r.bitrate_kbps), "-ac" + spec,
                       std::to_string(r.channels), "-ar" + spec, std::to_string(r.sample_rate)});
    command.audio.push_back({.rendition = r.name, .representation = representation++});
  }
  // One adaptation set per stream in ffmpeg's own MPD (which the Packager
  // replaces): its dash muxer refuses renditions whose aspect ratios differ by
  // rounding (426x240 next to 1280x720) in one set.
  std::string adaptation_sets;
  for (int i = 0; i < representation; ++i) adaptation_sets += fmt::format("{}id={},streams={}", i ? " " : "", i, i);
  a.insert(a.end(), {"-f", "dash", "-seg_duration", segment, "-use_template", "1", "-use_timeline", "1",
                     "-adaptation_sets", adaptation_sets, "-init_seg_name", "init-$RepresentationID$.mp4",
                     "-media_seg_name", "seg-$RepresentationID$-$Number%05d$.m4s", "-format_options", "movflags=+cmaf",
                     (output_dir / "ffmpeg.mpd").string()});
  // Text subtitles converted to WebVTT (styling WebVTT cannot carry is
  // dropped by ffmpeg's encoder, the text is kept), one file per track. A
  // sidecar's file is written there by the pipeline, not by this run.
  for (std::size_t k = 0; k < ladder.subtitles.size(); ++k) {
    const int index = static_cast<int>(k);
    command.subtitles.push_back({.rendition = ladder.subtitles[k].name, .representation = index});
    if (ladder.subtitles[k].sidecar >= 0) continue;
    a.insert(a.end(), {"-map", fmt::format("0:{}", ladder.subtitles[k].source_index), "-map_metadata", "-1", "-c:s",
                       "webvtt", "-f", "webvtt", command.subtitle_file(index).string()});
  }
  return command;
}

ProcessLimits EncodeBudget::limits_for(double duration_seconds, ProcessLimits base) const {
  if (time_factor > 0 && duration_seconds > 0) {
    const auto scaled = std::chrono::milliseconds(static_cast<std::int64_t>(duration_seconds * time_factor * 1000));
    const auto wall = std::max<std::chrono::milliseconds>(time_floor, scaled);
    if (base.wall_time.count() == 0 || wall < base.wall_time) base.wall_time = wall;
    const auto cpu = std::chrono::seconds(static_cast<std::int64_t>(
        std::ceil(std::chrono::duration<double>(base.wall_time).count() * std::max(1.0, cpus))));
    if (base.cpu_time.count() == 0 || cpu < base.cpu_time) base.cpu_time = cpu;
  }
  if (max_memory_bytes > 0) base.address_space_bytes = max_memory_bytes;
  if (max_file_bytes > 0) base.file_size_bytes = max_file_bytes;
  return base;
}

namespace {

constexpr std::chrono::milliseconds kDiskCheckInterval{500};

}  // namespace

Result<ProcessResult> Encoder::run(const EncodeCommand& command, const ProgressHandler& on_progress,
                                   const std::stop_token& stop, const ProcessLimits& limits,
                                   const EncodeBudget& budget) const {
  std::error_code ec;
  std::filesystem::create_directories(command.output_dir, ec);
  if (ec) {
    return fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", command.output_dir.string(), ec.message()));
  }
  const bool watch_disk = budget.min_free_bytes > 0 && !budget.scratch.empty();
  const auto free_bytes = budget.free_bytes ? budget.free_bytes : free_disk_bytes;
  std::uint64_t free_when_stopped = 0;
  const auto disk_is_low = [&] {
    free_when_stopped = free_bytes(budget.scratch);
    return free_when_stopped < budget.min_free_bytes;
  };
  const auto low_disk_error = [&] {
    return fail(ErrorCode::kUnavailable,
                fmt::format("the scratch disk ran low ({} MiB free, below the minimum of {} MiB): the encode was "
                            "stopped and will be retried",
                            free_when_stopped >> 20, budget.min_free_bytes >> 20));
  };
  if (watch_disk && disk_is_low()) return low_disk_error();

  auto process = Process::spawn(ProcessSpec{.argv = command.argv, .limits = limits});
  if (!process) return tl::unexpected(process.error());

  // Stopped by the caller, or by us when the disk runs low.
  std::stop_source local;
  const std::stop_callback forward(stop, [&local] { local.request_stop(); });
  bool disk_low = false;
  auto next_disk_check = std::chrono::steady_clock::now();
  ProgressParser parser;
  auto result = process->wait(
      [&](std::string_view line) {
        if (auto progress = parser.feed(line); progress && on_progress) on_progress(*progress);
        if (watch_disk && !disk_low && std::chrono::steady_clock::now() >= next_disk_check) {
          next_disk_check = std::chrono::steady_clock::now() + kDiskCheckInterval;
          if (disk_is_low()) {
            disk_low = true;
            local.request_stop();
          }
        }
      },
      local.get_token());
  if (disk_low) return low_disk_error();
  if (result.cancelled) return fail(ErrorCode::kCancelled, "encoding stopped on request");
  if (!result.succeeded()) {
    const auto why = last_lines(result.stderr_tail, 2);
    // A source that makes the encoder outrun its budget (time, CPU, file size)
    // would do it again: that is the source's limit, not a passing failure.
    const bool over_budget = result.term_signal == SIGXCPU || result.term_signal == SIGXFSZ;
    const auto code = result.timed_out                        ? ErrorCode::kTimeLimit
                      : over_budget                           ? ErrorCode::kLimitExceeded
                      : blames_the_source(result.stderr_tail) ? ErrorCode::kInvalidInput
                                                              : ErrorCode::kProcess;
    return fail(code, fmt::format("ffmpeg {}{}", result.describe(), why.empty() ? "" : ": " + why));
  }
  return result;
}

}  // namespace st
