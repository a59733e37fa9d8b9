// Shared by the C API tests: artifact lookup and status checks.
#pragma once

#include "vlmc/vlmc.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace vlmc::apitest {

// The artifact `name` in $VLMC_TEST_ARTIFACTS (compiled by the
// compile-test-artifacts fixture), or "" when the variable is unset (a
// runtime-only build: the test skips).
inline std::string artifactPath(const char *name) {
  const char *dir = std::getenv("VLMC_TEST_ARTIFACTS");
  return dir && *dir ? std::string(dir) + "/" + name : std::string();
}

#define VLMC_REQUIRE_ARTIFACT(var, name)                                                  \
  std::string var = ::vlmc::apitest::artifactPath(name);                                 \
  if (var.empty())                                                                       \
    GTEST_SKIP() << "VLMC_TEST_ARTIFACTS is not set (runtime-only build)";

// Takes ownership of `status`: its code (VLMC_OK for NULL) and message.
struct Outcome {
  vlmc_code code;
  std::string message;
};
inline Outcome outcome(vlmc_status status) {
  Outcome o{vlmc_status_code(status), vlmc_status_message(status)};
  vlmc_status_free(status);
  return o;
}

} // namespace vlmc::apitest

// Asserts success, printing the message otherwise.
#define VLMC_ASSERT_OK(expr)                                                              \
  do {                                                                                   \
    ::vlmc::apitest::Outcome o_ = ::vlmc::apitest::outcome(expr);                        \
    ASSERT_EQ(o_.code, VLMC_OK) << o_.message;                                           \
  } while (0)
