// findChatTemplate over the real model directories and synthetic layouts,
// and the Message / applyChatTemplate API.
#include "ChatTestUtil.h"

#include <map>

namespace vlmc::chat::test {
namespace {

using Files = std::map<std::string, std::string>;

auto reader(const Files &files) {
  return [&files](std::string_view name) -> std::optional<std::string> {
    auto it = files.find(std::string(name));
    if (it == files.end())
      return std::nullopt;
    return it->second;
  };
}

TEST(ChatApiTest, FindTemplateInRealModelDirectories) {
  // chat_template.jinja (what recent transformers writes).
  auto qwen = findChatTemplate(modelFiles("qwen2vl-tiny"));
  ASSERT_TRUE(qwen.isOk()) << qwen.status().message();
  EXPECT_EQ(*qwen, *readFile(dataDir() + "/models/qwen2vl-tiny/chat_template.jinja"));
  EXPECT_TRUE(findChatTemplate(modelFiles("smolvlm-tiny")).isOk());

  // chat_template.json, which wins over tokenizer_config.json.
  for (const char *model : {"qwen2-vl-2b-instruct", "smolvlm-256m-instruct"}) {
    SCOPED_TRACE(model);
    auto found = findChatTemplate(modelFiles(model));
    ASSERT_TRUE(found.isOk()) << found.status().message();
    auto json = valueFromJson(
        *readFile(dataDir() + "/models/" + model + "/chat_template.json"));
    ASSERT_TRUE(json.isOk());
    EXPECT_EQ(*found, json->find("chat_template")->asString());
    EXPECT_TRUE(ChatTemplate::parse(*found).isOk());
  }

  // tokenizer_config.json only (the Qwen3 template).
  auto qwen3 = findChatTemplate(modelFiles("qwen-tokenizer"));
  ASSERT_TRUE(qwen3.isOk()) << qwen3.status().message();
  EXPECT_NE(qwen3->find("namespace(multi_step_tool=true"), std::string::npos);
  EXPECT_TRUE(ChatTemplate::parse(*qwen3).isOk());

  // No template anywhere: NotFound, callers fall back to the raw prompt.
  auto none = findChatTemplate(modelFiles("tinystories-656k"));
  ASSERT_FALSE(none.isOk());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

TEST(ChatApiTest, FindTemplatePrecedenceAndFormats) {
  Files files = {
      {"chat_template.jinja", "J"},
      {"chat_template.json", R"({"chat_template": "C"})"},
      {"tokenizer_config.json", R"({"chat_template": "T"})"},
  };
  EXPECT_EQ(*findChatTemplate(reader(files)), "J");
  files.erase("chat_template.jinja");
  EXPECT_EQ(*findChatTemplate(reader(files)), "C");
  files.erase("chat_template.json");
  EXPECT_EQ(*findChatTemplate(reader(files)), "T");

  // A list of named templates: the "default" one.
  files["tokenizer_config.json"] =
      R"({"chat_template": [{"name": "tool_use", "template": "X"},
                            {"name": "default", "template": "D"}]})";
  EXPECT_EQ(*findChatTemplate(reader(files)), "D");
  files["tokenizer_config.json"] =
      R"({"chat_template": [{"name": "tool_use", "template": "X"}]})";
  auto noDefault = findChatTemplate(reader(files));
  ASSERT_FALSE(noDefault.isOk());
  EXPECT_EQ(noDefault.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(noDefault.status().message().find("tool_use"), std::string::npos);

  // null / absent chat_template: keep looking, then NotFound.
  files["chat_template.json"] = R"({"chat_template": null})";
  files["tokenizer_config.json"] = R"({"model_max_length": 8})";
  EXPECT_EQ(findChatTemplate(reader(files)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(findChatTemplate(reader(Files{})).status().code(), StatusCode::kNotFound);

  // Corrupt JSON is data loss, not "no template".
  files["chat_template.json"] = "{not json";
  auto corrupt = findChatTemplate(reader(files));
  ASSERT_FALSE(corrupt.isOk());
  EXPECT_EQ(corrupt.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(corrupt.status().message().find("chat_template.json"), std::string::npos);
  files["chat_template.json"] = R"({"chat_template": 42})";
  EXPECT_FALSE(findChatTemplate(reader(files)).isOk());
}

TEST(ChatApiTest, MessagesBecomeTransformersDicts) {
  auto parts = messageToValue(Message{"user", {imagePart(), textPart("hi")}});
  ASSERT_TRUE(parts.isOk());
  auto json = valueToJson(*parts);
  ASSERT_TRUE(json.isOk());
  EXPECT_EQ(*json, R"({"role": "user", "content": [{"type": "image"}, )"
                   R"({"type": "text", "text": "hi"}]})");
  auto plain = messageToValue(textMessage("system", "be brief"));
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(*valueToJson(*plain), R"({"role": "system", "content": "be brief"})");
  // Plain content needs exactly one text part.
  EXPECT_FALSE(messageToValue(Message{"user", {imagePart()}, true}).isOk());
  EXPECT_FALSE(messageToValue(Message{"user", {}, true}).isOk());
}

TEST(ChatApiTest, ApplyChatTemplateContext) {
  auto tmpl = ChatTemplate::parse(
      "{{ bos_token }}{% for m in messages %}{{ m.role }}:"
      "{{ m.content if m.content is string else m.content|length }};{% endfor %}"
      "{{ tools is none }}{{ documents is none }}{{ add_generation_prompt }}");
  ASSERT_TRUE(tmpl.isOk());
  std::vector<Message> messages = {
      textMessage("user", "hi"), Message{"user", {imagePart(), textPart("x")}}};
  auto out = applyChatTemplate(*tmpl, messages, false,
                               Value::dict({{"bos_token", "<s>"}}));
  ASSERT_TRUE(out.isOk()) << out.status().message();
  EXPECT_EQ(*out, "<s>user:hi;user:2;TrueTrueFalse");
  // extra may set tools but not the arguments applyChatTemplate owns.
  out = applyChatTemplate(*tmpl, {}, true, Value::dict({{"tools", Value::list()}}));
  ASSERT_TRUE(out.isOk());
  EXPECT_EQ(*out, "FalseTrueTrue");
  EXPECT_FALSE(applyChatTemplate(*tmpl, {}, true,
                                 Value::dict({{"messages", Value::list()}}))
                   .isOk());
  EXPECT_FALSE(applyChatTemplate(*tmpl, {}, true, Value::list()).isOk());
  EXPECT_FALSE(
      applyChatTemplate(*tmpl, {Message{"user", {imagePart()}, true}}, true).isOk());
}

} // namespace
} // namespace vlmc::chat::test
