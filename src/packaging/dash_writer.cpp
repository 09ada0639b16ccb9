#include "packaging/dash_writer.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "util/base64.hpp"
#include "util/xml.hpp"

namespace st {
namespace {

// SegmentTimeline with runs of equal durations folded into @r. Consecutive
// segments are contiguous, so only the first needs @t.
std::string segment_timeline(const Track& track, std::string_view indent) {
  std::string out = fmt::format("{}<SegmentTimeline>\n", indent);
  const auto& segments = track.segments;
  for (std::size_t i = 0; i < segments.size();) {
    std::size_t run = i;
    while (run + 1 < segments.size() && segments[run + 1].duration == segments[i].duration) ++run;
    out += fmt::format("{}  <S", indent);
    if (i == 0) out += fmt::format(" t=\"{}\"", segments[i].start);
    out += fmt::format(" d=\"{}\"", segments[i].duration);
    if (run > i) out += fmt::format(" r=\"{}\"", run - i);
    out += " />\n";
    i = run + 1;
  }
  out += fmt::format("{}</SegmentTimeline>\n", indent);
  return out;
}

std::string segment_template(const Track& track, std::string_view indent) {
  // Media files are named seg-00001.m4s, numbered from 1 (see docs/outputs.md).
  std::string out = fmt::format(
      "{}<SegmentTemplate timescale=\"{}\" initialization=\"{}/{}\" media=\"{}/seg-$Number%05d$.m4s\" "
      "startNumber=\"1\">\n",
      indent, track.timescale, xml_escape(track.folder), xml_escape(track.init_file), xml_escape(track.folder));
  out += segment_timeline(track, std::string(indent) + "  ");
  out += fmt::format("{}</SegmentTemplate>\n", indent);
  return out;
}

// urn:mpeg:dash:role:2011 (ISO/IEC 23009-1 5.8.5.5): the default track is
// "main", the other languages "alternate".
std::string_view dash_role(AudioRole role, bool is_default) {
  if (role != AudioRole::kMain) return to_string(role);  // "commentary", "description": the same words
  return is_default ? "main" : "alternate";
}

}  // namespace

std::string iso8601_duration(double seconds) {
  const auto millis = static_cast<std::int64_t>(std::llround(seconds * 1000));
  const auto hours = millis / 3'600'000;
  const auto minutes = (millis / 60'000) % 60;
  const auto rest = static_cast<double>(millis % 60'000) / 1000.0;
  std::string out = "PT";
  if (hours > 0) out += fmt::format("{}H", hours);
  if (minutes > 0) out += fmt::format("{}M", minutes);
  out += fmt::format("{:.3f}S", rest);
  return out;
}

// ContentProtection descriptors of an adaptation set (ISO/IEC 23009-1
// 5.8.4.1, ISO/IEC 23001-7 11, DASH-IF IOP 7.7): the scheme with the default
// KID, then one per DRM system with its PSSH (PlayReady's also as mspr:pro).
// FairPlay has no DASH signalling.
std::string content_protection(const TrackProtection& protection, const ProtectionSignalling& signalling,
                               std::string_view indent) {
  std::string out = fmt::format(
      "{}<ContentProtection schemeIdUri=\"urn:mpeg:dash:mp4protection:2011\" value=\"{}\" "
      "cenc:default_KID=\"{}\" />\n",
      indent, to_string(protection.scheme), protection.kid.uuid());
  for (const auto system : protection.systems) {
    const auto* header = protection.header_for(system);
    switch (system) {
      case DrmSystem::kFairPlay:
        continue;
      case DrmSystem::kWidevine:
        out += fmt::format("{}<ContentProtection schemeIdUri=\"urn:uuid:{}\" value=\"Widevine\">\n", indent,
                           system_id(system));
        break;
      case DrmSystem::kPlayReady:
        out += fmt::format("{}<ContentProtection schemeIdUri=\"urn:uuid:{}\" value=\"MSPR 2.0\">\n", indent,
                           system_id(system));
        if (header != nullptr) out += fmt::format("{}  <mspr:pro>{}</mspr:pro>\n", indent, base64_encode(header->data));
        break;
      case DrmSystem::kClearKey:
        // W3C Clear Key's own ID (its PSSH is the common system's).
        out += fmt::format(
            "{}<ContentProtection schemeIdUri=\"urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e\" "
            "value=\"ClearKey1.0\">\n",
            indent);
        if (!signalling.clearkey_license_url.empty()) {
          out += fmt::format("{}  <dashif:Laurl>{}</dashif:Laurl>\n", indent,
                             xml_escape(with_key_id(signalling.clearkey_license_url, protection.kid)));
        }
        break;
    }
    if (header != nullptr) out += fmt::format("{}  <cenc:pssh>{}</cenc:pssh>\n", indent, base64_encode(header->box));
    out += fmt::format("{}</ContentProtection>\n", indent);
  }
  return out;
}

bool same_key(const Track& a, const Track& b) {
  if (a.protection.has_value() != b.protection.has_value()) return false;
  return !a.protection || a.protection->kid == b.protection->kid;
}

std::string write_dash_mpd(const Presentation& p) {
  double max_segment = 0;
  for (const auto* tracks : {&p.video, &p.audio}) {
    for (const auto& t : *tracks) {
      for (const auto& s : t.segments) max_segment = std::max(max_segment, t.seconds(s.duration));
    }
  }

  const bool protected_tracks =
      std::any_of(p.video.begin(), p.video.end(), [](const Track& t) { return t.protection.has_value(); }) ||
      std::any_of(p.audio.begin(), p.audio.end(), [](const Track& t) { return t.protection.has_value(); });

  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
      "profiles=\"urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019\" type=\"static\" "
      "mediaPresentationDuration=\"{}\" maxSegmentDuration=\"{}\" minBufferTime=\"{}\"{}>\n",
      iso8601_duration(p.duration_seconds), iso8601_duration(max_segment), iso8601_duration(p.min_buffer_seconds()),
      protected_tracks ? " xmlns:cenc=\"urn:mpeg:cenc:2013\" xmlns:mspr=\"urn:microsoft:playready\" "
                         "xmlns:dashif=\"https://dashif.org/CPS\""
                       : "");
  out += "  <Period id=\"0\" start=\"PT0S\">\n";

  // The SDR ladder in one set, the HDR ladder (another codec, another range:
  // no seamless switch between them) in a second one. Renditions under
  // different keys take sets of their own (DASH-IF IOP 7.7.2: one default
  // KID per set), joined again by adaptation-set switching.
  std::vector<std::vector<const Track*>> video_sets;
  for (const bool hdr : {false, true}) {
    const auto first_set = video_sets.size();
    for (const auto& v : p.video) {
      if (v.is_hdr() != hdr) continue;
      auto set = std::find_if(video_sets.begin() + static_cast<std::ptrdiff_t>(first_set), video_sets.end(),
                              [&](const auto& tracks) { return same_key(*tracks.front(), v); });
      if (set == video_sets.end()) {
        video_sets.push_back({&v});
      } else {
        set->push_back(&v);
      }
    }
  }
  for (std::size_t set = 0; set < video_sets.size(); ++set) {
    const auto& tracks = video_sets[set];
    int max_width = 0;
    int max_height = 0;
    Rational max_rate = tracks.front()->frame_rate;
    for (const auto* v : tracks) {
      max_width = std::max(max_width, v->width);
      max_height = std::max(max_height, v->height);
      if (v->frame_rate.value() > max_rate.value()) max_rate = v->frame_rate;
    }
    out += fmt::format(
        "    <AdaptationSet id=\"{}\" contentType=\"video\" mimeType=\"video/mp4\" segmentAlignment=\"true\" "
        "startWithSAP=\"1\" maxWidth=\"{}\" maxHeight=\"{}\" maxFrameRate=\"{}\">\n",
        set, max_width, max_height, max_rate.to_string());
    std::string switchable;
    for (std::size_t other = 0; other < video_sets.size(); ++other) {
      if (other == set || video_sets[other].front()->is_hdr() != tracks.front()->is_hdr()) continue;
      switchable += fmt::format("{}{}", switchable.empty() ? "" : ",", other);
    }
    if (!switchable.empty()) {
      out += fmt::format(
          "      <SupplementalProperty schemeIdUri=\"urn:mpeg:dash:adaptation-set-switching:2016\" value=\"{}\" "
          "/>\n",
          switchable);
    }
    if (tracks.front()->protection) {
      out += content_protection(*tracks.front()->protection, p.signalling, "      ");
    }
    if (tracks.front()->is_hdr()) {
      // ISO/IEC 23001-8 code points (DASH-IF IOP 4.3 10.x): BT.2020 primaries
      // and matrix, PQ (16) or HLG (18) essential, so that a player that cannot
      // show HDR leaves the set alone.
      out += "      <SupplementalProperty schemeIdUri=\"urn:mpeg:mpegB:cicp:ColourPrimaries\" value=\"9\" />\n";
      out += fmt::format(
          "      <EssentialProperty schemeIdUri=\"urn:mpeg:mpegB:cicp:TransferCharacteristics\" value=\"{}\" />\n",
          tracks.front()->video_range == "PQ" ? 16 : 18);
      out += "      <SupplementalProperty schemeIdUri=\"urn:mpeg:mpegB:cicp:MatrixCoefficients\" value=\"9\" />\n";
    }
    for (const auto* track : tracks) {
      const auto& v = *track;
      out += fmt::format(
          "      <Representation id=\"{}\" bandwidth=\"{}\" codecs=\"{}\" width=\"{}\" height=\"{}\" "
          "frameRate=\"{}\" sar=\"1:1\">\n",
          xml_escape(v.id), v.bit_rates.dash_bandwidth_bps, xml_escape(v.codecs), v.width, v.height,
          v.frame_rate.to_string());
      out += segment_template(v, "        ");
      out += "      </Representation>\n";
    }
    out += "    </AdaptationSet>\n";
  }

  // One adaptation set per language, codec and role (ISO/IEC 23009-1 5.3.3.1:
  // a player switches seamlessly only within a set), stereo and 5.1 together.
  std::vector<std::vector<const Track*>> audio_sets;
  for (const auto& a : p.audio) {
    auto set = std::find_if(audio_sets.begin(), audio_sets.end(), [&](const auto& tracks) {
      const auto* first = tracks.front();
      return first->language == a.language && first->codecs == a.codecs && first->role == a.role && same_key(*first, a);
    });
    if (set == audio_sets.end()) {
      audio_sets.push_back({&a});
    } else {
      set->push_back(&a);
    }
  }
  for (std::size_t i = 0; i < audio_sets.size(); ++i) {
    const auto& tracks = audio_sets[i];
    const auto& first = *tracks.front();
    const bool is_default = std::any_of(tracks.begin(), tracks.end(), [](const Track* t) { return t->is_default; });
    out += fmt::format(
        "    <AdaptationSet id=\"{}\" contentType=\"audio\" mimeType=\"audio/mp4\" lang=\"{}\" "
        "segmentAlignment=\"true\" startWithSAP=\"1\">\n",
        i + video_sets.size(), xml_escape(first.language));
    out += fmt::format("      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"{}\" />\n",
                       dash_role(first.role, is_default));
    if (first.role == AudioRole::kDescription) {
      // DVB and DASH-IF signal audio description with TV-Anytime's AudioPurposeCS ("1": for the visually impaired).
      out += "      <Accessibility schemeIdUri=\"urn:tva:metadata:cs:AudioPurposeCS:2007\" value=\"1\" />\n";
    }
    if (!first.label.empty()) out += fmt::format("      <Label>{}</Label>\n", xml_escape(first.label));
    if (first.protection) out += content_protection(*first.protection, p.signalling, "      ");
    for (const auto* a : tracks) {
      out += fmt::format("      <Representation id=\"{}\" bandwidth=\"{}\" codecs=\"{}\" audioSamplingRate=\"{}\">\n",
                         xml_escape(a->id), a->bit_rates.dash_bandwidth_bps, xml_escape(a->codecs), a->sample_rate);
      out += fmt::format(
          "        <AudioChannelConfiguration "
          "schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"{}\" />\n",
          a->channels);
      out += segment_template(*a, "        ");
      out += "      </Representation>\n";
    }
    out += "    </AdaptationSet>\n";
  }
  // Subtitles: one WebVTT file per track (ISO/IEC 23009-1 5.3.1: a text
  // adaptation set whose representation is the whole file at its BaseURL).
  std::size_t next_id = audio_sets.size() + video_sets.size();
  for (const auto& t : p.subtitles) {
    const auto bandwidth =
        p.duration_seconds > 0
            ? static_cast<std::uint64_t>(std::ceil(static_cast<double>(t.bytes) * 8 / p.duration_seconds))
            : 0;
    out += fmt::format("    <AdaptationSet id=\"{}\" contentType=\"text\" mimeType=\"text/vtt\" lang=\"{}\">\n",
                       next_id++, xml_escape(t.language));
    out += fmt::format("      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"{}\" />\n",
                       t.forced    ? "forced-subtitle"
                       : t.caption ? "caption"
                                   : "subtitle");
    out += fmt::format("      <Label>{}</Label>\n", xml_escape(t.label));
    out += fmt::format("      <Representation id=\"subtitles-{}\" bandwidth=\"{}\">\n", xml_escape(t.id),
                       std::max<std::uint64_t>(bandwidth, 1));
    out += fmt::format("        <BaseURL>{}/{}</BaseURL>\n", xml_escape(t.folder), xml_escape(t.vtt_file));
    out += "      </Representation>\n";
    out += "    </AdaptationSet>\n";
  }
  if (p.sprites && !p.sprites->files.empty()) {
    // DASH-IF IOP 4.3 6.2.6: tiled thumbnails, one sheet per segment.
    const auto& s = *p.sprites;
    const auto sheet_millis = static_cast<std::uint64_t>(std::llround(s.sheet_seconds() * 1000));
    const auto bandwidth =
        p.duration_seconds > 0
            ? static_cast<std::uint64_t>(std::ceil(static_cast<double>(s.bytes) * 8 / p.duration_seconds))
            : 0;
    out += fmt::format("    <AdaptationSet id=\"{}\" contentType=\"image\" mimeType=\"image/jpeg\">\n", next_id++);
    out += fmt::format(
        "      <SegmentTemplate timescale=\"1000\" duration=\"{}\" media=\"{}/{}$Number%05d$.jpg\" "
        "startNumber=\"1\" />\n",
        sheet_millis, kThumbnailsFolder, kSpriteFilePrefix);
    out += fmt::format("      <Representation id=\"thumbnails\" bandwidth=\"{}\" width=\"{}\" height=\"{}\">\n",
                       bandwidth, s.tile_width * s.columns, s.tile_height * s.rows);
    out +=
        fmt::format("        <EssentialProperty schemeIdUri=\"http://dashif.org/thumbnail_tile\" value=\"{}x{}\" />\n",
                    s.columns, s.rows);
    out += "      </Representation>\n";
    out += "    </AdaptationSet>\n";
  }
  out += "  </Period>\n";
  out += "</MPD>\n";
  return out;
}

}  // namespace st
