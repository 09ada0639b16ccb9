#include "util/json_bounds.hpp"

#include <gtest/gtest.h>

#include <string>

namespace st {
namespace {

TEST(JsonBounds, AcceptsAnOrdinaryDocument) {
  EXPECT_TRUE(check_json_bounds(R"({"a": [1, {"b": "c"}], "d": "[[[[ in a string ]"})", {}).has_value());
}

TEST(JsonBounds, RefusesNestingDeeperThanTheLimitWithoutRecursing) {
  const std::string deep(100000, '[');
  const auto result = check_json_bounds(deep, {.max_depth = 32});
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("nested deeper than 32 levels"), std::string::npos);
  std::string at_limit(32, '[');
  at_limit += std::string(32, ']');
  EXPECT_TRUE(check_json_bounds(at_limit, {.max_depth = 32}).has_value());
  EXPECT_FALSE(check_json_bounds("[" + at_limit + "]", {.max_depth = 32}).has_value());
}

TEST(JsonBounds, BracketsInsideStringsAndEscapedQuotesDoNotCount) {
  const std::string text = R"({"a": "\"[[[[[[[[[[", "b": "\\"})";
  EXPECT_TRUE(check_json_bounds(text, {.max_depth = 1}).has_value());
}

TEST(JsonBounds, RefusesTooLargeAndTooLongStrings) {
  EXPECT_FALSE(check_json_bounds(std::string(1025, ' '), {.max_bytes = 1024}).has_value());
  const auto long_string = "{\"checksum\": \"sha256:" + std::string(200000, 'a') + "\"}";
  const auto result = check_json_bounds(long_string, {.max_bytes = 1 << 20, .max_string_bytes = 4096});
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("longer than the limit of 4096 bytes"), std::string::npos);
}

}  // namespace
}  // namespace st
