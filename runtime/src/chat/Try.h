// Early return for Result<T>: VLMC_CHAT_TRY(auto x, f()) declares x with
// f()'s value, or returns f()'s Status from the enclosing function.
#pragma once

#include "vlmc/support/Status.h"

#define VLMC_CHAT_CONCAT_INNER(a, b) a##b
#define VLMC_CHAT_CONCAT(a, b) VLMC_CHAT_CONCAT_INNER(a, b)
#define VLMC_CHAT_TRY(lhs, expr)                                               \
  VLMC_CHAT_TRY_IMPL(VLMC_CHAT_CONCAT(vlmcChatTry_, __LINE__), lhs, expr)
#define VLMC_CHAT_TRY_IMPL(tmp, lhs, expr)                                     \
  auto tmp = (expr);                                                           \
  if (!tmp.isOk())                                                             \
    return tmp.status();                                                       \
  lhs = std::move(tmp).value()
