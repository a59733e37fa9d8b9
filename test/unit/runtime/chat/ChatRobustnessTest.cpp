// Hostile templates must give a Status, never a crash or a hang: random
// bytes, random soups of Jinja fragments, mutated real templates and
// pathological nesting, each parsed and rendered under tight limits.
#include "ChatTestUtil.h"

#include <chrono>
#include <random>

namespace vlmc::chat::test {
namespace {

RenderLimits tightLimits() {
  RenderLimits limits;
  limits.maxOutputBytes = 64 << 10;
  limits.maxAllocatedBytes = 8 << 20;
  limits.maxSteps = 200000;
  return limits;
}

const Value &context() {
  static const Value ctx = [] {
    Value messages = Value::list(
        {Value::dict({{"role", "system"}, {"content", "sys"}}),
         Value::dict({{"role", "user"},
                      {"content", Value::list({Value::dict({{"type", "image"}}),
                                               Value::dict({{"type", "text"},
                                                            {"text", "hi"}})})}}),
         Value::dict({{"role", "assistant"}, {"content", "<think>x</think>y"}})});
    return Value::dict({{"messages", messages},
                        {"add_generation_prompt", true},
                        {"tools", Value()},
                        {"s", "str"},
                        {"n", 7},
                        {"l", Value::list({1, 2, 3})}});
  }();
  return ctx;
}

// Parses and renders; returns whether anything went through. The point is
// that it returns at all.
void exercise(const std::string &source) {
  auto tmpl = ChatTemplate::parse(source);
  if (!tmpl) {
    EXPECT_FALSE(tmpl.status().message().empty());
    return;
  }
  auto out = tmpl->render(context(), tightLimits());
  if (!out)
    EXPECT_FALSE(out.status().message().empty());
  else
    EXPECT_LE(out->size(), tightLimits().maxOutputBytes);
}

TEST(ChatRobustnessTest, RandomBytes) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string bytes(rng() % 200, '\0');
    for (char &c : bytes)
      c = static_cast<char>(rng() & 0xFF);
    // Bias towards tag openers so the lexer's inner states get exercised.
    if (iter % 2)
      bytes.insert(rng() % (bytes.size() + 1), iter % 4 == 1 ? "{{" : "{%");
    exercise(bytes);
  }
}

TEST(ChatRobustnessTest, RandomJinjaSoup) {
  static const char *const kPieces[] = {
      "{%", "%}", "{{", "}}", "{#", "#}", "-", "+", " ", "\n", "for", "in",
      "if", "elif", "else", "endif", "endfor", "set", "endset", "ns", "=",
      "namespace(", "x", "m", "messages", "loop.index", "loop.last", "(",
      ")", "[", "]", "{", "}", ":", ",", ".", "|", "'a'", "\"b\"", "1", "0",
      "2.5", "-1", "~", "*", "**", "/", "//", "%", "==", "!=", "<", ">=",
      "and", "or", "not", "is", "defined", "none", "string", "true", "false",
      "upper", "tojson", "join", "map", "select", "length", "trim", "default",
      "range(", "raise_exception(", "break", "continue", "raw", "endraw",
      "generation", "endgeneration", "items()", "split(", "strip(", "[::-1]",
      "'%s'", "add_generation_prompt", "m.content", "m['role']", "l", "n",
      "\\", "é", "\xff", "{{ l * 999999 }}", "{% for a in range(9999) %}"};
  std::mt19937 rng(1234);
  auto start = std::chrono::steady_clock::now();
  for (int iter = 0; iter < 3000; ++iter) {
    std::string source;
    size_t n = 1 + rng() % 40;
    for (size_t k = 0; k < n; ++k)
      source += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
    exercise(source);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(ChatRobustnessTest, MutatedRealTemplates) {
  std::vector<std::string> sources;
  for (const char *model : {"qwen2vl-tiny", "smolvlm-tiny", "qwen-tokenizer",
                            "qwen2-vl-2b-instruct"}) {
    auto found = findChatTemplate(modelFiles(model));
    ASSERT_TRUE(found.isOk()) << model;
    sources.push_back(*found);
  }
  static const char kAlphabet[] = "{}%#-+()[]|.~'\"\n aiez0";
  std::mt19937 rng(99);
  for (int iter = 0; iter < 1500; ++iter) {
    std::string s = sources[iter % sources.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t pos = rng() % s.size();
      switch (rng() % 3) {
      case 0:
        s.erase(pos, 1 + rng() % 8);
        break;
      case 1:
        s.insert(pos, 1, kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
        break;
      default:
        s[pos] = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
      }
    }
    exercise(s);
  }
}

TEST(ChatRobustnessTest, PathologicalInputs) {
  auto repeat = [](const std::string &s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i)
      out += s;
    return out;
  };
  const std::vector<std::string> cases = {
      "{{ " + repeat("(", 100000) + " }}",
      "{{ " + repeat("[", 100000) + " }}",
      "{{ " + repeat("{", 100000) + " }}",
      "{{ " + repeat("not ", 100000) + "1 }}",
      "{{ " + repeat("-", 100000) + "1 }}",
      "{{ x" + repeat(".a", 100000) + " }}",
      "{{ x" + repeat("[0]", 100000) + " }}",
      "{{ x" + repeat("()", 100000) + " }}",
      "{{ 1" + repeat(" if 1 else 1", 20000) + " }}",
      "{{ 1" + repeat(" < 1", 100000) + " }}",
      "{{ 'a'" + repeat(" ~ 'a'", 100000) + " }}",
      "{{ 1" + repeat(" and 1", 100000) + " }}",
      repeat("{% if 1 %}", 100000),
      repeat("{% for x in l %}", 100000),
      repeat("{% set x %}", 100000),
      repeat("{{ ", 100000),
      repeat("{% raw %}", 100000),
      "{{ '" + repeat("\\", 100001) + "' }}",
      "{{ '" + std::string(1 << 20, 'x') + "' }}",
      repeat("{#", 100000),
      std::string(5 << 20, 'x'), // over the template size limit
      "{% for a in range(1000000) %}{% for b in range(1000000) %}{% endfor %}{% endfor %}",
      "{% set ns = namespace(x='ab') %}{% for i in range(100) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}",
      "{{ 'x' * 99999999999 }}",
      "{{ ('a' * 1000)|list|length }}",
      "{% for x in ('a' * 100000000) %}{% endfor %}",
      "{{ range(999999999)|join }}",
      "{{ l|tojson(indent=999999999) }}",
      "{{ '%999999999s' % 'a' }}",
      "{{ 10 ** 10 ** 10 }}",
      "{{ 2.0 ** 99999 }}",
  };
  auto start = std::chrono::steady_clock::now();
  for (const std::string &source : cases) {
    SCOPED_TRACE(source.substr(0, 60));
    auto tmpl = ChatTemplate::parse(source);
    if (tmpl)
      (void)tmpl->render(context(), tightLimits());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

} // namespace
} // namespace vlmc::chat::test
