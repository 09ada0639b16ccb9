#include "pipeline/ladder.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "media/languages.hpp"

namespace st {
namespace {

// Bit rates for H.264 High at up to 30 frames per second, in line with common
// VOD ladders (Apple's HLS authoring guidance brackets the same values).
const std::vector<VideoProfile> kStandardProfiles = {
    {"2160p", 3840, 2160, 16000, 60}, {"1440p", 2560, 1440, 9000, 60}, {"1080p", 1920, 1080, 5000, 60},
    {"720p", 1280, 720, 2800, 60},    {"480p", 854, 480, 1400, 30},    {"360p", 640, 360, 800, 30},
    {"240p", 426, 240, 400, 30},
};

// Frames above 30 per second cost bits, but far fewer than their count suggests
// because consecutive frames are more alike.
constexpr double kHighFrameRateFactor = 1.5;
constexpr double kMaxrateFactor = 1.5;
constexpr double kBufsizeFactor = 2.0;
constexpr int kMinBitrateKbps = 100;
// A source within 1% of a profile's box fills it (853x479 is a 480p source); the
// rendition is still clamped to the source's own size, so nothing is upscaled.
constexpr double kFitTolerance = 0.01;

int even_at_most(double value, int limit) {
  const int rounded = 2 * static_cast<int>(std::lround(value / 2.0));
  return std::max(2, std::min(rounded, limit - (limit % 2)));
}

// The highest rate not above `cap` obtained by dropping whole frames (60 -> 30,
// 50 -> 25), so that every rendition's frames are a subset of the source's and
// keyframes fall on the same instants.
Rational capped_frame_rate(Rational rate, double cap) {
  std::int64_t divisor = 1;
  while (rate.value() / static_cast<double>(divisor) > cap + 1e-6) ++divisor;
  return Rational{rate.num, rate.den * divisor}.reduced();
}

// AAC-LC bit rates: transparent for stereo at 128 kbit/s; 5.1 at 384 (64 per full channel).
constexpr int kStereoBitrateKbps = 128;
constexpr int kSurroundBitrateKbps = 384;
constexpr int kSurroundChannels = 6;

std::string role_suffix(AudioRole role) {
  return role == AudioRole::kMain ? std::string() : fmt::format("-{}", to_string(role));
}

std::string role_label(AudioRole role) {
  switch (role) {
    case AudioRole::kCommentary:
      return " (commentary)";
    case AudioRole::kDescription:
      return " (audio description)";
    case AudioRole::kMain:
      break;
  }
  return {};
}

// A hostile source may carry hundreds of tracks; each would be an encode.
constexpr std::size_t kMaxAudioTracks = 16;

// Every source track, in source order: a stereo rendition each, and a 5.1
// one beside it where the source has surround. The default is the source's
// default track (its first, when none says so).
std::vector<AudioRendition> plan_audio(std::vector<AudioStreamInfo> streams, std::vector<SkippedStream>& skipped) {
  for (std::size_t i = kMaxAudioTracks; i < streams.size(); ++i) {
    skipped.push_back({.index = streams[i].index,
                       .codec = streams[i].codec,
                       .language = streams[i].language,
                       .reason = fmt::format("more than {} audio tracks", kMaxAudioTracks)});
  }
  if (streams.size() > kMaxAudioTracks) streams.resize(kMaxAudioTracks);
  std::vector<AudioRendition> out;
  std::set<std::string> names;
  const auto unique = [&names](const std::string& base) {
    auto name = base;
    for (int n = 2; names.count(name) > 0; ++n) name = fmt::format("{}-{}", base, n);
    names.insert(name);
    return name;
  };
  const auto flagged = std::find_if(streams.begin(), streams.end(), [](const auto& s) { return s.is_default; });
  const auto default_index = flagged != streams.end() ? flagged->index : (streams.empty() ? -1 : streams.front().index);
  for (const auto& stream : streams) {
    const auto language = language_from_tag(stream.language);
    AudioRendition stereo{
        .name = unique(fmt::format("aac-stereo-{}{}", language.tag, role_suffix(stream.role))),
        .source_index = stream.index,
        .language = language.tag,
        .label = language.name + role_label(stream.role),
        .role = stream.role,
        .is_default = stream.index == default_index,
        .channels = 2,
        .bitrate_kbps = kStereoBitrateKbps,
    };
    out.push_back(stereo);
    if (stream.channels >= kSurroundChannels) {
      auto surround = stereo;
      surround.name = unique(fmt::format("aac-5.1-{}{}", language.tag, role_suffix(stream.role)));
      surround.label = fmt::format("{} 5.1{}", language.name, role_label(stream.role));
      surround.is_default = false;
      surround.channels = kSurroundChannels;
      surround.bitrate_kbps = kSurroundBitrateKbps;
      out.push_back(std::move(surround));
    }
  }
  return out;
}

// SDR BT.709 for every rendition, with two exceptions kept as what they are:
// an HDR source is tone-mapped (once, before the split); a BT.601 source keeps
// BT.601 in its SD renditions and is converted to BT.709 in HD-sized ones,
// where players assume BT.709 whatever the tags say.
void plan_colour(const VideoStreamInfo& source, Ladder& ladder) {
  if (source.is_hdr()) {
    ladder.tone_map_from = source.color_transfer;
    return;
  }
  if (!source.is_bt601()) return;
  const bool pal = source.color_matrix == "bt470bg" || source.color_primaries == "bt470bg" ||
                   (source.color_matrix.empty() && source.height == 576);
  for (auto& r : ladder.video) {
    if (std::min(r.width, r.height) >= 720) {
      r.from_bt601 = true;
      continue;
    }
    r.color_primaries = pal ? "bt470bg" : "smpte170m";
    r.color_transfer = "smpte170m";
    r.color_matrix = pal ? "bt470bg" : "smpte170m";
  }
}

// The HDR ladder: HEVC Main 10 copies of the HD-sized SDR rungs (of the top
// one alone when none is HD), the source's transfer kept, BT.2020 signalled.
std::vector<VideoRendition> plan_hdr(const std::vector<VideoRendition>& sdr, const VideoStreamInfo& source) {
  std::vector<VideoRendition> out;
  for (const auto& r : sdr) {
    const bool hd = std::min(r.width, r.height) >= 720;
    if (!hd && &r != &sdr.front()) continue;  // largest first: a top rung below HD is the only one
    auto hdr = r;
    hdr.name = r.name + "-hdr";
    hdr.codec = "hevc";
    hdr.color_primaries = "bt2020";
    hdr.color_transfer = source.color_transfer;
    hdr.color_matrix = "bt2020nc";
    hdr.from_bt601 = false;
    const auto scaled = [](int kbps) { return static_cast<int>(std::lround(kbps * kHevcBitrateShare)); };
    hdr.bitrate_kbps = scaled(r.bitrate_kbps);
    hdr.maxrate_kbps = scaled(r.maxrate_kbps);
    hdr.bufsize_kbits = scaled(r.bufsize_kbits);
    out.push_back(std::move(hdr));
  }
  return out;
}

// Every text subtitle stream becomes a WebVTT track; image ones (PGS, DVB,
// DVD) cannot be turned into text and are reported as skipped.
std::vector<SubtitleRendition> plan_subtitles(const std::vector<SubtitleStreamInfo>& source,
                                              const std::vector<SubtitleStreamInfo>& sidecars,
                                              std::vector<SkippedStream>& skipped) {
  std::vector<SubtitleStreamInfo> streams = source;
  streams.insert(streams.end(), sidecars.begin(), sidecars.end());
  std::vector<SubtitleRendition> out;
  std::set<std::string> names;
  for (const auto& stream : streams) {
    const auto skip = [&](std::string reason) {
      skipped.push_back(
          {.index = stream.index, .codec = stream.codec, .language = stream.language, .reason = std::move(reason)});
    };
    if (!stream.is_text()) {
      skip("image subtitles cannot be converted to WebVTT text");
      continue;
    }
    if (out.size() >= kMaxSubtitleTracks) {
      skip(fmt::format("more than {} subtitle tracks", kMaxSubtitleTracks));
      continue;
    }
    const auto language = language_from_tag(stream.language);
    std::string base = language.tag;
    std::string label = language.name;
    if (stream.forced) {
      base += "-forced";
      label += " (forced)";
    }
    if (stream.hearing_impaired) {
      base += "-sdh";
      label += " (SDH)";
    }
    auto name = base;
    for (int n = 2; names.count(name) > 0; ++n) name = fmt::format("{}-{}", base, n);
    names.insert(name);
    out.push_back({.name = name,
                   .source_index = stream.index,
                   .sidecar = stream.sidecar,
                   .language = language.tag,
                   .label = label,
                   .caption = stream.hearing_impaired,
                   .forced = stream.forced,
                   .is_default = stream.is_default});
  }
  return out;
}

int round_to(double value, int step) {
  return static_cast<int>(std::lround(value / step)) * step;
}

}  // namespace

std::string_view to_string(LadderMode mode) {
  return mode == LadderMode::kPerTitle ? "per-title" : "fixed";
}

std::optional<LadderMode> ladder_mode_from_string(std::string_view text) {
  if (text == "fixed") return LadderMode::kFixed;
  if (text == "per-title") return LadderMode::kPerTitle;
  return std::nullopt;
}

const std::vector<VideoProfile>& ProfileFactory::standard() {
  return kStandardProfiles;
}

std::optional<VideoProfile> ProfileFactory::find(std::string_view name) {
  for (const auto& profile : kStandardProfiles) {
    if (profile.name == name) return profile;
  }
  return std::nullopt;
}

std::string ProfileFactory::names() {
  std::string out;
  for (const auto& profile : kStandardProfiles) {
    if (!out.empty()) out += ", ";
    out += profile.name;
  }
  return out;
}

Rational normalise_frame_rate(Rational measured) {
  static const std::array<Rational, 9> kStandard = {Rational{24000, 1001}, Rational{24, 1},       Rational{25, 1},
                                                    Rational{30000, 1001}, Rational{30, 1},       Rational{48, 1},
                                                    Rational{50, 1},       Rational{60000, 1001}, Rational{60, 1}};
  const Rational* closest = nullptr;
  double closest_error = 0.005;  // 30 and 29.97 are 0.1% apart: the nearest wins
  for (const auto& rate : kStandard) {
    const double error = std::abs(measured.value() - rate.value()) / rate.value();
    if (error < closest_error) {
      closest = &rate;
      closest_error = error;
    }
  }
  if (closest != nullptr) return *closest;
  return Rational{std::max<std::int64_t>(1, std::llround(measured.value())), 1};
}

std::string sdr_tone_map_filter(std::string_view transfer) {
  // To linear light (100 nits is SDR white), BT.2020 to BT.709 primaries,
  // Hable's curve without desaturation, then BT.709 transfer and matrix. The
  // source's tags are stated, not trusted to be on every frame.
  return fmt::format(
      "zscale=tin={}:min=bt2020nc:pin=bt2020:t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
      "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p",
      transfer);
}

Result<Ladder> LadderPlanner::plan(const MediaInfo& source, const std::vector<SubtitleStreamInfo>& sidecars) const {
  std::set<std::string> wanted;
  for (const auto& name : options_.renditions) {
    if (!ProfileFactory::find(name)) {
      return fail(ErrorCode::kUsage,
                  fmt::format("unknown rendition '{}'; known renditions are {}", name, ProfileFactory::names()));
    }
    wanted.insert(name);
  }

  const int source_w = source.video.display_width();
  const int source_h = source.video.display_height();
  const bool portrait = source_h > source_w;

  Ladder ladder;
  ladder.frame_rate = normalise_frame_rate(source.video.frame_rate);
  ladder.deinterlace = source.video.interlaced;

  auto make_rendition = [&](const VideoProfile& profile, int width, int height) {
    const Rational rate = capped_frame_rate(ladder.frame_rate, profile.max_frame_rate);
    const double box_pixels = static_cast<double>(profile.long_side) * profile.short_side;
    const double pixel_share = std::min(1.0, static_cast<double>(width) * height / box_pixels);
    const double speed = rate.value() > 30.5 ? kHighFrameRateFactor : 1.0;
    const int bitrate = std::max(kMinBitrateKbps, round_to(profile.bitrate_kbps * pixel_share * speed, 10));
    return VideoRendition{
        .name = profile.name,
        .width = width,
        .height = height,
        .frame_rate = rate,
        .bitrate_kbps = bitrate,
        .maxrate_kbps = round_to(bitrate * kMaxrateFactor, 10),
        .bufsize_kbits = round_to(bitrate * kBufsizeFactor, 10),
    };
  };

  for (const auto& profile : ProfileFactory::standard()) {
    if (!wanted.empty() && wanted.count(profile.name) == 0) continue;
    // The profile's box, turned to match the source.
    const int box_w = portrait ? profile.short_side : profile.long_side;
    const int box_h = portrait ? profile.long_side : profile.short_side;
    const double scale = std::min(static_cast<double>(box_w) / source_w, static_cast<double>(box_h) / source_h);
    if (scale > 1.0 + kFitTolerance) {
      ladder.notes.push_back(
          fmt::format("{} skipped: the source ({}x{}) is smaller", profile.name, source_w, source_h));
      continue;
    }
    const int width = even_at_most(source_w * scale, source_w);
    const int height = even_at_most(source_h * scale, source_h);
    const bool duplicate = std::any_of(ladder.video.begin(), ladder.video.end(),
                                       [&](const auto& r) { return r.width == width && r.height == height; });
    if (!duplicate) ladder.video.push_back(make_rendition(profile, width, height));
  }

  if (ladder.video.empty()) {
    if (!wanted.empty()) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("none of the requested renditions fits a {}x{} source; renditions are never "
                              "larger than the source",
                              source_w, source_h));
    }
    // Smaller than the smallest profile: one rendition at the source's own size.
    const auto& smallest = ProfileFactory::standard().back();
    const int width = even_at_most(source_w, source_w);
    const int height = even_at_most(source_h, source_h);
    auto rendition = make_rendition(smallest, width, height);
    rendition.name = fmt::format("{}p", std::min(width, height));
    ladder.video.push_back(rendition);
  }

  ladder.audio = plan_audio(source.audio, ladder.skipped);
  ladder.subtitles = plan_subtitles(source.subtitles, sidecars, ladder.skipped);
  plan_colour(source.video, ladder);
  if (options_.hdr_ladder && source.video.is_hdr()) ladder.hdr_video = plan_hdr(ladder.video, source.video);
  if (options_.sprites.enabled) {
    // Tiles at the picture's aspect, the long side `tile_width`, even sizes.
    const auto& top = ladder.video.front();
    const int long_side = std::min(options_.sprites.tile_width, std::max(top.width, top.height));
    const double scale = static_cast<double>(long_side) / std::max(top.width, top.height);
    ladder.sprites = SpriteLayout{
        .interval_seconds = options_.sprites.interval_seconds,
        .columns = options_.sprites.columns,
        .rows = options_.sprites.rows,
        .tile_width = even_at_most(top.width * scale, top.width),
        .tile_height = even_at_most(top.height * scale, top.height),
    };
  }
  return ladder;
}

}  // namespace st
