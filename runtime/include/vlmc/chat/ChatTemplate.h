// Hugging Face chat templates: render a model's Jinja chat template exactly as
// transformers' apply_chat_template does (jinja2 with trim_blocks,
// lstrip_blocks, loopcontrols, raise_exception and its own tojson).
//
// There is no C++ Jinja library to lean on, so this implements the subset
// that chat templates use (listed in runtime/src/chat/README.md): text,
// {{ }}, {% %} and {# #} with whitespace control; for (with loop.*, else,
// an `if` filter, break/continue), if/elif/else, set (names, tuples,
// namespace attributes, blocks), raw and transformers' generation tag;
// Python-like expressions, tests, filters and str/dict methods. Anything
// else fails at parse time with a message naming it, e.g.
//   "chat template line 3: unsupported filter 'wordwrap'".
//
// Nothing here throws or aborts on bad input: parse() and render() return a
// Status for any template text or context, and rendering is bounded in
// steps, output size and memory (RenderLimits).
#pragma once

#include "vlmc/chat/Value.h"
#include "vlmc/support/Status.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vlmc::chat {

namespace detail {
struct Program;
} // namespace detail

// Bounds on one render, so a hostile or buggy template can neither hang nor
// exhaust memory. Exceeding one gives kResourceExhausted.
struct RenderLimits {
  size_t maxOutputBytes = size_t(16) << 20;
  // Cumulative bytes of strings and lists built while rendering.
  size_t maxAllocatedBytes = size_t(256) << 20;
  // Expression evaluations, statements and loop iterations.
  uint64_t maxSteps = 20'000'000;
};

class ChatTemplate {
public:
  // Syntax errors give kInvalidArgument "chat template line L, column C: ...";
  // constructs outside the supported subset are named in the message.
  static Result<ChatTemplate> parse(std::string_view source);

  // Renders with `context` (a dict of variables, e.g. messages and
  // add_generation_prompt). Runtime errors (undefined variables used in
  // arithmetic, type errors, raise_exception) give a Status whose message
  // starts "chat template line L: "; raise_exception's text follows as is.
  Result<std::string> render(const Value &context,
                             const RenderLimits &limits = {}) const;

  const std::string &source() const;

  // Copies share the parsed program, which is immutable: render() may be
  // called from several threads at once.
  ChatTemplate(const ChatTemplate &) = default;
  ChatTemplate(ChatTemplate &&) noexcept = default;
  ChatTemplate &operator=(const ChatTemplate &) = default;
  ChatTemplate &operator=(ChatTemplate &&) noexcept = default;
  ~ChatTemplate();

private:
  explicit ChatTemplate(std::shared_ptr<const detail::Program> program);
  std::shared_ptr<const detail::Program> program_;
};

// One item of a message's content.
struct ContentPart {
  enum class Type { kText, kImage };
  Type type = Type::kText;
  std::string text; // kText only
};
ContentPart textPart(std::string text);
ContentPart imagePart();

struct Message {
  std::string role; // "system", "user", "assistant", ...
  std::vector<ContentPart> parts;
  // Pass `content` to the template as a plain string (the text of the one
  // text part) instead of a list of parts - what transformers passes when a
  // caller writes {"role": ..., "content": "..."}. Qwen's templates accept
  // both; SmolVLM's only renders the list form.
  bool plainContent = false;
};
// {"role": role, "content": text} with string content.
Message textMessage(std::string role, std::string text);

// The message as transformers would hand it to the template:
// {"role": ..., "content": [{"type": "image"}, {"type": "text", "text": ...}]}
// or {"role": ..., "content": "..."} with plainContent. kInvalidArgument if
// plainContent is set but the parts are not exactly one text part.
Result<Value> messageToValue(const Message &message);

// Renders `messages` as transformers' apply_chat_template(messages,
// add_generation_prompt=..., tokenize=False, **extra) does: the context is
// {messages, add_generation_prompt, tools: None, documents: None} plus the
// entries of `extra` (a dict, e.g. bos_token/eos_token from the tokenizer's
// special tokens); `extra` may override tools/documents but not the other two.
Result<std::string> applyChatTemplate(const ChatTemplate &chatTemplate,
                                      const std::vector<Message> &messages,
                                      bool addGenerationPrompt,
                                      const Value &extra = Value::dict(),
                                      const RenderLimits &limits = {});

// Finds a model's chat template source the way transformers does, asking
// `readFile` for a file in the model directory (nullopt when absent):
//   1. chat_template.jinja (the text itself);
//   2. chat_template.json: {"chat_template": ...};
//   3. tokenizer_config.json: "chat_template".
// A "chat_template" value may be a string or a list of {"name", "template"}
// from which the one named "default" is taken. kNotFound when no source has
// a template (callers then feed the raw prompt); kDataLoss for unparsable
// JSON; kInvalidArgument for a template list without "default".
Result<std::string> findChatTemplate(
    const std::function<std::optional<std::string>(std::string_view fileName)>
        &readFile);

// JSON text <-> Value (objects keep key order; integers that fit int64 stay
// ints). kInvalidArgument for malformed JSON or nesting deeper than
// Value::kMaxDepth.
Result<Value> valueFromJson(std::string_view json);
// JSON text as Python's json.dumps(value, ensure_ascii=False) writes it
// (", " and ": " separators); undefined values and objects are errors.
Result<std::string> valueToJson(const Value &value);

} // namespace vlmc::chat
