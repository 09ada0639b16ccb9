#include "packaging/hls_writer.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace st {
namespace {

constexpr std::string_view kAudioGroup = "audio";

std::string quoted_attribute(std::string_view value) {
  // RFC 8216 4.2: quoted strings cannot contain '"', CR or LF.
  std::string out;
  for (const char c : value) {
    if (c != '"' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

int hls_target_duration(const Track& track) {
  long target = 1;
  for (const auto& segment : track.segments) target = std::max(target, std::lround(track.seconds(segment.duration)));
  return static_cast<int>(target);
}

std::string write_hls_media_playlist(const Track& track) {
  std::string out;
  out += "#EXTM3U\n";
  out += "#EXT-X-VERSION:7\n";
  out += fmt::format("#EXT-X-TARGETDURATION:{}\n", hls_target_duration(track));
  out += "#EXT-X-MEDIA-SEQUENCE:1\n";
  out += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  out += fmt::format("#EXT-X-MAP:URI=\"{}\"\n", quoted_attribute(track.init_file));
  for (const auto& segment : track.segments) {
    out += fmt::format("#EXTINF:{:.3f},\n{}\n", track.seconds(segment.duration), segment.file);
  }
  out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string write_hls_multivariant_playlist(const Presentation& p) {
  std::string out;
  out += "#EXTM3U\n";
  out += "#EXT-X-VERSION:7\n";
  out += "#EXT-X-INDEPENDENT-SEGMENTS\n";

  // With several audio tracks, the heaviest decides BANDWIDTH (RFC 8216 4.3.4.2:
  // the largest sum over playable combinations).
  std::uint64_t audio_peak = 0;
  std::uint64_t audio_average = 0;
  std::string audio_codecs;
  for (std::size_t i = 0; i < p.audio.size(); ++i) {
    const auto& a = p.audio[i];
    out += fmt::format(R"(#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{}",NAME="{}")", kAudioGroup, quoted_attribute(a.label));
    if (!a.language.empty()) out += fmt::format(",LANGUAGE=\"{}\"", quoted_attribute(a.language));
    out += fmt::format(",DEFAULT={},AUTOSELECT=YES,CHANNELS=\"{}\",URI=\"{}/{}\"\n", i == 0 ? "YES" : "NO", a.channels,
                       a.folder, a.playlist_file);
    audio_peak = std::max(audio_peak, a.bit_rates.peak_bps);
    audio_average = std::max(audio_average, a.bit_rates.average_bps);
    if (audio_codecs.empty()) audio_codecs = a.codecs;
  }

  for (const auto& v : p.video) {
    const std::string codecs = audio_codecs.empty() ? v.codecs : fmt::format("{},{}", v.codecs, audio_codecs);
    out += fmt::format(
        "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\",RESOLUTION={}x{},FRAME-RATE={:.3f}",
        v.bit_rates.peak_bps + audio_peak, v.bit_rates.average_bps + audio_average, codecs, v.width, v.height,
        v.frame_rate.value());
    if (!p.audio.empty()) out += fmt::format(",AUDIO=\"{}\"", kAudioGroup);
    out += fmt::format("\n{}/{}\n", v.folder, v.playlist_file);
  }
  return out;
}

}  // namespace st
