#include "vlmc/support/Status.h"

#include <gtest/gtest.h>

namespace vlmc {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0)
    return invalidArgument("expected a positive value, got " + std::to_string(v));
  return v;
}

Status chain(int v) {
  Result<int> r = parsePositive(v);
  if (!r)
    return r.status().withContext("while parsing");
  return Status::ok();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kOk);
}

TEST(StatusTest, ResultCarriesValueOrError) {
  Result<int> good = parsePositive(3);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 3);
  Result<int> bad = parsePositive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(StatusTest, ContextIsPrependedOnlyOnFailure) {
  EXPECT_TRUE(chain(1).isOk());
  Status s = chain(0);
  EXPECT_EQ(s.message(), "while parsing: expected a positive value, got 0");
  EXPECT_STREQ(statusCodeName(s.code()), "invalid argument");
}

} // namespace
} // namespace vlmc
