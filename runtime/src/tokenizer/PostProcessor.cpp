#include "PostProcessor.h"

#include "JsonUtil.h"

namespace vlmc::tokenizer::detail {

namespace {

class NoOpPostProcessor : public PostProcessor {
public:
  void process(std::vector<TokenId> &) const override {}
  bool addsTokens() const override { return false; }
};

// The "single" template: special-token ids around sequence A.
class TemplatePostProcessor : public PostProcessor {
public:
  struct Item {
    bool isSequence;
    std::vector<TokenId> ids; // for special tokens
  };
  explicit TemplatePostProcessor(std::vector<Item> items)
      : items_(std::move(items)) {}
  void process(std::vector<TokenId> &ids) const override {
    std::vector<TokenId> out;
    for (const Item &item : items_) {
      const auto &src = item.isSequence ? ids : item.ids;
      out.insert(out.end(), src.begin(), src.end());
    }
    ids.swap(out);
  }
  bool addsTokens() const override {
    for (const Item &item : items_)
      if (!item.isSequence && !item.ids.empty())
        return true;
    return false;
  }

private:
  std::vector<Item> items_;
};

class SequencePostProcessor : public PostProcessor {
public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> p)
      : parts_(std::move(p)) {}
  void process(std::vector<TokenId> &ids) const override {
    for (const auto &p : parts_)
      p->process(ids);
  }
  bool addsTokens() const override {
    for (const auto &p : parts_)
      if (p->addsTokens())
        return true;
    return false;
  }

private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

Result<std::unique_ptr<PostProcessor>> parseTemplate(const nlohmann::json &j) {
  if (!j.contains("single") || !j["single"].is_array())
    return invalidArgument("TemplateProcessing: missing 'single'");
  const nlohmann::json *specials =
      j.contains("special_tokens") && j["special_tokens"].is_object()
          ? &j["special_tokens"]
          : nullptr;
  std::vector<TemplatePostProcessor::Item> items;
  for (const auto &piece : j["single"]) {
    if (piece.is_object() && piece.contains("Sequence")) {
      items.push_back({true, {}});
    } else if (piece.is_object() && piece.contains("SpecialToken") &&
               piece["SpecialToken"].is_object()) {
      std::string name = getOptString(piece["SpecialToken"], "id");
      if (!specials || !specials->contains(name) ||
          !(*specials)[name].contains("ids") ||
          !(*specials)[name]["ids"].is_array())
        return invalidArgument("TemplateProcessing: special token '" + name +
                               "' is not defined in 'special_tokens'");
      TemplatePostProcessor::Item item{false, {}};
      for (const auto &id : (*specials)[name]["ids"]) {
        if (!id.is_number_integer())
          return invalidArgument("TemplateProcessing: bad id for '" + name +
                                 "'");
        item.ids.push_back(id.get<TokenId>());
      }
      items.push_back(std::move(item));
    } else {
      return invalidArgument("TemplateProcessing: bad template piece");
    }
  }
  return std::unique_ptr<PostProcessor>(
      std::make_unique<TemplatePostProcessor>(std::move(items)));
}

} // namespace

Result<std::unique_ptr<PostProcessor>>
parsePostProcessor(const nlohmann::json &j) {
  if (j.is_null())
    return std::unique_ptr<PostProcessor>(std::make_unique<NoOpPostProcessor>());
  auto type = typeOf(j, "post_processor");
  if (!type)
    return type.status();
  const std::string &t = *type;
  if (t == "ByteLevel")
    return std::unique_ptr<PostProcessor>(std::make_unique<NoOpPostProcessor>());
  if (t == "TemplateProcessing")
    return parseTemplate(j);
  if (t == "Sequence") {
    if (!j.contains("processors") || !j["processors"].is_array())
      return invalidArgument("Sequence post_processor: missing 'processors'");
    std::vector<std::unique_ptr<PostProcessor>> parts;
    for (const auto &sub : j["processors"]) {
      auto p = parsePostProcessor(sub);
      if (!p)
        return p.status();
      parts.push_back(std::move(*p));
    }
    return std::unique_ptr<PostProcessor>(
        std::make_unique<SequencePostProcessor>(std::move(parts)));
  }
  return unsupported("post_processor", t);
}

} // namespace vlmc::tokenizer::detail
