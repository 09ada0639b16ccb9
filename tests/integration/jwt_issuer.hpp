// tests/player/jwt_issuer.mjs as a child process of a test: a JWKS on
// loopback and tokens minted by jose (npm), forged ones included.
#pragma once

#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "service_process.hpp"
#include "util/process.hpp"

namespace st::testing {

inline constexpr const char* kIssuer = "https://issuer.test";
inline constexpr const char* kAudience = "stream-transcoding";

class JwtIssuer {
 public:
  JwtIssuer() {
    auto process = Process::spawn({.argv = {"node", ST_JWT_ISSUER, kIssuer}, .inherit_environment = true});
    EXPECT_TRUE(process.has_value()) << process.error().message;
    if (!process) return;
    pid_ = process->pid();
    reader_ = std::jthread([this, p = std::make_shared<Process>(std::move(*process))] {
      p->wait([this](std::string_view line) {
        const auto doc = nlohmann::json::parse(line, nullptr, false);
        if (doc.is_object() && doc.contains("port")) port_ = doc["port"].get<int>();
      });
    });
    for (int i = 0; i < 200 && port_ == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_NE(port_.load(), 0) << "the JWT issuer did not start";
  }
  JwtIssuer(const JwtIssuer&) = delete;
  JwtIssuer& operator=(const JwtIssuer&) = delete;
  ~JwtIssuer() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }

  [[nodiscard]] std::string jwks_url() const { return fmt::format("http://127.0.0.1:{}/jwks", port_.load()); }

  // A token; `request` is the issuer's /mint body: alg, kid, claims, header.
  [[nodiscard]] std::string mint(const nlohmann::json& request) const {
    const auto body_file = fs::temp_directory_path() / fmt::format("st-mint-{}-{}", ::getpid(), counter_++);
    std::ofstream(body_file) << request.dump();
    auto run = run_captured({.argv = {"curl", "-s", "-m", "10", "-X", "POST", "--data-binary", "@" + body_file.string(),
                                      fmt::format("http://127.0.0.1:{}/mint", port_.load())}},
                            1 << 16);
    fs::remove(body_file);
    if (!run) return {};
    auto token = run->stdout_text;  // captured line by line: without the final newline
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    return token;
  }
  // The usual token of `tenant` with `roles`.
  [[nodiscard]] std::string token(const std::string& tenant, const std::vector<std::string>& roles,
                                  const std::string& subject = "user-1") const {
    return mint({{"claims", {{"tenant_id", tenant}, {"roles", roles}, {"sub", subject}}}});
  }
  [[nodiscard]] int jwks_fetches() const {
    auto run = run_captured(
        {.argv = {"curl", "-s", "-m", "10", fmt::format("http://127.0.0.1:{}/stats", port_.load())}}, 1 << 16);
    return run ? nlohmann::json::parse(run->stdout_text, nullptr, false).value("fetches", -1) : -1;
  }
  // Replaces the RSA key; returns the new key's kid.
  [[nodiscard]] std::string rotate() const {
    auto run = run_captured(
        {.argv = {"curl", "-s", "-m", "10", "-X", "POST", fmt::format("http://127.0.0.1:{}/rotate", port_.load())}},
        1 << 16);
    return run ? nlohmann::json::parse(run->stdout_text, nullptr, false).value("kid", "") : "";
  }

 private:
  pid_t pid_ = -1;
  std::atomic<int> port_{0};
  mutable std::atomic<int> counter_{0};
  std::jthread reader_;
};

inline std::string bearer(const std::string& token) {
  return "Authorization: Bearer " + token;
}

}  // namespace st::testing
