#include "media/rational.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

TEST(Rational, ParsesFfprobeNotations) {
  EXPECT_EQ(Rational::parse("30000/1001"), (Rational{30000, 1001}));
  EXPECT_EQ(Rational::parse("16:9"), (Rational{16, 9}));
  EXPECT_EQ(Rational::parse("25"), (Rational{25, 1}));
  EXPECT_FALSE(Rational::parse("0/0").has_value());
  EXPECT_FALSE(Rational::parse("abc").has_value());
  EXPECT_FALSE(Rational::parse("30/x").has_value());
}

TEST(Rational, PrintsInLowestTerms) {
  EXPECT_EQ((Rational{60, 2}).to_string(), "30");
  EXPECT_EQ((Rational{30000, 1001}).to_string(), "30000/1001");
  EXPECT_EQ((Rational{50, 4}).to_string(), "25/2");
}

TEST(Rational, ComparesByValue) {
  EXPECT_EQ((Rational{60, 2}), (Rational{30, 1}));
  EXPECT_FALSE((Rational{30000, 1001}) == (Rational{30, 1}));
  EXPECT_FALSE((Rational{0, 1}).valid());
}

}  // namespace
}  // namespace st
