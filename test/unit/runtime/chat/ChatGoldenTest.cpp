// Golden renderings of the supported models' real chat templates. Reference
// cases are transformers' own output (fixtures' reference.json); the rest
// come from jinja2 with transformers' settings, see make_goldens.py.
#include "ChatTestUtil.h"

#include <map>

namespace vlmc::chat::test {
namespace {

// Template source of a goldens.json "templates" entry: a .jinja file or the
// chat_template field of a JSON config.
std::string templateSource(const std::string &path) {
  auto text = readFile(dataDir() + "/" + path);
  EXPECT_TRUE(text.has_value()) << path;
  if (!text)
    return "";
  if (path.size() > 6 && path.compare(path.size() - 6, 6, ".jinja") == 0)
    return *text;
  auto json = valueFromJson(*text);
  EXPECT_TRUE(json.isOk()) << path;
  return json ? str(json->find("chat_template")) : "";
}

// Messages a caller could pass through the Message API: role plus string
// content or a list of {"type": "image"} / {"type": "text", "text"} parts.
std::optional<std::vector<Message>> asMessages(const Value &messages) {
  if (!messages.isList())
    return std::nullopt;
  std::vector<Message> out;
  for (const Value &m : messages.asList()) {
    const Value *role = m.find("role"), *content = m.find("content");
    if (!m.isDict() || m.size() != 2 || !role || !content || !role->isString())
      return std::nullopt;
    if (content->isString()) {
      out.push_back(textMessage(role->asString(), content->asString()));
      continue;
    }
    Message message{role->asString(), {}, false};
    for (const Value &part : content->asList()) {
      std::string type = str(part.find("type"));
      if (type == "image" && part.size() == 1)
        message.parts.push_back(imagePart());
      else if (type == "text" && part.size() == 2 && part.find("text"))
        message.parts.push_back(textPart(str(part.find("text"))));
      else
        return std::nullopt;
    }
    out.push_back(std::move(message));
  }
  return out;
}

TEST(ChatGoldenTest, AllCases) {
  Value goldens = loadJson("goldens.json");
  std::map<std::string, ChatTemplate> templates;
  for (const auto &[name, path] : goldens.find("templates")->asDict()) {
    auto parsed = ChatTemplate::parse(templateSource(path.asString()));
    ASSERT_TRUE(parsed.isOk()) << name << ": " << parsed.status().message();
    templates.emplace(name, std::move(*parsed));
  }
  int viaApi = 0;
  const Value::List &cases = goldens.find("cases")->asList();
  ASSERT_GT(cases.size(), 50u);
  for (const Value &c : cases) {
    SCOPED_TRACE(str(c.find("name")));
    const ChatTemplate &tmpl = templates.at(str(c.find("template")));
    const Value &context = *c.find("context");
    auto rendered = tmpl.render(context);
    if (const Value *expected = c.find("expected")) {
      ASSERT_TRUE(rendered.isOk()) << rendered.status().message();
      EXPECT_EQ(*rendered, expected->asString());
    } else {
      EXPECT_FALSE(rendered.isOk()) << "expected an error like: "
                                    << str(c.find("error"));
      continue;
    }
    // The same conversation through applyChatTemplate, when expressible.
    auto messages = asMessages(*context.find("messages"));
    if (!messages)
      continue;
    Value extra = Value::dict();
    for (const auto &[key, value] : context.asDict())
      if (key != "messages" && key != "add_generation_prompt")
        extra.set(key, value);
    auto applied = applyChatTemplate(
        tmpl, *messages, context.find("add_generation_prompt")->asBool(), extra);
    ASSERT_TRUE(applied.isOk()) << applied.status().message();
    EXPECT_EQ(*applied, c.find("expected")->asString());
    ++viaApi;
  }
  EXPECT_GT(viaApi, 40);
}

// The fixtures' reference prompts through the public API, spelled out.
TEST(ChatGoldenTest, QwenFixtureReferenceViaApi) {
  auto source = findChatTemplate(modelFiles("qwen2vl-tiny"));
  ASSERT_TRUE(source.isOk()) << source.status().message();
  auto tmpl = ChatTemplate::parse(*source);
  ASSERT_TRUE(tmpl.isOk()) << tmpl.status().message();
  Message user{"user", {imagePart(), textPart("Describe this image.")}};
  auto text = applyChatTemplate(*tmpl, {user}, true);
  ASSERT_TRUE(text.isOk()) << text.status().message();
  EXPECT_EQ(*text, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                   "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>"
                   "Describe this image.<|im_end|>\n<|im_start|>assistant\n");
  // Plain string content renders the same for Qwen.
  auto plain = applyChatTemplate(
      *tmpl, {textMessage("user", "Write a haiku about compilers.")}, true);
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(*plain, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                    "<|im_start|>user\nWrite a haiku about compilers.<|im_end|>\n"
                    "<|im_start|>assistant\n");
}

TEST(ChatGoldenTest, SmolVlmReferenceViaApi) {
  auto source = findChatTemplate(modelFiles("smolvlm-256m-instruct"));
  ASSERT_TRUE(source.isOk()) << source.status().message();
  auto tmpl = ChatTemplate::parse(*source);
  ASSERT_TRUE(tmpl.isOk()) << tmpl.status().message();
  auto image = applyChatTemplate(
      *tmpl, {Message{"user", {imagePart(), textPart("Describe this image.")}}},
      true);
  ASSERT_TRUE(image.isOk()) << image.status().message();
  EXPECT_EQ(*image,
            "<|im_start|>User:<image>Describe this image.<end_of_utterance>\n"
            "Assistant:");
  auto text = applyChatTemplate(
      *tmpl, {Message{"user", {textPart("Write a haiku about compilers.")}}},
      true);
  ASSERT_TRUE(text.isOk());
  EXPECT_EQ(*text, "<|im_start|>User: Write a haiku about compilers."
                   "<end_of_utterance>\nAssistant:");
  // transformers hands string content to the template as is; SmolVLM's
  // template then iterates its characters, finds no parts and drops the text.
  auto plain = applyChatTemplate(*tmpl, {textMessage("user", "Hi")}, true);
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(*plain, "<|im_start|>User: <end_of_utterance>\nAssistant:");
}

} // namespace
} // namespace vlmc::chat::test
