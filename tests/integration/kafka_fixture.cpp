#include "kafka_fixture.hpp"

#include <csignal>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "media_fixtures.hpp"
#include "util/utf8.hpp"

namespace st::testing {

using namespace std::chrono_literals;

KafkaBroker::KafkaBroker(const std::vector<std::string>& topics) {
  static int counter = 0;
  dir_ = fresh_dir(fmt::format("kafka-{}-{}", ::getpid(), ++counter));
  const auto bootstrap_file = dir_ / "bootstrap";
  std::vector<std::string> argv = {ST_MOCK_BROKER, "--bootstrap-file", bootstrap_file.string()};
  for (const auto& topic : topics) argv.insert(argv.end(), {"--topic", topic});
  auto process = Process::spawn({.argv = argv});
  if (!process) {
    ADD_FAILURE() << process.error().message;
    return;
  }
  pid_ = process->pid();
  process_ = std::make_unique<Process>(std::move(*process));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (bootstrap_.empty() && std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(bootstrap_file);
    std::getline(in, bootstrap_);
    if (bootstrap_.empty()) std::this_thread::sleep_for(20ms);
  }
  EXPECT_FALSE(bootstrap_.empty()) << "the mock broker did not start";
}

KafkaBroker::~KafkaBroker() {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
  // Process's destructor kills the group and reaps the child.
}

void KafkaBroker::down() const {
  ::kill(pid_, SIGUSR1);
}
void KafkaBroker::up() const {
  ::kill(pid_, SIGUSR2);
}

void KafkaBroker::produce(const std::string& topic, const std::vector<std::string>& values,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          const std::string& key) const {
  static int counter = 0;
  const auto file = dir_ / fmt::format("produce-{}.txt", ++counter);
  {
    std::ofstream out(file, std::ios::binary);
    for (const auto& value : values) out << value << '\n';
  }
  // Room for the 1 MB values of the attack tests (kcat's default limit is 1,000,000 bytes).
  std::vector<std::string> argv = {
      "kcat", "-P", "-b", bootstrap_, "-t", topic, "-X", "message.max.bytes=4000000", "-l", file.string()};
  if (!key.empty()) argv.insert(argv.end(), {"-k", key});
  for (const auto& [name, value] : headers) argv.insert(argv.end(), {"-H", name + "=" + value});
  auto run = run_captured({.argv = argv}, 1 << 20);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  ASSERT_EQ(run->result.exit_code, 0) << run->result.stderr_tail;
}

std::vector<KafkaMessage> KafkaBroker::read_all(const std::string& topic) const {
  // Through a file: a dead letter's line can be far longer than the line limit of run_captured.
  const auto file = dir_ / fmt::format("read-{}.jsonl", std::hash<std::thread::id>{}(std::this_thread::get_id()));
  auto run = run_captured({.argv = {"sh", "-c",
                                    fmt::format("kcat -C -b '{}' -t '{}' -o beginning -e -J -q -m 10 > '{}'",
                                                bootstrap_, topic, file.string())}},
                          1 << 20);
  std::vector<KafkaMessage> messages;
  if (!run) {
    ADD_FAILURE() << run.error().message;
    return messages;
  }
  std::ifstream lines(file, std::ios::binary);
  std::string line;
  while (std::getline(lines, line)) {
    // kcat writes payloads as they are, invalid UTF-8 included.
    const auto j = nlohmann::json::parse(to_valid_utf8(line), nullptr, false);
    if (!j.is_object() || !j.contains("payload")) continue;
    KafkaMessage m;
    m.value = j["payload"].is_string() ? j["payload"].get<std::string>() : "";
    m.key = j.contains("key") && j["key"].is_string() ? j["key"].get<std::string>() : "";
    m.partition = j.value("partition", 0);
    m.offset = j.value("offset", std::int64_t{0});
    if (j.contains("headers") && j["headers"].is_array()) {
      const auto& h = j["headers"];
      for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        m.headers[h[i].get<std::string>()] = h[i + 1].get<std::string>();
    }
    messages.push_back(std::move(m));
  }
  return messages;
}

}  // namespace st::testing
