#include "cli/progress_view.hpp"

#include <unistd.h>

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace st {
namespace {

using nlohmann::json;

class JsonLinesView final : public ProgressView {
 public:
  explicit JsonLinesView(std::FILE* out) : out_(out) {}

  void step_started(std::string_view step) override { emit({{"event", "step"}, {"step", step}}); }

  void encode_progress(const EncodeProgress& p, const ProgressEstimate& e) override {
    json line = {{"event", "progress"},
                 {"step", "encode"},
                 {"percent", std::round(e.percent * 10) / 10},
                 {"encoded_seconds", p.encoded_seconds},
                 {"speed", p.speed},
                 {"frame", p.frame}};
    line["eta_seconds"] = e.eta_seconds >= 0 ? json(std::round(e.eta_seconds * 10) / 10) : json(nullptr);
    emit(line);
  }

  void finished(const TranscodeReport& report, const std::string& output_dir) override {
    json renditions = json::array();
    for (const auto& v : report.presentation.video) renditions.push_back(v.id);
    emit({{"event", "done"},
          {"output", output_dir},
          {"master_playlist", output_dir + "/master.m3u8"},
          {"dash_manifest", report.presentation.aes128 ? json(nullptr) : json(output_dir + "/manifest.mpd")},
          {"report", output_dir + "/report.json"},
          {"renditions", renditions}});
  }

  void failed(const Error& error) override {
    emit({{"event", "error"}, {"code", to_string(error.code)}, {"message", error.message}});
  }

 private:
  void emit(const json& line) {
    const auto text = line.dump() + "\n";
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
  }
  std::FILE* out_;
};

class TerminalView final : public ProgressView {
 public:
  explicit TerminalView(std::FILE* out) : out_(out) {}

  void step_started(std::string_view step) override {
    end_bar();
    fmt::print(out_, "{}...\n", step);
    std::fflush(out_);
  }

  void encode_progress(const EncodeProgress& p, const ProgressEstimate& e) override {
    // Redrawing more than a few times a second only costs terminal bandwidth.
    const auto now = std::chrono::steady_clock::now();
    if (!p.finished && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    fmt::print(out_, "\r  {} {:5.1f}%  speed {:4.2f}x  ETA {}   ", progress_bar(e.percent, 30), e.percent, p.speed,
               format_clock(e.eta_seconds));
    std::fflush(out_);
    bar_open_ = true;
  }

  void finished(const TranscodeReport& report, const std::string& output_dir) override {
    end_bar();
    fmt::print(out_, "\nDone in {:.1f} s. Renditions:\n", wall_seconds(report));
    for (const auto& v : report.presentation.video) {
      fmt::print(out_, "  {:>6}  {:>4}x{:<4}  {:>6.2f} fps  {:>6} kb/s avg  {:>6} kb/s peak  {}\n", v.id, v.width,
                 v.height, v.frame_rate.value(), v.bit_rates.average_bps / 1000, v.bit_rates.peak_bps / 1000, v.codecs);
    }
    for (const auto& a : report.presentation.audio) {
      fmt::print(out_, "  {:>6}  {} ch {} Hz  {:>6} kb/s avg  {}  {} [{}]\n", "audio", a.channels, a.sample_rate,
                 a.bit_rates.average_bps / 1000, a.codecs, a.label, a.language);
    }
    fmt::print(
        out_,
        "\nOutputs in {}:\n  HLS   {}/master.m3u8\n  DASH  {}/manifest.mpd\n  poster {}\n  report {}/report.json\n",
        output_dir, output_dir, output_dir,
        report.poster_file.empty() ? report.poster.note : fmt::format("{}/{}", output_dir, report.poster_file),
        output_dir);
    std::fflush(out_);
  }

  void failed(const Error& error) override {
    end_bar();
    (void)error;  // printed by the command, on stderr
  }

 private:
  static double wall_seconds(const TranscodeReport& report) {
    double total = 0;
    for (const auto& s : report.steps) total += s.wall_seconds;
    return total;
  }
  void end_bar() {
    if (bar_open_) fmt::print(out_, "\n");
    bar_open_ = false;
  }

  std::FILE* out_;
  bool bar_open_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace

std::string format_clock(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "--:--";
  const auto total = static_cast<long>(std::lround(seconds));
  const long h = total / 3600;
  const long m = (total / 60) % 60;
  const long s = total % 60;
  return h > 0 ? fmt::format("{}:{:02d}:{:02d}", h, m, s) : fmt::format("{}:{:02d}", m, s);
}

std::string progress_bar(double percent, int width) {
  const int filled = std::clamp(static_cast<int>(percent / 100.0 * width), 0, width);
  std::string bar;
  bar.reserve(static_cast<std::size_t>(width) + 2);
  bar += '[';
  bar.append(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  bar += ']';
  return bar;
}

std::unique_ptr<ProgressView> make_progress_view(bool json, std::FILE* out) {
  if (json || ::isatty(::fileno(out)) == 0) return std::make_unique<JsonLinesView>(out);
  return std::make_unique<TerminalView>(out);
}

}  // namespace st
