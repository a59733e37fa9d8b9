#include "vlmc/chat/ChatTemplate.h"

#include "Ast.h"
#include "Evaluator.h"
#include "Json.h"
#include "Parser.h"
#include "Try.h"

namespace vlmc::chat {

ChatTemplate::ChatTemplate(std::shared_ptr<const detail::Program> program)
    : program_(std::move(program)) {}

ChatTemplate::~ChatTemplate() = default;

Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
  VLMC_CHAT_TRY(detail::Program program, detail::parseTemplate(source));
  return ChatTemplate(
      std::make_shared<const detail::Program>(std::move(program)));
}

Result<std::string> ChatTemplate::render(const Value &context,
                                         const RenderLimits &limits) const {
  // A Renderer holds one render's state; the program itself is shared.
  detail::Renderer renderer(*program_, limits);
  return renderer.render(context);
}

const std::string &ChatTemplate::source() const { return program_->source; }

ContentPart textPart(std::string text) {
  return ContentPart{ContentPart::Type::kText, std::move(text)};
}

ContentPart imagePart() { return ContentPart{ContentPart::Type::kImage, {}}; }

Message textMessage(std::string role, std::string text) {
  return Message{std::move(role), {textPart(std::move(text))}, true};
}

Result<Value> messageToValue(const Message &message) {
  Value content;
  if (message.plainContent) {
    if (message.parts.size() != 1 ||
        message.parts[0].type != ContentPart::Type::kText)
      return invalidArgument("a message with plain string content needs "
                             "exactly one text part (role '" +
                             message.role + "')");
    content = Value(message.parts[0].text);
  } else {
    content = Value::list();
    for (const ContentPart &part : message.parts) {
      if (part.type == ContentPart::Type::kImage)
        content.append(Value::dict({{"type", "image"}}));
      else
        content.append(Value::dict({{"type", "text"}, {"text", part.text}}));
    }
  }
  return Value::dict({{"role", message.role}, {"content", std::move(content)}});
}

Result<std::string> applyChatTemplate(const ChatTemplate &chatTemplate,
                                      const std::vector<Message> &messages,
                                      bool addGenerationPrompt,
                                      const Value &extra,
                                      const RenderLimits &limits) {
  Value list = Value::list();
  for (const Message &message : messages) {
    VLMC_CHAT_TRY(Value v, messageToValue(message));
    list.append(std::move(v));
  }
  // transformers renders with messages, tools and documents (None unless
  // given), add_generation_prompt, then the caller's kwargs and the
  // tokenizer's special tokens.
  Value context = Value::dict({{"messages", std::move(list)},
                               {"tools", Value()},
                               {"documents", Value()},
                               {"add_generation_prompt", addGenerationPrompt}});
  if (!extra.isDict() && !extra.isNone())
    return invalidArgument("extra chat template variables must be a dict");
  for (const auto &[key, value] : extra.asDict()) {
    if (key == "messages" || key == "add_generation_prompt")
      return invalidArgument("'" + key +
                             "' is set by applyChatTemplate, not by extra");
    context.set(key, value);
  }
  return chatTemplate.render(context, limits);
}

namespace {

Status noTemplateIn(std::string_view file) {
  return notFound("no chat_template in " + std::string(file));
}

// The template of a "chat_template" value: a string, or a list of
// {"name", "template"} from which "default" is taken. kNotFound: none here.
Result<std::string> templateFromValue(const Value &value,
                                      std::string_view file) {
  if (value.isString())
    return value.asString();
  if (value.isNone() || value.isUndefined())
    return noTemplateIn(file);
  if (!value.isList())
    return invalidArgument(std::string(file) +
                           ": chat_template must be a string or a list");
  std::string names;
  for (const Value &entry : value.asList()) {
    const Value *name = entry.find("name");
    const Value *text = entry.find("template");
    if (!name || !text || !name->isString() || !text->isString())
      return invalidArgument(std::string(file) +
                             ": chat_template list entries need string "
                             "'name' and 'template'");
    if (name->asString() == "default")
      return text->asString();
    names += (names.empty() ? "" : ", ") + name->asString();
  }
  if (names.empty())
    return noTemplateIn(file);
  return invalidArgument(std::string(file) + ": chat templates (" + names +
                         ") but none is named 'default'");
}

Result<std::string> templateFromJsonFile(
    const std::function<std::optional<std::string>(std::string_view)> &readFile,
    std::string_view file) {
  std::optional<std::string> text = readFile(file);
  if (!text)
    return noTemplateIn(file);
  auto json = detail::parseJson(*text);
  if (!json)
    return dataLoss(std::string(file) + ": " + json.status().message());
  if (!json->isDict())
    return dataLoss(std::string(file) + ": expected a JSON object");
  const Value *value = json->find("chat_template");
  return templateFromValue(value ? *value : Value(), file);
}

} // namespace

Result<std::string> findChatTemplate(
    const std::function<std::optional<std::string>(std::string_view fileName)>
        &readFile) {
  if (std::optional<std::string> text = readFile("chat_template.jinja"))
    return std::move(*text);
  for (std::string_view file : {"chat_template.json", "tokenizer_config.json"}) {
    Result<std::string> found = templateFromJsonFile(readFile, file);
    if (found.isOk() || found.status().code() != StatusCode::kNotFound)
      return found;
  }
  return notFound("no chat template in chat_template.jinja, "
                  "chat_template.json or tokenizer_config.json");
}

Result<Value> valueFromJson(std::string_view json) {
  return detail::parseJson(json);
}

Result<std::string> valueToJson(const Value &value) {
  std::string out;
  detail::JsonOptions options;
  VLMC_RETURN_IF_ERROR(
      detail::appendJson(value, options, out, std::string().max_size()));
  return out;
}

} // namespace vlmc::chat
