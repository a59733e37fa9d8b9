// Differential test against jinja2: snippets covering the supported syntax
// and semantics plus 1,500 random expressions, each rendered by jinja2 3.1
// with transformers' settings (make_goldens.py). Where jinja2 raised, we
// must fail too; otherwise the output must match byte for byte. Cases marked
// "unsupported" are valid jinja2 we reject with a message saying so.
#include "ChatTestUtil.h"

namespace vlmc::chat::test {
namespace {

TEST(ChatDifferentialTest, MatchesJinja2) {
  Value data = loadJson("differential.json");
  const Value &context = *data.find("context");
  const Value::List &cases = data.find("cases")->asList();
  ASSERT_GT(cases.size(), 1000u);
  int failures = 0;
  for (const Value &c : cases) {
    const std::string &source = c.find("template")->asString();
    auto tmpl = ChatTemplate::parse(source);
    Result<std::string> out = tmpl ? tmpl->render(context)
                                   : Result<std::string>(tmpl.status());
    if (c.find("unsupported")) { // valid jinja2 outside the subset
      EXPECT_FALSE(out.isOk()) << source;
      if (!out.isOk()) {
        EXPECT_NE(out.status().message().find("unsupported"), std::string::npos)
            << out.status().message();
      }
      continue;
    }
    const Value *expected = c.find("expected");
    bool ok = expected ? out.isOk() && *out == expected->asString() : !out.isOk();
    if (!ok && ++failures <= 40) {
      ADD_FAILURE() << "template: " << source << "\n  jinja2: "
                    << (expected ? "\"" + expected->asString() + "\""
                                 : "error " + str(c.find("error")))
                    << "\n  ours:   "
                    << (out.isOk() ? "\"" + *out + "\""
                                   : "error " + out.status().message());
    }
  }
  EXPECT_EQ(failures, 0) << "of " << cases.size() << " cases";
}

} // namespace
} // namespace vlmc::chat::test
