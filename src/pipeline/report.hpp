// report.json: everything a person or a later service needs to know about one run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media/media_info.hpp"
#include "packaging/presentation.hpp"
#include "pipeline/ladder.hpp"
#include "pipeline/quality.hpp"
#include "pipeline/thumbnails.hpp"
#include "pipeline/title_analysis.hpp"

namespace st {

struct StepTiming {
  std::string name;  // probe, plan, encode, package, thumbnails
  double wall_seconds = 0;
  double cpu_seconds = 0;  // the step's thread plus the children it ran (helpers' included)
};

struct CommandRecord {
  std::string step;
  std::vector<std::string> argv;
};

struct TranscodeReport {
  std::string source_path;
  MediaInfo source;
  Ladder ladder;
  Presentation presentation;
  Poster poster;
  std::string poster_file;  // relative to the output root
  std::vector<StepTiming> steps;
  std::vector<CommandRecord> commands;
  std::int64_t ffmpeg_peak_rss_bytes = 0;
  std::int64_t self_peak_rss_bytes = 0;
  // The run's child processes (ffprobe, ffmpeg, the packager) alone, from wait4.
  double children_cpu_seconds = 0;
  // PSNR and SSIM of each SDR rendition; none when switched off or not measurable (see quality_note).
  std::optional<QualityReport> quality;
  std::string quality_note;
  LadderMode ladder_mode = LadderMode::kFixed;
  // The per-title ladder's analysis and choices; none for the fixed ladder, or
  // when the analysis failed and the fixed ladder was kept (see per_title_note).
  std::optional<TitleFit> per_title;
  std::string per_title_note;
};

nlohmann::json to_json(const TranscodeReport& report);

// The report as published beside the outputs: to_json() without what is only
// ours to know (the local path of the source, the command lines run).
nlohmann::json to_public_json(const TranscodeReport& report);

}  // namespace st
