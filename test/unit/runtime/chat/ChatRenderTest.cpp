// Rendering behaviour spelled out case by case: whitespace control, scoping,
// error messages (with line numbers and the construct's name) and the
// resource limits. Broad semantic coverage is ChatDifferentialTest's job.
#include "ChatTestUtil.h"

#include <chrono>
#include <thread>

namespace vlmc::chat::test {
namespace {

Result<std::string> renderWith(std::string_view source, const Value &context,
                               const RenderLimits &limits = {}) {
  auto tmpl = ChatTemplate::parse(source);
  if (!tmpl)
    return tmpl.status();
  return tmpl->render(context, limits);
}

Result<std::string> render(std::string_view source) {
  return renderWith(source, Value::dict());
}

std::string ok(std::string_view source, const Value &context = Value::dict()) {
  auto r = renderWith(source, context);
  EXPECT_TRUE(r.isOk()) << source << ": " << r.status().message();
  return r ? *r : "<error>";
}

std::string errorOf(std::string_view source,
                    const Value &context = Value::dict()) {
  auto r = renderWith(source, context);
  EXPECT_FALSE(r.isOk()) << source << " rendered " << (r ? *r : "");
  return r ? "" : r.status().message();
}

bool contains(const std::string &haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ChatRenderTest, WhitespaceControl) {
  // trim_blocks drops the newline after a block tag, lstrip_blocks the
  // indentation before it.
  EXPECT_EQ(ok("{% if true %}\n  yes\n  {% endif %}\nend"), "  yes\nend");
  // Not after {{ }}.
  EXPECT_EQ(ok("{{ 'a' }}\nb"), "a\nb");
  // '-' strips all whitespace on its side, newlines included.
  EXPECT_EQ(ok("a \n {{- 'b' -}} \n c"), "abc");
  // '+' turns lstrip / trim off for one tag.
  EXPECT_EQ(ok("x\n  {%+ if true %}y{% endif +%}\nz"), "x\n  y\nz");
  // Comments vanish and trim like blocks.
  EXPECT_EQ(ok("a{# note #}\nb"), "ab");
  // One trailing newline of the template is dropped (keep_trailing_newline).
  EXPECT_EQ(ok("line\n"), "line");
  EXPECT_EQ(ok("line\n\n"), "line\n");
  EXPECT_EQ(ok("a\r\nb\rc"), "a\nb\nc");
  EXPECT_EQ(ok("{% raw %}{{ not evaluated }}{% endraw %}"), "{{ not evaluated }}");
}

TEST(ChatRenderTest, Scoping) {
  // A set inside a loop body is local to the iteration...
  EXPECT_EQ(ok("{% set x = 'out' %}{% for i in [1, 2] %}{{ x }}{% set x = i %}"
               "{{ x }}{% endfor %}{{ x }}"),
            "out1out2out");
  // ...which is why templates carry state in a namespace.
  EXPECT_EQ(ok("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}"
               "{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"),
            "6");
  // if does not open a scope.
  EXPECT_EQ(ok("{% if true %}{% set y = 1 %}{% endif %}{{ y }}"), "1");
  // Context variables shadow globals; template sets shadow both.
  EXPECT_EQ(ok("{{ range }}", Value::dict({{"range", "ctx"}})), "ctx");
}

TEST(ChatRenderTest, ValuesPrintLikePython) {
  EXPECT_EQ(ok("{{ none }} {{ true }} {{ 1.0 }} {{ 1e20 }} {{ [1, 'a', none] }} "
               "{{ {'k': (1,)} }} {{ missing }}|"),
            "None True 1.0 1e+20 [1, 'a', None] {'k': (1,)} |");
  EXPECT_EQ(ok("{{ 'é'|length }} {{ 'héllo'[1] }} {{ 'héllo'[::-1] }}"),
            "1 é olléh");
  EXPECT_EQ(ok("{{ x|tojson }}", Value::dict({{"x", Value::dict({{"a", "é"}})}})),
            "{\"a\": \"é\"}");
}

TEST(ChatRenderTest, TransformersGlobals) {
  // strftime_now (Llama 3.x templates date their system prompt with it).
  std::string year = ok("{{ strftime_now('%Y') }}");
  ASSERT_EQ(year.size(), 4u);
  EXPECT_GE(year, "2024");
  EXPECT_EQ(ok("{{ strftime_now('') }}|"), "|");
  EXPECT_EQ(ok("{% generation %}{{ 'said' }}{% endgeneration %}"), "said");
  EXPECT_EQ(ok("{{ range(2, 8, 3)|list }} {{ dict(a=1) }} {{ namespace(a=1).a }}"),
            "[2, 5] {'a': 1} 1");
}

TEST(ChatRenderTest, SyntaxErrorsNameLineAndConstruct) {
  auto wordwrap = render("a\nb\n{{ x|wordwrap }}");
  ASSERT_FALSE(wordwrap.isOk());
  EXPECT_EQ(wordwrap.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wordwrap.status().message(),
            "chat template line 3, column 6: unsupported filter 'wordwrap'");
  EXPECT_TRUE(contains(errorOf("{{ x is prime }}"), "unsupported test 'prime'"));
  EXPECT_TRUE(contains(errorOf("\n{% macro f() %}{% endmacro %}"),
                       "line 2, column 4: unsupported tag 'macro'"));
  EXPECT_TRUE(contains(errorOf("{% frobnicate %}"), "unknown tag 'frobnicate'"));
  EXPECT_TRUE(contains(errorOf("{% for x in y %}"),
                       "unexpected end of template, expected 'endfor' or 'else'"));
  EXPECT_TRUE(contains(errorOf("{% if x %}{% endfor %}"), "unknown tag 'endfor'"));
  EXPECT_TRUE(contains(errorOf("{{ 1 + }}"), "unexpected end of print statement"));
  EXPECT_TRUE(contains(errorOf("{{ a $ b }}"), "unexpected char '$'"));
  EXPECT_TRUE(contains(errorOf("{# open"), "missing end of comment tag"));
  EXPECT_TRUE(contains(errorOf("{{ (1 }}"), "unexpected '}'"));
  EXPECT_TRUE(contains(errorOf("{% break %}"), "'break' outside loop"));
  EXPECT_TRUE(contains(errorOf("{% for x in l recursive %}{% endfor %}"),
                       "unsupported: recursive loops"));
  EXPECT_TRUE(contains(errorOf("{{ '\\N{BULLET}' }}"), "not supported"));
}

TEST(ChatRenderTest, RuntimeErrorsNameLine) {
  EXPECT_EQ(errorOf("ok\n{{ 'x' + missing }}"),
            "chat template line 2: 'missing' is undefined");
  EXPECT_EQ(errorOf("{{ missing.attr }}"),
            "chat template line 1: 'missing' is undefined");
  EXPECT_EQ(errorOf("{{ {}.a.b }}"),
            "chat template line 1: 'dict object' has no attribute 'a'");
  EXPECT_TRUE(contains(errorOf("{{ 1 < 'a' }}"),
                       "'<' not supported between instances of 'int' and 'str'"));
  EXPECT_TRUE(contains(errorOf("{{ 1 // 0 }}"), "division or modulo by zero"));
  EXPECT_TRUE(contains(errorOf("{% for x in 3 %}{% endfor %}"),
                       "'int' object is not iterable"));
  EXPECT_TRUE(contains(errorOf("{% set x = 1 %}{% set x.y = 2 %}"),
                       "non-namespace"));
  EXPECT_TRUE(contains(errorOf("{{ 9223372036854775807 + 1 }}"), "overflow"));
  EXPECT_TRUE(contains(errorOf("{{ {1: 'a'} }}"), "string dict keys"));
}

TEST(ChatRenderTest, RaiseExceptionKeepsMessage) {
  const char *source =
      "{% for m in messages %}\n"
      "{% if m.role not in ['user', 'assistant'] %}"
      "{{ raise_exception('Unknown role: ' ~ m.role) }}{% endif %}"
      "{% endfor %}";
  Value ctx = Value::dict(
      {{"messages", Value::list({Value::dict({{"role", "robot"}})})}});
  auto r = renderWith(source, ctx);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "chat template line 2: Unknown role: robot");
}

TEST(ChatRenderTest, ContextMustBeADict) {
  auto tmpl = ChatTemplate::parse("x");
  ASSERT_TRUE(tmpl.isOk());
  EXPECT_FALSE(tmpl->render(Value::list()).isOk());
  EXPECT_FALSE(tmpl->render(Value()).isOk());
  Value deep = Value::list();
  for (uint32_t i = 0; i < Value::kMaxDepth + 5; ++i)
    deep = Value::list({deep});
  auto r = tmpl->render(Value::dict({{"deep", deep}}));
  ASSERT_FALSE(r.isOk());
  EXPECT_TRUE(contains(r.status().message(), "nested deeper"));
}

TEST(ChatRenderTest, StepLimit) {
  RenderLimits limits;
  limits.maxSteps = 100000;
  auto start = std::chrono::steady_clock::now();
  auto r = renderWith("{% for i in range(100000) %}{% for j in range(100000) %}"
                      "{% endfor %}{% endfor %}",
                      Value::dict(), limits);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The default limit stops an endless-looking template too.
  r = renderWith("{% for a in range(10000) %}{% for b in range(10000) %}"
                 "{% for c in range(10000) %}{% endfor %}{% endfor %}{% endfor %}",
                 Value::dict());
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(ChatRenderTest, OutputLimit) {
  RenderLimits limits;
  limits.maxOutputBytes = 100;
  auto r = renderWith("{% for i in range(1000) %}abcdefgh{% endfor %}",
                      Value::dict(), limits);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  r = renderWith("{{ 'x' * 1000 }}", Value::dict(), limits);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(renderWith("{{ 'x' * 100 }}", Value::dict(), limits).isOk());
}

TEST(ChatRenderTest, AllocationLimit) {
  for (const char *source : {
           "{{ 'x' * 1000000000000 }}",
           "{{ [1] * 1000000000000 }}",
           "{{ range(1000000000000)|length }}",
           "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
           "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
           "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}"
           "{% set ns.l = ns.l + ns.l %}{% endfor %}",
           "{{ ('x' * 10000000).replace('', 'y' * 40) }}",
           "{{ [1, 2]|tojson(indent=100000000) }}",
       }) {
    SCOPED_TRACE(source);
    auto r = render(source);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted)
        << r.status().message();
  }
}

TEST(ChatRenderTest, NestingLimits) {
  std::string parens = "{{ " + std::string(5000, '(') + "1" +
                       std::string(5000, ')') + " }}";
  EXPECT_TRUE(contains(errorOf(parens), "nested too deeply"));
  std::string sum = "{{ 1";
  for (int i = 0; i < 5000; ++i)
    sum += " + 1";
  EXPECT_TRUE(contains(errorOf(sum + " }}"), "nested too deeply"));
  std::string filters = "{{ 'a'";
  for (int i = 0; i < 5000; ++i)
    filters += "|upper";
  EXPECT_TRUE(contains(errorOf(filters + " }}"), "nested too deeply"));
  std::string ifs;
  for (int i = 0; i < 1000; ++i)
    ifs += "{% if true %}";
  EXPECT_TRUE(contains(errorOf(ifs), "nested too deeply"));
  // A value cannot be nested without bound through a namespace either.
  EXPECT_TRUE(contains(errorOf("{% set ns = namespace(x=1) %}"
                               "{% for i in range(1000) %}{% set ns.x = [ns.x] %}"
                               "{% endfor %}"),
                       "nested deeper"));
  // Moderate nesting is fine.
  EXPECT_EQ(ok("{{ " + std::string(30, '(') + "1" + std::string(30, ')') + " }}"),
            "1");
}

TEST(ChatRenderTest, NamespacesHoldOnlyPlainData) {
  EXPECT_TRUE(contains(errorOf("{% set a = namespace() %}{% set b = namespace() %}"
                               "{% set a.b = b %}"),
                       "plain values"));
  EXPECT_TRUE(contains(errorOf("{% set a = namespace() %}{% for i in [1] %}"
                               "{% set a.l = [loop] %}{% endfor %}"),
                       "plain values"));
  EXPECT_TRUE(contains(errorOf("{% set a = namespace() %}"
                               "{% set b = namespace(inner=a) %}"),
                       "plain values"));
}

TEST(ChatRenderTest, ConcurrentRendersShareOneTemplate) {
  auto tmpl = ChatTemplate::parse(
      "{% for m in messages %}{{ m.role|capitalize }}: {{ m.content }}\n{% endfor %}");
  ASSERT_TRUE(tmpl.isOk());
  ChatTemplate copy = *tmpl;
  Value ctx = Value::dict(
      {{"messages", Value::list({Value::dict({{"role", "user"}, {"content", "hi"}})})}});
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(8);
  for (size_t t = 0; t < outputs.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto r = (t % 2 ? copy : *tmpl).render(ctx);
        outputs[t] = r ? *r : r.status().message();
      }
    });
  for (auto &th : threads)
    th.join();
  for (const std::string &out : outputs)
    EXPECT_EQ(out, "User: hi\n");
  EXPECT_EQ(copy.source(), tmpl->source());
}

} // namespace
} // namespace vlmc::chat::test
