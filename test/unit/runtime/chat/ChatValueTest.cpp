// The Value type: building, copy-on-write sharing, Python equality, depth,
// JSON in and out.
#include "ChatTestUtil.h"

namespace vlmc::chat::test {
namespace {

TEST(ChatValueTest, KindsAndAccessors) {
  EXPECT_TRUE(Value().isNone());
  EXPECT_TRUE(Value(nullptr).isNone());
  EXPECT_TRUE(Value(true).isBool());
  EXPECT_EQ(Value(42).asInt(), 42);
  EXPECT_EQ(Value(uint8_t(7)).kind(), Value::Kind::kInt);
  EXPECT_EQ(Value(2.5).asFloat(), 2.5);
  EXPECT_EQ(Value("hi").asString(), "hi");
  EXPECT_EQ(Value(std::string_view("sv")).asString(), "sv");
  EXPECT_TRUE(Value::undefined("'x' is undefined").isUndefined());
  EXPECT_EQ(Value::undefined("'x' is undefined").undefinedHint(), "'x' is undefined");
  // Wrong-kind accessors are neutral, never a crash.
  EXPECT_EQ(Value(1).asString(), "");
  EXPECT_TRUE(Value("x").asList().empty());
  EXPECT_TRUE(Value().asDict().empty());
  EXPECT_EQ(Value(true).asInt(), 1);
  EXPECT_EQ(Value(3).asFloat(), 3.0);
  EXPECT_EQ(Value("x").find("a"), nullptr);
}

TEST(ChatValueTest, BuildersCopyOnWrite) {
  Value msg = Value::dict({{"role", "user"}, {"content", "Hi"}});
  Value copy = msg;
  copy.set("content", "changed").set("extra", 1);
  EXPECT_EQ(msg.find("content")->asString(), "Hi");
  EXPECT_EQ(msg.size(), 2u);
  EXPECT_EQ(copy.find("content")->asString(), "changed");
  EXPECT_EQ(copy.size(), 3u);
  // Keys keep insertion order; set() replaces in place.
  EXPECT_EQ(copy.asDict()[1].first, "content");

  Value list = Value::list({1, "a"});
  Value shared = list;
  list.append(Value::list());
  EXPECT_EQ(shared.size(), 2u);
  EXPECT_EQ(list.size(), 3u);

  Value dup = Value::dict({{"a", 1}, {"b", 2}, {"a", 3}});
  ASSERT_EQ(dup.size(), 2u);
  EXPECT_EQ(dup.asDict()[0].first, "a");
  EXPECT_EQ(dup.find("a")->asInt(), 3);
}

TEST(ChatValueTest, PythonEquality) {
  EXPECT_EQ(Value(1), Value(1.0));
  EXPECT_EQ(Value(true), Value(1));
  EXPECT_NE(Value(1), Value("1"));
  EXPECT_NE(Value(0.5), Value(0));
  EXPECT_EQ(Value(), Value(nullptr));
  EXPECT_NE(Value(), Value::undefined());
  EXPECT_EQ(Value::undefined("a"), Value::undefined("b"));
  EXPECT_EQ(Value::list({1, 2}), Value::list({1.0, true + 1}));
  EXPECT_NE(Value::list({1, 2}), Value::tuple({1, 2}));
  EXPECT_EQ(Value::dict({{"a", 1}, {"b", 2}}), Value::dict({{"b", 2}, {"a", 1}}));
  EXPECT_NE(Value::dict({{"a", 1}}), Value::dict({{"a", 2}}));
  EXPECT_NE(Value(int64_t(1) << 62), Value(1e300));
}

TEST(ChatValueTest, Depth) {
  EXPECT_EQ(Value(1).depth(), 0u);
  EXPECT_EQ(Value::list().depth(), 1u);
  Value nested = Value::list({Value::dict({{"a", Value::list({1})}})});
  EXPECT_EQ(nested.depth(), 3u);
  Value grow = Value::list();
  grow.append(nested);
  EXPECT_EQ(grow.depth(), 4u);
}

TEST(ChatValueTest, JsonRoundTrip) {
  auto v = valueFromJson(
      R"({"b": [1, -2, 2.5, 1e300, true, null, "é\n\"😀"], "a": {}, "big": 18446744073709551615})");
  ASSERT_TRUE(v.isOk()) << v.status().message();
  EXPECT_EQ(v->asDict()[0].first, "b"); // key order kept
  EXPECT_TRUE(v->find("big")->isFloat()); // beyond int64
  auto text = valueToJson(*v);
  ASSERT_TRUE(text.isOk());
  EXPECT_EQ(*text, "{\"b\": [1, -2, 2.5, 1e+300, true, null, \"é\\n\\\"😀\"], "
                   "\"a\": {}, \"big\": 1.8446744073709552e+19}");
  EXPECT_FALSE(valueFromJson("{").isOk());
  EXPECT_FALSE(valueFromJson("[1,]").isOk());
  EXPECT_FALSE(valueFromJson("\"\xff\"").isOk()); // invalid UTF-8
  EXPECT_FALSE(valueToJson(Value::undefined()).isOk());
}

TEST(ChatValueTest, JsonDepthLimit) {
  std::string ok(Value::kMaxDepth, '['), deep(Value::kMaxDepth + 1, '[');
  ok += std::string(Value::kMaxDepth, ']');
  deep += std::string(Value::kMaxDepth + 1, ']');
  EXPECT_TRUE(valueFromJson(ok).isOk());
  auto r = valueFromJson(deep);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Far deeper input is rejected without recursing through it.
  EXPECT_FALSE(valueFromJson(std::string(1000000, '[')).isOk());
}

} // namespace
} // namespace vlmc::chat::test
