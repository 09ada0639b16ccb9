// How the `transcode` command shows progress: a bar on a terminal, or one JSON
// object per line for machines (--json, or stdout not a terminal).
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "pipeline/pipeline.hpp"

namespace st {

class ProgressView : public PipelineObserver {
 public:
  // Called once at the end with the outcome.
  virtual void finished(const TranscodeReport& report, const std::string& output_dir) = 0;
  virtual void failed(const Error& error) = 0;
};

// Picks the view: JSON lines when asked or when stdout is not a terminal.
std::unique_ptr<ProgressView> make_progress_view(bool json, std::FILE* out = stdout);

// "1:02:03", "4:05" or "--:--" for a negative (unknown) value.
std::string format_clock(double seconds);

// A fixed-width bar: "[#####.....]".
std::string progress_bar(double percent, int width);

}  // namespace st
