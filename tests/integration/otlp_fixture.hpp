// tests/fakes/otlp_receiver.mjs as a child process of a test: an OTLP/HTTP
// trace receiver on loopback that decodes with the OpenTelemetry project's
// generated protobuf code and writes each span as a JSON line.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "listening_child.hpp"
#include "media_fixtures.hpp"

namespace st::testing {

class OtlpReceiver {
 public:
  // `mode`: ok, slow (answers after `delay_ms`) or error (503).
  explicit OtlpReceiver(const std::string& mode = "ok", int delay_ms = 10000)
      : dir_(fresh_dir("otlp-" + mode)),
        child_({"node", ST_OTLP_RECEIVER, "--out", (dir_ / "spans.jsonl").string(), "--mode", mode, "--delay-ms",
                std::to_string(delay_ms)},
               "the OTLP receiver") {}

  [[nodiscard]] std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", child_.port()); }

  // Every span received so far, and every request that did not decode ({"invalid": why}).
  [[nodiscard]] std::vector<nlohmann::json> received() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(dir_ / "spans.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto parsed = nlohmann::json::parse(line, nullptr, false);
      if (!parsed.is_discarded()) out.push_back(std::move(parsed));
    }
    return out;
  }

 private:
  fs::path dir_;
  ListeningChild child_;
};

}  // namespace st::testing
