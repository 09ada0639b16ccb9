// How ffmpeg and ffprobe are allowed to open a source.
//
// Demuxers such as hls, concat, dash or image2 open further files or URLs named
// inside the input, so a "video" that is really a playlist could make ffmpeg read
// anything the process can reach (see FACTS.md: plain ffprobe opened a FIFO named
// by a playlist). Every open of a source therefore names the input with the
// `file:` protocol, allows only that protocol, and allows only demuxers that read
// one self-contained file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace st {

// Demuxers accepted for sources. Each is matched against ffmpeg's demuxer name
// list ("mov,mp4,m4a,3gp,3g2,mj2" matches "mov").
inline constexpr std::string_view kAllowedDemuxers =
    "mov,matroska,webm,avi,mpegts,mpeg,flv,mxf,asf,ogg,dv,nut,yuv4mpegpipe";

// The arguments that open `source` (an input option list ending in `-i file:...`).
std::vector<std::string> safe_input_arguments(const std::filesystem::path& source);

}  // namespace st
