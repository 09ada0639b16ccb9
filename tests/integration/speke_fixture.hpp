// tests/fakes/speke_server.py as a child process of a test: a SPEKE v2.0 key
// server on loopback that records the keys it issues (its ledger) and the
// requests it received.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "listening_child.hpp"
#include "media_fixtures.hpp"

namespace st::testing {

struct IssuedKey {
  std::string content_id;
  std::string kid;  // hex
  std::string key;  // hex
  std::string type;
};

class SpekeServer {
 public:
  // `mode`: ok, status-500, status-403, garbage, other-content, missing-key (see the script).
  // `sigv4`: "ACCESS_KEY:SECRET" that every request must be signed with.
  explicit SpekeServer(const std::string& mode = "ok", const std::string& sigv4 = "")
      : dir_(fresh_dir("speke-" + mode)), child_(argv(dir_, mode, sigv4), "the SPEKE key server") {}

  [[nodiscard]] std::string url() const {
    return fmt::format("http://127.0.0.1:{}/speke/v2.0/copyProtection", child_.port());
  }

  [[nodiscard]] std::vector<IssuedKey> issued() const {
    std::vector<IssuedKey> keys;
    std::ifstream in(dir_ / "ledger.jsonl");
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      keys.push_back({j["contentId"], j["kid"], j["key"], j["type"].is_string() ? j["type"].get<std::string>() : ""});
    }
    return keys;
  }

  [[nodiscard]] std::vector<nlohmann::json> requests() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(dir_ / "requests.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

 private:
  static std::vector<std::string> argv(const fs::path& dir, const std::string& mode, const std::string& sigv4) {
    std::vector<std::string> out = {"python3",    ST_SPEKE_SERVER,
                                    "--ledger",   (dir / "ledger.jsonl").string(),
                                    "--requests", (dir / "requests.jsonl").string(),
                                    "--mode",     mode};
    if (!sigv4.empty()) out.insert(out.end(), {"--sigv4", sigv4});
    return out;
  }

  fs::path dir_;
  ListeningChild child_;
};

}  // namespace st::testing
