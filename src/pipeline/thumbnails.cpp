#include "pipeline/thumbnails.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "media/input_policy.hpp"
#include "packaging/output_names.hpp"
#include "pipeline/ladder.hpp"
#include "util/files.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;

// Where to look, as fractions of the duration: past opening titles first.
constexpr std::array<double, 4> kCandidatePositions = {0.10, 0.33, 0.50, 0.75};
constexpr double kWindowSeconds = 2.0;
constexpr double kKeyframeWindowSeconds = 10.0;
constexpr int kKeyframeCandidates = 5;
constexpr std::chrono::seconds kTimeLimit{120};

double stat_value(std::string_view text, std::string_view key) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return 0;
  const auto value = text.substr(at + key.size());
  try {
    return std::stod(std::string(value.substr(0, value.find('\n'))));
  } catch (const std::exception&) {
    return 0;
  }
}

// The metadata filter opens each frame's block with "frame:N pts:P pts_time:T".
double frame_time(std::string_view text) {
  const auto at = text.find("pts_time:");
  if (at == std::string_view::npos) return 0;
  auto value = text.substr(at + 9);
  value = value.substr(0, value.find_first_of(" \n"));
  try {
    return std::stod(std::string(value));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

LumaStats parse_signalstats(std::string_view text) {
  return LumaStats{
      .low = stat_value(text, "lavfi.signalstats.YLOW="),
      .high = stat_value(text, "lavfi.signalstats.YHIGH="),
      .average = stat_value(text, "lavfi.signalstats.YAVG="),
      .frame_seconds = frame_time(text),
  };
}

Result<Poster> PosterExtractor::extract(const fs::path& source, const MediaInfo& info, const fs::path& destination,
                                        const std::stop_token& stop) const {
  if (auto made = make_directories(destination.parent_path()); !made) return tl::unexpected(made.error());
  const int display_w = info.video.display_width();
  const int display_h = info.video.display_height();
  const int width = std::min(options_.max_width, display_w) / 2 * 2;
  const int height =
      std::max(2, static_cast<int>(std::lround(static_cast<double>(width) * display_h / display_w / 2)) * 2);
  const int window_frames = std::max(1, static_cast<int>(std::lround(info.video.frame_rate.value() * kWindowSeconds)));

  Poster best;
  double best_contrast = -1;
  for (std::size_t i = 0; i < kCandidatePositions.size(); ++i) {
    const double position = info.duration_seconds * kCandidatePositions[i];
    const auto candidate = destination.parent_path() / fmt::format(".poster-candidate-{}.jpg", i);
    std::error_code ec;

    // Keyframes only first: no decoding from the previous keyframe up to the
    // position, so a try costs a few frames. A window without a keyframe (a short
    // clip, a long GOP) falls back to decoding every frame.
    std::optional<LumaStats> luma;
    for (const bool keyframes_only : {true, false}) {
      const double window = keyframes_only ? kKeyframeWindowSeconds : kWindowSeconds;
      const int frames = keyframes_only ? kKeyframeCandidates : window_frames;
      std::string filters = info.video.interlaced ? "bwdif=mode=send_frame," : "";
      // An HDR poster is tone-mapped like the renditions, or it shows washed out.
      if (info.video.is_hdr()) filters += sdr_tone_map_filter(info.video.color_transfer) + ",";
      // Statistics go to stdout ("-"), which keeps paths out of the filter graph's escaping rules.
      filters += fmt::format("thumbnail=n={},signalstats,metadata=mode=print:file=-,scale={}:{},setsar=1", frames,
                             width, height);
      std::vector<std::string> argv{ffmpeg_, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"};
      if (keyframes_only) argv.insert(argv.end(), {"-skip_frame", "nokey"});
      argv.insert(argv.end(), {"-ss", fmt::format("{:.3f}", position), "-t", fmt::format("{:.3f}", window)});
      for (auto& arg : safe_input_arguments(source)) argv.push_back(std::move(arg));
      argv.insert(argv.end(), {"-map", fmt::format("0:{}", info.video.index), "-vf", filters, "-frames:v", "1", "-q:v",
                               "3", "-f", "image2", "-update", "1", candidate.string()});
      best.commands.push_back(argv);

      auto run =
          run_captured(ProcessSpec{.argv = argv, .limits = {.wall_time = kTimeLimit}}, std::size_t{64} * 1024, stop);
      if (!run) return tl::unexpected(run.error());
      if (run->result.cancelled) return fail(ErrorCode::kCancelled, "poster extraction stopped on request");
      if (run->result.succeeded() && fs::exists(candidate, ec)) {
        luma = parse_signalstats(run->stdout_text);
        break;
      }
    }
    if (!luma) continue;  // a late position can fall past the last frame of a short clip

    const double contrast = luma->high - luma->low + luma->high / 10.0;
    if (contrast > best_contrast) {
      if (auto moved = move_file(candidate, destination); !moved) return tl::unexpected(moved.error());
      best_contrast = contrast;
      best.file = destination;
      // Timestamps restart at zero after an input seek.
      best.position_seconds = position + luma->frame_seconds;
      best.luma_average = luma->average;
    } else {
      fs::remove(candidate, ec);
    }
    if (luma->is_informative()) break;
  }
  if (best.file.empty()) return fail(ErrorCode::kProcess, "ffmpeg could not extract a poster frame from the source");
  best.width = width;
  best.height = height;
  return best;
}

Result<Poster> PosterExtractor::extract_from_rendition(const fs::path& folder, const Track& rendition,
                                                       const fs::path& destination, const std::stop_token& stop) const {
  if (auto made = make_directories(destination.parent_path()); !made) return tl::unexpected(made.error());
  if (rendition.segments.empty() || rendition.width <= 0)
    return fail(ErrorCode::kProcess, "no rendition to take a poster from");
  const int width = std::min(options_.max_width, rendition.width) / 2 * 2;
  const int height = std::max(
      2, static_cast<int>(std::lround(static_cast<double>(width) * rendition.height / rendition.width / 2)) * 2);
  const double duration = rendition.duration_seconds();
  const double first_start = rendition.seconds(rendition.segments.front().start);

  Poster best;
  best.taken_from = rendition.id;
  double best_contrast = -1;
  std::optional<std::size_t> previous;
  for (std::size_t i = 0; i < kCandidatePositions.size(); ++i) {
    // The segment holding the position; each starts with a keyframe.
    const double position = first_start + duration * kCandidatePositions[i];
    std::size_t index = 0;
    while (index + 1 < rendition.segments.size() &&
           rendition.seconds(rendition.segments[index + 1].start) <= position) {
      ++index;
    }
    if (previous == index) continue;
    previous = index;
    const auto joined = destination.parent_path() / fmt::format(".poster-segment-{}.mp4", i);
    const auto candidate = destination.parent_path() / fmt::format(".poster-candidate-{}.jpg", i);
    if (auto copied =
            concatenate_files({folder / rendition.init_file, folder / rendition.segments[index].file}, joined);
        !copied) {
      return tl::unexpected(copied.error());
    }
    std::vector<std::string> argv{ffmpeg_, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"};
    for (auto& arg : safe_input_arguments(joined)) argv.push_back(std::move(arg));
    argv.insert(argv.end(), {"-map", "0:v:0", "-vf",
                             fmt::format("signalstats,metadata=mode=print:file=-,scale={}:{},setsar=1", width, height),
                             "-frames:v", "1", "-q:v", "3", "-f", "image2", "-update", "1", candidate.string()});
    best.commands.push_back(argv);
    auto run =
        run_captured(ProcessSpec{.argv = argv, .limits = {.wall_time = kTimeLimit}}, std::size_t{64} * 1024, stop);
    std::error_code ec;
    fs::remove(joined, ec);
    if (!run) return tl::unexpected(run.error());
    if (run->result.cancelled) return fail(ErrorCode::kCancelled, "poster extraction stopped on request");
    if (!run->result.succeeded() || !fs::exists(candidate, ec)) continue;
    const auto luma = parse_signalstats(run->stdout_text);
    const double contrast = luma.high - luma.low + luma.high / 10.0;
    if (contrast > best_contrast) {
      if (auto moved = move_file(candidate, destination); !moved) return tl::unexpected(moved.error());
      best_contrast = contrast;
      best.file = destination;
      best.position_seconds = rendition.seconds(rendition.segments[index].start);
      best.luma_average = luma.average;
    } else {
      fs::remove(candidate, ec);
    }
    if (luma.is_informative()) break;
  }
  if (best.file.empty()) return fail(ErrorCode::kProcess, fmt::format("no frame of {} could be decoded", rendition.id));
  best.width = width;
  best.height = height;
  return best;
}

Result<SpriteSheets> SpriteMaker::make(const fs::path& init, const std::vector<fs::path>& segments,
                                       double segment_seconds, SpriteLayout layout, const fs::path& root,
                                       const std::stop_token& stop, std::vector<std::string>& command) const {
  if (segments.empty() || segment_seconds <= 0) return fail(ErrorCode::kProcess, "no segments to make sprites from");
  const int every = std::max(1, static_cast<int>(std::ceil(layout.interval_seconds / segment_seconds - 1e-6)));
  layout.interval_seconds = every * segment_seconds;
  const auto folder = root / kThumbnailsFolder;
  if (auto made = make_directories(folder); !made) return tl::unexpected(made.error());
  const auto joined = folder / ".sprite-source.mp4";
  std::vector<fs::path> parts{init};
  parts.insert(parts.end(), segments.begin(), segments.end());
  if (auto copied = concatenate_files(parts, joined); !copied) return tl::unexpected(copied.error());

  command = {ffmpeg_, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-skip_frame", "nokey"};
  for (auto& arg : safe_input_arguments(joined)) command.push_back(std::move(arg));
  command.insert(command.end(),
                 {"-map", "0:v:0", "-vf",
                  fmt::format("select=not(mod(n\\,{})),scale={}:{}:flags=bicubic,setsar=1,format=yuvj420p,tile={}x{}",
                              every, layout.tile_width, layout.tile_height, layout.columns, layout.rows),
                  "-fps_mode", "passthrough", "-c:v", "mjpeg", "-q:v", "5", "-f", "image2", "-start_number", "1",
                  (folder / fmt::format("{}%05d.jpg", kSpriteFilePrefix)).string()});
  auto run =
      run_captured(ProcessSpec{.argv = command, .limits = {.wall_time = kTimeLimit}}, std::size_t{64} * 1024, stop);
  std::error_code ec;
  fs::remove(joined, ec);
  if (!run) return tl::unexpected(run.error());
  if (run->result.cancelled) return fail(ErrorCode::kCancelled, "sprite sheets stopped on request");
  if (!run->result.succeeded()) return fail(ErrorCode::kProcess, fmt::format("ffmpeg {}", run->result.describe()));

  SpriteSheets sprites{.interval_seconds = layout.interval_seconds,
                       .columns = layout.columns,
                       .rows = layout.rows,
                       .tile_width = layout.tile_width,
                       .tile_height = layout.tile_height,
                       .files = {},
                       .thumbnails = 0,
                       .bytes = 0,
                       .track_file = std::string(kThumbnailTrackFile)};
  for (int number = 1;; ++number) {
    const auto file = fmt::format("{}/{}{:05d}.jpg", kThumbnailsFolder, kSpriteFilePrefix, number);
    if (!fs::exists(root / file, ec)) break;
    sprites.bytes += fs::file_size(root / file, ec);
    sprites.files.push_back(file);
  }
  if (sprites.files.empty()) return fail(ErrorCode::kProcess, "ffmpeg wrote no sprite sheet");
  // A tile per `every` segments, the first at 0.
  const auto segment_count = static_cast<int>(segments.size());
  const int tiles = (segment_count + every - 1) / every;
  sprites.thumbnails = std::min(tiles, static_cast<int>(sprites.files.size()) * layout.tiles_per_sheet());
  return sprites;
}

}  // namespace st
