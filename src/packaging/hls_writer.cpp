#include "packaging/hls_writer.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "util/base64.hpp"

namespace st {
namespace {

constexpr std::string_view kSubtitleGroup = "subtitles";

// Apple's media characteristics (AVMediaCharacteristic): described video,
// and auxiliary content for a commentary (RFC 8216 has none of its own).
std::string_view hls_characteristics(AudioRole role) {
  switch (role) {
    case AudioRole::kDescription:
      return "public.accessibility.describes-video";
    case AudioRole::kCommentary:
      return "public.auxiliary-content";
    case AudioRole::kMain:
      break;
  }
  return {};
}

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

namespace {

// The opening of every VOD media playlist we write.
std::string vod_playlist_header(long target_duration) {
  return fmt::format(
      "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-PLAYLIST-TYPE:VOD\n",
      target_duration);
}

}  // namespace

std::string hls_key_tags(const TrackProtection& protection, const ProtectionSignalling& signalling,
                         std::string_view tag) {
  if (protection.scheme == ProtectionScheme::kAes128) {
    // RFC 8216 5.2: without an IV attribute, each segment's IV is its media sequence number.
    return fmt::format("#{}:METHOD=AES-128,URI=\"{}\"\n", tag,
                       quoted_attribute(with_key_id(signalling.aes128_key_uri, protection.kid)));
  }
  // RFC 8216bis 4.4.4.4: SAMPLE-AES is cbcs; SAMPLE-AES-CTR (CENC) is not in
  // the RFC but is what Widevine and PlayReady players read.
  const std::string_view method = protection.scheme == ProtectionScheme::kCbcs ? "SAMPLE-AES" : "SAMPLE-AES-CTR";
  std::string out;
  for (const auto system : protection.systems) {
    const auto* header = protection.header_for(system);
    std::string uri;
    std::string_view format;
    bool key_id = false;
    switch (system) {
      case DrmSystem::kWidevine:
        if (header == nullptr) continue;
        uri = "data:text/plain;base64," + base64_encode(header->box);
        format = "urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed";
        key_id = true;
        break;
      case DrmSystem::kPlayReady:
        if (header == nullptr) continue;
        uri = "data:text/plain;charset=UTF-16;base64," + base64_encode(header->data);
        format = "com.microsoft.playready";
        break;
      case DrmSystem::kFairPlay:
        uri = with_key_id(signalling.fairplay_key_uri, protection.kid);
        format = "com.apple.streamingkeydelivery";
        break;
      case DrmSystem::kClearKey:
        if (signalling.clearkey_license_url.empty()) continue;
        // One URI per key: hls.js opens one licence session per distinct URI.
        uri = with_key_id(signalling.clearkey_license_url, protection.kid);
        format = "org.w3.clearkey";
        key_id = true;
        break;
    }
    out += fmt::format("#{}:METHOD={},URI=\"{}\"", tag, method, quoted_attribute(uri));
    if (key_id) out += fmt::format(",KEYID=0x{}", protection.kid.hex());
    out += fmt::format(",KEYFORMAT=\"{}\",KEYFORMATVERSIONS=\"1\"\n", format);
  }
  return out;
}

std::string write_hls_media_playlist(const Track& track, const ProtectionSignalling& signalling) {
  std::string out = vod_playlist_header(hls_target_duration(track));
  out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  // The map before the keys: the init segment is never encrypted as a whole.
  out += fmt::format("#EXT-X-MAP:URI=\"{}\"\n", quoted_attribute(track.init_file));
  if (track.protection) out += hls_key_tags(*track.protection, signalling, "EXT-X-KEY");
  for (const auto& segment : track.segments) {
    out += fmt::format("#EXTINF:{:.3f},\n{}\n", track.seconds(segment.duration), segment.file);
  }
  out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string write_hls_text_playlist(const TextTrack& track) {
  long target = 1;
  for (const auto& segment : track.segments) target = std::max(target, std::lround(segment.duration));
  std::string out = vod_playlist_header(target);
  for (const auto& segment : track.segments)
    out += fmt::format("#EXTINF:{:.3f},\n{}\n", segment.duration, segment.file);
  out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string write_hls_iframe_playlist(const Track& track, const ProtectionSignalling& signalling) {
  std::string out = vod_playlist_header(hls_target_duration(track));
  out += "#EXT-X-I-FRAMES-ONLY\n";
  out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  out += fmt::format("#EXT-X-MAP:URI=\"{}\"\n", quoted_attribute(track.init_file));
  if (track.protection) out += hls_key_tags(*track.protection, signalling, "EXT-X-KEY");
  // One keyframe per segment (the encoder places them on the segment grid):
  // each is shown until the next, for its segment's duration.
  for (const auto& segment : track.segments) {
    out += fmt::format("#EXTINF:{:.3f},\n#EXT-X-BYTERANGE:{}@{}\n{}\n", track.seconds(segment.duration),
                       segment.keyframe_bytes, segment.keyframe_offset, segment.file);
  }
  out += "#EXT-X-ENDLIST\n";
  return out;
}

BitRates iframe_bit_rates(const Track& track) {
  BitRates rates;
  std::uint64_t bytes = 0;
  for (const auto& segment : track.segments) {
    bytes += segment.keyframe_bytes;
    const double seconds = track.seconds(segment.duration);
    if (seconds > 0) {
      rates.peak_bps =
          std::max(rates.peak_bps,
                   static_cast<std::uint64_t>(std::ceil(static_cast<double>(segment.keyframe_bytes) * 8 / seconds)));
    }
  }
  const double duration = track.duration_seconds();
  rates.average_bps =
      duration > 0 ? static_cast<std::uint64_t>(std::ceil(static_cast<double>(bytes) * 8 / duration)) : 0;
  rates.dash_bandwidth_bps = rates.peak_bps;
  return rates;
}

std::vector<HlsAudioGroup> hls_audio_groups(const Presentation& p) {
  std::vector<HlsAudioGroup> groups;
  for (const auto& track : p.audio) {
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.codecs == track.codecs; });
    if (group == groups.end()) {
      std::string id = "audio-";
      for (const char c : track.codecs) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-') id.push_back(c);
      }
      groups.push_back({.id = std::move(id), .codecs = track.codecs, .tracks = {}});
      group = std::prev(groups.end());
    }
    group->tracks.push_back(&track);
    group->peak_bps = std::max(group->peak_bps, track.bit_rates.peak_bps);
    group->average_bps = std::max(group->average_bps, track.bit_rates.average_bps);
  }
  return groups;
}

std::string write_hls_multivariant_playlist(const Presentation& p) {
  std::string out;
  out += "#EXTM3U\n";
  out += "#EXT-X-VERSION:7\n";
  out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  // Every DRM key once, so that a player can ask for licences before it
  // opens a media playlist (RFC 8216bis 4.4.6.5; not for AES-128).
  std::vector<KeyId> announced;
  for (const auto* tracks : {&p.video, &p.audio}) {
    for (const auto& t : *tracks) {
      if (!t.protection || t.protection->scheme == ProtectionScheme::kAes128) continue;
      if (std::find(announced.begin(), announced.end(), t.protection->kid) != announced.end()) continue;
      announced.push_back(t.protection->kid);
      out += hls_key_tags(*t.protection, p.signalling, "EXT-X-SESSION-KEY");
    }
  }

  const auto groups = hls_audio_groups(p);
  for (const auto& group : groups) {
    // RFC 8216 4.3.4.1.1: at most one DEFAULT=YES per group. The source's
    // default track, or else the group's first main track.
    const Track* default_track = nullptr;
    for (const auto* track : group.tracks) {
      if (track->is_default && default_track == nullptr) default_track = track;
    }
    for (const auto* track : group.tracks) {
      if (default_track == nullptr && track->role == AudioRole::kMain) default_track = track;
    }
    for (const auto* a : group.tracks) {
      out += fmt::format(R"(#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{}",NAME="{}",LANGUAGE="{}")", group.id,
                         quoted_attribute(a->label), quoted_attribute(a->language));
      // A commentary is only ever chosen by the viewer.
      out += fmt::format(",DEFAULT={},AUTOSELECT={}", a == default_track ? "YES" : "NO",
                         a->role == AudioRole::kCommentary ? "NO" : "YES");
      if (const auto characteristics = hls_characteristics(a->role); !characteristics.empty()) {
        out += fmt::format(",CHARACTERISTICS=\"{}\"", characteristics);
      }
      out += fmt::format(",CHANNELS=\"{}\",URI=\"{}/{}\"\n", a->channels, a->folder, a->playlist_file);
    }
  }

  for (const auto& t : p.subtitles) {
    // Subtitles are off until chosen; forced ones (AUTOSELECT=YES, as RFC 8216
    // requires) are shown by players when no other subtitles are.
    out += fmt::format(R"(#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{}",NAME="{}",LANGUAGE="{}",DEFAULT=NO,AUTOSELECT=YES)",
                       kSubtitleGroup, quoted_attribute(t.label), quoted_attribute(t.language));
    out += fmt::format(",FORCED={}", t.forced ? "YES" : "NO");
    if (t.caption) {
      out +=
          ",CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog,"
          "public.accessibility.describes-music-and-sound\"";
    }
    out += fmt::format(",URI=\"{}/{}\"\n", t.folder, t.playlist_file);
  }

  // RFC 8216 4.3.4.2: BANDWIDTH is the largest sum over the renditions a
  // variant can play, so each variant counts the largest audio of its group; a
  // variant per group when there are several codecs.
  const bool has_hdr = std::any_of(p.video.begin(), p.video.end(), [](const Track& v) { return v.is_hdr(); });
  const auto variant = [&](const Track& v, const HlsAudioGroup* group) {
    const auto audio_peak = group != nullptr ? group->peak_bps : 0;
    const auto audio_average = group != nullptr ? group->average_bps : 0;
    const std::string codecs = group != nullptr ? fmt::format("{},{}", v.codecs, group->codecs) : v.codecs;
    out += fmt::format(
        "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\",RESOLUTION={}x{},FRAME-RATE={:.3f}",
        v.bit_rates.peak_bps + audio_peak, v.bit_rates.average_bps + audio_average, codecs, v.width, v.height,
        v.frame_rate.value());
    // RFC 8216bis 4.4.6.2: a variant with PQ or HLG content must say so; SDR
    // is stated too once the presentation has both.
    if (has_hdr) out += fmt::format(",VIDEO-RANGE={}", v.video_range);
    if (group != nullptr) out += fmt::format(",AUDIO=\"{}\"", group->id);
    if (!p.subtitles.empty()) out += fmt::format(",SUBTITLES=\"{}\"", kSubtitleGroup);
    out += fmt::format("\n{}/{}\n", v.folder, v.playlist_file);
  };
  if (groups.empty()) {
    for (const auto& v : p.video) variant(v, nullptr);
  }
  for (const auto& group : groups) {
    for (const auto& v : p.video) variant(v, &group);
  }
  // Trick play: fast-forward and scrubbing show keyframes only.
  for (const auto& v : p.video) {
    if (v.iframe_playlist_file.empty()) continue;
    const auto rates = iframe_bit_rates(v);
    out += fmt::format(
        "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\",RESOLUTION={}x{}{},URI=\"{}/{}\"\n",
        rates.peak_bps, rates.average_bps, v.codecs, v.width, v.height,
        has_hdr ? fmt::format(",VIDEO-RANGE={}", v.video_range) : "", v.folder, v.iframe_playlist_file);
  }
  return out;
}

}  // namespace st
