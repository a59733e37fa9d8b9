// Shared helpers for the chat template tests: test data files and JSON.
#pragma once

#include "vlmc/chat/ChatTemplate.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace vlmc::chat::test {

inline std::string dataDir() { return VLMC_CHAT_TEST_DATA; }

inline std::optional<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// test/data/chat/<relative>, parsed as JSON; fails the test when absent.
inline Value loadJson(const std::string &relative) {
  auto text = readFile(dataDir() + "/" + relative);
  if (!text) {
    ADD_FAILURE() << "missing test data " << relative;
    return Value::dict();
  }
  auto value = valueFromJson(*text);
  if (!value) {
    ADD_FAILURE() << relative << ": " << value.status().message();
    return Value::dict();
  }
  return std::move(*value);
}

// A model directory's files, as findChatTemplate asks for them.
inline auto modelFiles(const std::string &model) {
  return [dir = dataDir() + "/models/" + model](std::string_view name) {
    return readFile(dir + "/" + std::string(name));
  };
}

inline std::string str(const Value *v) { return v ? v->asString() : ""; }

} // namespace vlmc::chat::test
