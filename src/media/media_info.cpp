#include "media/media_info.hpp"

#include <cmath>

namespace st {
namespace {

// Anamorphic sources store fewer columns than they show: widen by the sample aspect.
int shown_width(const VideoStreamInfo& v) {
  if (!v.sample_aspect.valid() || v.sample_aspect.num == v.sample_aspect.den) return v.width;
  return static_cast<int>(std::lround(v.width * v.sample_aspect.value()));
}

bool quarter_turn(int rotation) {
  return rotation == 90 || rotation == 270;
}

}  // namespace

std::string_view to_string(AudioRole role) {
  switch (role) {
    case AudioRole::kCommentary:
      return "commentary";
    case AudioRole::kDescription:
      return "description";
    case AudioRole::kMain:
      break;
  }
  return "main";
}

bool VideoStreamInfo::is_bt601() const {
  if (color_matrix == "smpte170m" || color_matrix == "bt470bg") return true;
  return color_matrix.empty() && height > 0 && height < 720;
}

std::string_view to_string(SubtitleKind kind) {
  switch (kind) {
    case SubtitleKind::kCaption:
      return "caption";
    case SubtitleKind::kForced:
      return "forced";
    case SubtitleKind::kSubtitle:
      break;
  }
  return "subtitle";
}

std::optional<SubtitleKind> parse_subtitle_kind(std::string_view text) {
  for (const auto kind : {SubtitleKind::kSubtitle, SubtitleKind::kCaption, SubtitleKind::kForced}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

bool SubtitleStreamInfo::is_text() const {
  return codec == "mov_text" || codec == "subrip" || codec == "srt" || codec == "ass" || codec == "ssa" ||
         codec == "webvtt" || codec == "text";
}

int VideoStreamInfo::display_width() const {
  return quarter_turn(rotation) ? height : shown_width(*this);
}

int VideoStreamInfo::display_height() const {
  return quarter_turn(rotation) ? shown_width(*this) : height;
}

}  // namespace st
