#include "storage/staged_directory.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

namespace st {
namespace {

namespace fs = std::filesystem;

class StagedDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("staged-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  static void touch(const fs::path& path) { std::ofstream(path) << "x"; }
  [[nodiscard]] std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(root_), fs::directory_iterator()));
  }
  fs::path root_;
};

TEST_F(StagedDirectoryTest, AppearsOnlyOnCommit) {
  auto staged = StagedDirectory::prepare(root_ / "out", false);
  ASSERT_TRUE(staged.has_value());
  touch(staged->path() / "master.m3u8");
  EXPECT_FALSE(fs::exists(root_ / "out"));
  ASSERT_TRUE(staged->commit().has_value());
  EXPECT_TRUE(fs::exists(root_ / "out" / "master.m3u8"));
  EXPECT_EQ(entries(), 1U);  // no staging directory left behind
}

// The output is an ordinary directory under the process's umask (027 here),
// not mkdtemp's 0700, and reading the umask leaves it as it was.
TEST_F(StagedDirectoryTest, TheOutputHasTheUmasksModeNotThePrivateStagingMode) {
  const mode_t before = ::umask(027);
  auto staged = StagedDirectory::prepare(root_ / "out", false);
  ASSERT_TRUE(staged.has_value());
  ASSERT_TRUE(staged->commit().has_value());
  EXPECT_EQ(fs::status(root_ / "out").permissions(), static_cast<fs::perms>(0750));
  EXPECT_EQ(::umask(before), 027U);
}

TEST_F(StagedDirectoryTest, LeavesNothingWhenAbandoned) {
  {
    auto staged = StagedDirectory::prepare(root_ / "out", false);
    ASSERT_TRUE(staged.has_value());
    touch(staged->path() / "master.m3u8");
  }
  EXPECT_EQ(entries(), 0U);
}

TEST_F(StagedDirectoryTest, RefusesANonEmptyDestinationUnlessReplacing) {
  fs::create_directories(root_ / "out");
  touch(root_ / "out" / "old.txt");
  const auto refused = StagedDirectory::prepare(root_ / "out", false);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUsage);
  EXPECT_NE(refused.error().message.find("--force"), std::string::npos);

  auto staged = StagedDirectory::prepare(root_ / "out", true);
  ASSERT_TRUE(staged.has_value());
  touch(staged->path() / "new.txt");
  ASSERT_TRUE(staged->commit().has_value());
  EXPECT_TRUE(fs::exists(root_ / "out" / "new.txt"));
  EXPECT_FALSE(fs::exists(root_ / "out" / "old.txt"));
  EXPECT_EQ(entries(), 1U);
}

TEST_F(StagedDirectoryTest, AcceptsAnEmptyExistingDestination) {
  fs::create_directories(root_ / "out");
  auto staged = StagedDirectory::prepare(root_ / "out", false);
  ASSERT_TRUE(staged.has_value());
  touch(staged->path() / "a");
  ASSERT_TRUE(staged->commit().has_value());
  EXPECT_TRUE(fs::exists(root_ / "out" / "a"));
}

}  // namespace
}  // namespace st
