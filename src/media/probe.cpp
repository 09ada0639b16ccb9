#include "media/probe.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "media/input_policy.hpp"
#include "util/process.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kMaxProbeOutputBytes = std::size_t{4} * 1024 * 1024;
constexpr std::chrono::seconds kProbeTimeLimit{60};

double number_field(const json& object, const char* key, double fallback = 0) {
  const auto it = object.find(key);
  if (it == object.end()) return fallback;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    try {
      return std::stod(it->get<std::string>());
    } catch (const std::exception&) {
      return fallback;
    }
  }
  return fallback;
}

// A whole number in [0, INT_MAX], or `fallback`: ffprobe's output is parsed
// like any outside input (fields of the wrong type or absurd size happen).
int int_field(const json& object, const char* key, int fallback = 0) {
  const double value = number_field(object, key, fallback);
  if (!std::isfinite(value) || value < 0 || value > std::numeric_limits<int>::max()) return fallback;
  return static_cast<int>(value);
}

std::string string_field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string tag(const json& stream, const char* key) {
  const auto tags = stream.find("tags");
  return tags != stream.end() && tags->is_object() ? string_field(*tags, key) : std::string();
}

// `value` when it is one of `known`, else empty.
std::string known_name(const std::string& value, std::initializer_list<std::string_view> known) {
  return std::find(known.begin(), known.end(), value) != known.end() ? value : std::string();
}

bool has_disposition(const json& stream, const char* flag) {
  const auto disposition = stream.find("disposition");
  return disposition != stream.end() && disposition->is_object() && int_field(*disposition, flag) == 1;
}

bool is_cover_art(const json& stream) {
  return has_disposition(stream, "attached_pic");
}

AudioRole audio_role(const json& stream) {
  if (has_disposition(stream, "comment")) return AudioRole::kCommentary;
  if (has_disposition(stream, "visual_impaired") || has_disposition(stream, "descriptions")) {
    return AudioRole::kDescription;
  }
  return AudioRole::kMain;
}

// Clockwise quarter turns a player applies. The display matrix stores the
// counter-clockwise angle (a phone's portrait clip says -90); the legacy
// "rotate" tag stores the clockwise one.
int display_rotation(const json& stream) {
  double counter_clockwise = 0;
  bool found = false;
  if (const auto side = stream.find("side_data_list"); side != stream.end() && side->is_array()) {
    for (const auto& entry : *side) {
      if (entry.is_object() && entry.contains("rotation")) {
        counter_clockwise = number_field(entry, "rotation");
        found = true;
      }
    }
  }
  if (!found) {
    const auto rotate = tag(stream, "rotate");
    if (!rotate.empty()) counter_clockwise = -number_field(json{{"r", rotate}}, "r");
  }
  if (!std::isfinite(counter_clockwise) || std::abs(counter_clockwise) > 3600) return 0;
  const long quarter_turns = std::lround(-counter_clockwise / 90.0);
  return static_cast<int>(((quarter_turns % 4) + 4) % 4) * 90;
}

bool is_interlaced(const std::string& field_order) {
  return field_order == "tt" || field_order == "bb" || field_order == "tb" || field_order == "bt";
}

Rational frame_rate_of(const json& stream) {
  for (const char* key : {"avg_frame_rate", "r_frame_rate"}) {
    const auto rate = Rational::parse(string_field(stream, key));
    if (rate && rate->valid()) return *rate;
  }
  return {};
}

std::string stream_summary(const json& streams) {
  std::string summary;
  for (const auto& s : streams) {
    if (!s.is_object()) continue;
    if (!summary.empty()) summary += ", ";
    summary += fmt::format("{} {}", string_field(s, "codec_type"), string_field(s, "codec_name"));
  }
  return summary.empty() ? "no streams at all" : summary;
}

// Recognises inputs that name other files, to say what they are instead of
// ffprobe's "not on whitelist".
std::optional<std::string> disguised_reference_file(const fs::path& source) {
  std::ifstream in(source, std::ios::binary);
  std::array<char, 64> head{};
  in.read(head.data(), head.size());
  std::string_view text(head.data(), static_cast<std::size_t>(in.gcount()));
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r')) {
    text.remove_prefix(1);
  }
  if (text.starts_with("#EXTM3U")) return "an HLS playlist";
  if (text.starts_with("ffconcat")) return "an ffmpeg concat script";
  if (text.starts_with("<?xml") || text.starts_with("<MPD")) return "an XML document (a DASH manifest?)";
  return std::nullopt;
}

// Turns ffprobe's last words into a reason a person can act on.
std::string explain_probe_failure(const std::string& stderr_tail) {
  if (stderr_tail.find("not on whitelist") != std::string::npos) {
    return "its container format is not accepted (only single-file video containers such as MP4, "
           "MOV, MKV, WebM, AVI, MPEG-TS and MXF are)";
  }
  if (stderr_tail.find("moov atom not found") != std::string::npos) {
    return "it is truncated or not a valid MP4/MOV file (its 'moov' index is missing)";
  }
  if (const auto at = stderr_tail.find("Picture size "); at != std::string::npos) {
    // libavutil's image check: a header that declares an impossible size (65535x65535).
    const auto end = stderr_tail.find('\n', at);
    return fmt::format("it declares an impossible picture ({})",
                       stderr_tail.substr(at, end == std::string::npos ? std::string::npos : end - at));
  }
  if (stderr_tail.find("Invalid data found") != std::string::npos) {
    return "it is not a recognised video file or it is corrupt";
  }
  auto last = stderr_tail;
  while (!last.empty() && (last.back() == '\n' || last.back() == '\r')) last.pop_back();
  if (const auto nl = last.rfind('\n'); nl != std::string::npos) last.erase(0, nl + 1);
  return last.empty() ? "ffprobe could not read it" : fmt::format("ffprobe said: {}", last);
}

}  // namespace

Result<MediaInfo> parse_ffprobe_json(std::string_view text, std::uint64_t size_bytes) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::kInvalidInput, "ffprobe did not describe the file; it is probably not a video");
  }
  static const json kNone = json::array();
  static const json kEmpty = json::object();
  const auto streams_it = doc.find("streams");
  const json& streams = streams_it != doc.end() && streams_it->is_array() ? *streams_it : kNone;
  const auto format_it = doc.find("format");
  const json& format = format_it != doc.end() && format_it->is_object() ? *format_it : kEmpty;

  MediaInfo info;
  info.size_bytes = size_bytes;
  info.format_name = string_field(format, "format_name");
  const double bit_rate = number_field(format, "bit_rate");
  info.bit_rate = std::isfinite(bit_rate) && bit_rate > 0 && bit_rate < 1e15 ? static_cast<std::int64_t>(bit_rate) : 0;

  const json* video = nullptr;
  for (const auto& stream : streams) {
    if (!stream.is_object()) continue;
    const auto type = string_field(stream, "codec_type");
    if (type == "video" && video == nullptr && !is_cover_art(stream)) video = &stream;
    if (type == "audio") {
      info.audio.push_back(AudioStreamInfo{
          .index = int_field(stream, "index"),
          .codec = string_field(stream, "codec_name"),
          .channels = int_field(stream, "channels"),
          .sample_rate = int_field(stream, "sample_rate"),
          .language = tag(stream, "language"),
          .is_default = has_disposition(stream, "default"),
          .role = audio_role(stream),
      });
    }
    if (type == "subtitle") {
      info.subtitles.push_back(SubtitleStreamInfo{
          .index = int_field(stream, "index"),
          .codec = string_field(stream, "codec_name"),
          .language = tag(stream, "language"),
          .is_default = has_disposition(stream, "default"),
          .forced = has_disposition(stream, "forced"),
          .hearing_impaired = has_disposition(stream, "hearing_impaired"),
      });
    }
  }
  if (video == nullptr) {
    return fail(ErrorCode::kInvalidInput, fmt::format("the input has no video stream ({})", stream_summary(streams)));
  }

  auto& v = info.video;
  v.index = int_field(*video, "index");
  v.codec = string_field(*video, "codec_name");
  v.pixel_format = string_field(*video, "pix_fmt");
  v.width = int_field(*video, "width");
  v.height = int_field(*video, "height");
  if (const auto sar = Rational::parse(string_field(*video, "sample_aspect_ratio")); sar && sar->valid()) {
    v.sample_aspect = *sar;
  }
  v.rotation = display_rotation(*video);
  v.frame_rate = frame_rate_of(*video);
  v.duration_seconds = number_field(*video, "duration");
  v.field_order = string_field(*video, "field_order");
  v.interlaced = is_interlaced(v.field_order);
  v.color_transfer = known_name(string_field(*video, "color_transfer"),
                                {"bt709", "smpte2084", "arib-std-b67", "smpte170m", "bt470bg", "gamma22", "gamma28",
                                 "bt2020-10", "bt2020-12", "iec61966-2-1"});
  v.color_primaries = known_name(string_field(*video, "color_primaries"), {"bt709", "bt2020", "smpte170m", "bt470bg"});
  v.color_matrix = known_name(string_field(*video, "color_space"), {"bt709", "bt2020nc", "smpte170m", "bt470bg"});

  if (v.codec.empty() || v.width <= 0 || v.height <= 0) {
    return fail(ErrorCode::kInvalidInput,
                "the video stream has no decodable picture (unknown codec or size); the file is "
                "probably corrupt");
  }
  if (!v.frame_rate.valid()) {
    return fail(ErrorCode::kInvalidInput, "the video stream has no frame rate; the file is probably corrupt");
  }

  info.duration_seconds = number_field(format, "duration", number_field(*video, "duration"));
  if (!(info.duration_seconds > 0) || !std::isfinite(info.duration_seconds)) {
    return fail(ErrorCode::kInvalidInput,
                "the input's duration is unknown or zero; it may be truncated or a raw stream without "
                "timing");
  }
  return info;
}

Result<void> check_limits(const MediaInfo& info, const ProbeLimits& limits) {
  const auto& v = info.video;
  if (info.duration_seconds > limits.max_duration_seconds) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("the input lasts {:.0f} s, more than the limit of {:.0f} s ({})", info.duration_seconds,
                            limits.max_duration_seconds, limits.duration_limit_by));
  }
  if (info.size_bytes > 0 && info.duration_seconds > 0) {
    const double bits_per_second = static_cast<double>(info.size_bytes) * 8 / info.duration_seconds;
    if (bits_per_second < limits.min_bits_per_second) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("the input declares {:.0f} s but holds only {} bytes ({:.0f} bit/s): its timestamps "
                              "jump or its duration is false",
                              info.duration_seconds, info.size_bytes, bits_per_second));
    }
  }
  if (v.width > limits.max_width || v.height > limits.max_height) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("the video is {}x{}, larger than the limit of {}x{} ({})", v.width, v.height,
                            limits.max_width, limits.max_height, limits.size_limit_by));
  }
  if (v.frame_rate.value() > limits.max_frame_rate) {
    return fail(ErrorCode::kLimitExceeded,
                fmt::format("the video runs at {:.2f} frames per second, more than the limit of {:.0f} ({})",
                            v.frame_rate.value(), limits.max_frame_rate, limits.frame_rate_limit_by));
  }
  return {};
}

std::vector<std::string> Prober::command_for(const fs::path& source) const {
  std::vector<std::string> argv{ffprobe_, "-hide_banner", "-v", "error"};
  for (auto& arg : safe_input_arguments(source)) argv.push_back(std::move(arg));
  for (const char* arg : {"-print_format", "json", "-show_format", "-show_streams"}) argv.emplace_back(arg);
  return argv;
}

Result<MediaInfo> Prober::probe(const fs::path& source, const std::stop_token& stop) const {
  std::error_code ec;
  const auto status = fs::status(source, ec);
  if (ec || !fs::exists(status)) {
    return fail(ErrorCode::kInvalidInput, fmt::format("{} does not exist", source.string()));
  }
  if (!fs::is_regular_file(status)) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("{} is not a regular file (directories, devices and FIFOs are refused)", source.string()));
  }
  const auto size = fs::file_size(source, ec);
  if (ec) return fail(ErrorCode::kIo, fmt::format("cannot read {}: {}", source.string(), ec.message()));
  if (size == 0) return fail(ErrorCode::kInvalidInput, fmt::format("{} is empty (0 bytes)", source.string()));
  if (std::ifstream probe_open(source, std::ios::binary); !probe_open) {
    return fail(ErrorCode::kInvalidInput, fmt::format("{} cannot be opened for reading", source.string()));
  }
  if (const auto kind = disguised_reference_file(source)) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("{} is {}, not a video file; inputs that refer to other files are refused", source.string(),
                            *kind));
  }

  ProcessSpec spec{.argv = command_for(source), .limits = {.wall_time = kProbeTimeLimit}};
  auto run = run_captured(spec, kMaxProbeOutputBytes, stop);
  if (!run) return tl::unexpected(run.error());
  if (run->result.cancelled) return fail(ErrorCode::kCancelled, "probe cancelled");
  if (!run->result.succeeded() || run->stdout_text.find("\"streams\"") == std::string::npos) {
    if (run->result.timed_out) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("{} could not be probed within {} s", source.string(), kProbeTimeLimit.count()));
    }
    return fail(ErrorCode::kInvalidInput,
                fmt::format("{} cannot be used: {}", source.string(), explain_probe_failure(run->result.stderr_tail)));
  }
  auto info = parse_ffprobe_json(run->stdout_text, size);
  if (!info) {
    info.error().message = fmt::format("{}: {}", source.string(), info.error().message);
    return info;
  }
  if (auto within = check_limits(*info, limits_); !within) return tl::unexpected(within.error());
  return info;
}

}  // namespace st
