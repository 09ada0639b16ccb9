#include "util/files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

namespace st {
namespace {

namespace fs = std::filesystem;

class OpenBeneath : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("st-beneath-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "root" / "sub");
    fs::create_directories(base_ / "outside");
    std::ofstream(base_ / "root" / "sub" / "inside.mp4") << "inside";
    std::ofstream(base_ / "outside" / "secret.mp4") << "secret";
    fs::create_symlink(base_ / "outside" / "secret.mp4", base_ / "root" / "link.mp4");
    fs::create_symlink("sub/inside.mp4", base_ / "root" / "relative-link.mp4");
    fs::create_symlink(base_ / "outside", base_ / "root" / "up");
    ::mkfifo((base_ / "root" / "fifo.mp4").c_str(), 0600);
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_;
};

TEST_F(OpenBeneath, OpensARegularFileBelowTheRoot) {
  auto file = open_beneath(base_ / "root", "sub/inside.mp4");
  ASSERT_TRUE(file.has_value()) << file.error().message;
  char buffer[16] = {};
  EXPECT_EQ(::read(file->get(), buffer, sizeof buffer), 6);
}

TEST_F(OpenBeneath, RefusesEveryWayOutWithTheSameMessage) {
  std::string first;
  for (const auto* path : {"../outside/secret.mp4", "link.mp4", "relative-link.mp4", "up/secret.mp4",
                           "sub/../../outside/secret.mp4", "missing.mp4", "sub", "fifo.mp4", "/etc/passwd"}) {
    auto file = open_beneath(base_ / "root", path);
    ASSERT_FALSE(file.has_value()) << path;
    EXPECT_EQ(file.error().code, ErrorCode::kNotFound) << path;
    auto message = file.error().message;
    message.replace(message.find(path), std::string(path).size(), "PATH");
    if (first.empty()) first = message;
    EXPECT_EQ(message, first) << path;
  }
}

TEST_F(OpenBeneath, CopiesThroughTheKernel) {
  auto file = open_beneath(base_ / "root", "sub/inside.mp4");
  ASSERT_TRUE(file.has_value());
  const auto copied = copy_to_file(file->get(), base_ / "copy.mp4");
  ASSERT_TRUE(copied.has_value()) << copied.error().message;
  EXPECT_EQ(*copied, 6U);
  EXPECT_EQ(fs::file_size(base_ / "copy.mp4"), 6U);
}

}  // namespace
}  // namespace st
