#include "pipeline/sidecar_subtitles.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "util/process.hpp"
#include "util/utf8.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kSniffBytes = 4096;
constexpr auto kTimeLimit = std::chrono::seconds(60);

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The text of the first bytes as ASCII: UTF-16 (with its byte order mark) is
// narrowed by dropping the high bytes, enough to recognise a signature.
std::string narrowed_head(std::string_view head) {
  if (head.size() >= 2 && (head.starts_with("\xFF\xFE") || head.starts_with("\xFE\xFF"))) {
    const std::size_t low = head[0] == '\xFF' ? 0 : 1;  // little endian: the low byte first
    std::string out;
    for (std::size_t i = 2 + low; i < head.size(); i += 2) out.push_back(head[i]);
    return out;
  }
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  return std::string(head);
}

std::string_view next_line(std::string_view& text) {
  const auto end = text.find('\n');
  auto line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "00:00:01,000 --> 00:00:02,500" (SubRip also allows '.' and one-digit hours).
bool is_subrip_timing(std::string_view line) {
  const auto arrow = line.find("-->");
  if (arrow == std::string_view::npos) return false;
  auto start = line.substr(0, arrow);
  while (!start.empty() && is_blank(start.back())) start.remove_suffix(1);
  const auto colon = start.find(':');
  return colon != std::string_view::npos && colon >= 1 && colon <= 2 && all_digits(start.substr(0, colon)) &&
         start.size() >= colon + 9;
}

Error invalid(std::string message) {
  return {ErrorCode::kInvalidInput, std::move(message)};
}

}  // namespace

std::string_view to_string(SidecarFormat format) {
  return format == SidecarFormat::kWebVtt ? "webvtt" : "subrip";
}

Result<SidecarFormat> sniff_sidecar_format(std::string_view head) {
  const auto text = narrowed_head(head.substr(0, kSniffBytes));
  std::string_view rest = text;
  while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
  if (rest.starts_with("WEBVTT") && (rest.size() == 6 || is_blank(rest[6]))) return SidecarFormat::kWebVtt;
  const auto first = next_line(rest);
  if (is_subrip_timing(first)) return SidecarFormat::kSubRip;
  if (all_digits(first) && is_subrip_timing(next_line(rest))) return SidecarFormat::kSubRip;
  return tl::unexpected(invalid("neither SubRip nor WebVTT (no cue timing at its start)"));
}

Result<SidecarCues> read_sidecar(const SidecarFile& file, const SidecarLimits& limits, const std::stop_token& stop,
                                 const std::string& ffmpeg) {
  std::error_code ec;
  const auto size = fs::file_size(file.path, ec);
  if (ec) return tl::unexpected(invalid(fmt::format("unreadable: {}", ec.message())));
  if (size > limits.max_bytes) {
    return tl::unexpected(
        invalid(fmt::format("{} bytes, more than the {} a subtitle file may have", size, limits.max_bytes)));
  }
  std::string text;
  {
    std::ifstream in(file.path, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto format = sniff_sidecar_format(text);
  if (!format) return tl::unexpected(format.error());
  const bool utf16 = text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF");

  SidecarCues out{.format = *format, .cues = {}, .command = {}};
  if (*format == SidecarFormat::kWebVtt) {
    // Our reader: ffmpeg 5.1's WebVTT demuxer loses every cue after a STYLE block.
    if (utf16) return tl::unexpected(invalid("WebVTT is UTF-8 by definition; this file is UTF-16"));
    auto cues = parse_webvtt(text, limits.webvtt);
    if (!cues) return tl::unexpected(invalid(cues.error().message));
    if (cues->empty()) return tl::unexpected(invalid("it holds no cue"));
    out.cues = std::move(*cues);
    return out;
  }
  out.command = {ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-protocol_whitelist", "file", "-f", "srt"};
  // ffmpeg converts UTF-16 (by its byte order mark) itself; other text that is
  // not UTF-8 is taken as Windows-1252, the encoding of most legacy SubRip
  // files, so accented letters survive instead of becoming U+FFFD.
  if (!utf16 && !is_valid_utf8(text)) out.command.insert(out.command.end(), {"-sub_charenc", "CP1252"});
  const auto absolute = fs::absolute(file.path).lexically_normal();
  out.command.insert(out.command.end(),
                     {"-i", "file:" + absolute.string(), "-map", "0:s:0", "-c:s", "webvtt", "-f", "webvtt", "pipe:1"});
  text.clear();
  text.shrink_to_fit();

  auto run = run_captured(ProcessSpec{.argv = out.command, .limits = {.wall_time = kTimeLimit}},
                          limits.webvtt.max_bytes, stop);
  if (!run) {
    // Larger than the WebVTT limit is the file's fault; anything else is ours.
    if (run.error().code == ErrorCode::kInvalidInput) return tl::unexpected(invalid(run.error().message));
    return tl::unexpected(run.error());
  }
  if (run->result.cancelled) return fail(ErrorCode::kCancelled, "stopped while reading a subtitle file");
  if (!run->result.succeeded()) {
    auto why = run->result.stderr_tail;
    while (!why.empty() && is_blank(why.back())) why.pop_back();
    // The reason goes into reports and events: the scratch path is ours, the name is theirs.
    const auto ours = absolute.string();
    for (auto at = why.find(ours); at != std::string::npos; at = why.find(ours, at + file.name.size())) {
      why.replace(at, ours.size(), file.name);
    }
    if (why.size() > 300) why = why.substr(why.size() - 300);
    return tl::unexpected(invalid(
        fmt::format("ffmpeg could not read it as SubRip: {} ({})", run->result.describe(), to_valid_utf8(why))));
  }
  auto cues = parse_webvtt(run->stdout_text, limits.webvtt);
  if (!cues) return tl::unexpected(invalid(cues.error().message));
  if (cues->empty()) return tl::unexpected(invalid("it holds no cue"));
  out.cues = std::move(*cues);
  return out;
}

SubtitleStreamInfo sidecar_stream(const SidecarFile& file, SidecarFormat format, int index) {
  return SubtitleStreamInfo{.index = -1,
                            .sidecar = index,
                            .codec = std::string(to_string(format)),
                            .language = file.language,
                            .is_default = false,
                            .forced = file.kind == SubtitleKind::kForced,
                            .hearing_impaired = file.kind == SubtitleKind::kCaption};
}

}  // namespace st
