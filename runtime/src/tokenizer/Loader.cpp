// tokenizer.json (+ tokenizer_config.json) -> Tokenizer::Impl.
#include "JsonUtil.h"
#include "TokenizerImpl.h"

namespace vlmc::tokenizer::detail {

namespace {

Result<nlohmann::json> parseJson(std::string_view text, const char *what) {
  // The non-throwing parse: a malformed file is an error value, not an
  // exception crossing our API.
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded())
    return invalidArgument(std::string(what) + " is not valid JSON");
  if (!j.is_object())
    return invalidArgument(std::string(what) + " must hold a JSON object");
  return j;
}

Result<std::vector<AddedToken>> parseAddedTokens(const nlohmann::json &j) {
  std::vector<AddedToken> out;
  if (j.is_null())
    return out;
  if (!j.is_array())
    return invalidArgument("'added_tokens' must be an array");
  for (const auto &e : j) {
    if (!e.is_object() || !e.contains("id") || !e["id"].is_number_integer() ||
        !e.contains("content") || !e["content"].is_string())
      return invalidArgument("added token without integer 'id' and string "
                             "'content'");
    AddedToken t;
    t.id = e["id"].get<TokenId>();
    if (t.id < 0)
      return invalidArgument("added token with negative id");
    t.content = e["content"].get<std::string>();
    t.special = getBool(e, "special", false);
    t.lstrip = getBool(e, "lstrip", false);
    t.rstrip = getBool(e, "rstrip", false);
    t.singleWord = getBool(e, "single_word", false);
    // HF's default: special tokens are not normalized, others are.
    t.normalized = getBool(e, "normalized", !t.special);
    out.push_back(std::move(t));
  }
  return out;
}

// tokenizer_config.json names special tokens either as a string or as an
// AddedToken-like object with "content".
std::optional<std::string> configToken(const nlohmann::json &cfg,
                                       const char *key) {
  if (!cfg.contains(key))
    return std::nullopt;
  const auto &v = cfg[key];
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return std::nullopt;
}

Status loadImpl(const nlohmann::json &j, const nlohmann::json *cfg,
                Tokenizer::Impl &impl) {
  if (j.contains("truncation") && !j["truncation"].is_null())
    return unsupported("truncation", "non-null");
  // "padding" only matters for batches of several sequences: ignored.

  if (!j.contains("model") || !j["model"].is_object())
    return invalidArgument("tokenizer.json has no 'model' object");
  const auto &model = j["model"];
  // Old files may omit model.type; HF then recognises BPE by its fields.
  std::string modelType = getOptString(model, "type", "BPE");
  if (modelType != "BPE")
    return unsupported("model", modelType);
  auto bpe = BpeModel::fromJson(model);
  if (!bpe)
    return bpe.status();
  impl.model = std::move(*bpe);

  static const nlohmann::json kNull;
  auto field = [&](const char *key) -> const nlohmann::json & {
    return j.contains(key) ? j[key] : kNull;
  };
  auto normalizer = parseNormalizer(field("normalizer"));
  if (!normalizer)
    return normalizer.status();
  impl.normalizer = std::move(*normalizer);
  auto pre = parsePreTokenizer(field("pre_tokenizer"));
  if (!pre)
    return pre.status();
  impl.preTokenizer = std::move(*pre);
  impl.byteLevel = impl.preTokenizer && impl.preTokenizer->byteLevel();
  auto decoder = parseDecoder(field("decoder"));
  if (!decoder)
    return decoder.status();
  impl.decoder = std::move(*decoder);
  auto post = parsePostProcessor(field("post_processor"));
  if (!post)
    return post.status();
  impl.postProcessor = std::move(*post);

  auto added = parseAddedTokens(field("added_tokens"));
  if (!added)
    return added.status();
  VLMC_RETURN_IF_ERROR(
      impl.added.build(std::move(*added), impl.normalizer.get()));

  auto lookup = [&](const std::string &token) -> std::optional<TokenId> {
    if (auto id = impl.added.find(token))
      return id;
    return impl.model->tokenToId(token);
  };
  if (!impl.model->unkToken().empty())
    impl.special.unk = lookup(impl.model->unkToken());
  if (cfg) {
    auto set = [&](const char *key, std::optional<TokenId> &slot) {
      if (auto name = configToken(*cfg, key))
        if (auto id = lookup(*name))
          slot = id;
    };
    set("bos_token", impl.special.bos);
    set("eos_token", impl.special.eos);
    set("pad_token", impl.special.pad);
    set("unk_token", impl.special.unk);
    impl.special.addBos = getBool(*cfg, "add_bos_token", false);
    impl.special.addEos = getBool(*cfg, "add_eos_token", false);
  }
  return Status::ok();
}

} // namespace

Result<std::unique_ptr<Tokenizer::Impl>>
loadTokenizer(std::string_view tokenizerJson, std::string_view configJson) {
  auto j = parseJson(tokenizerJson, "tokenizer.json");
  if (!j)
    return j.status();
  std::optional<nlohmann::json> cfg;
  if (!configJson.empty()) {
    auto c = parseJson(configJson, "tokenizer_config.json");
    if (!c)
      return c.status();
    cfg = std::move(*c);
  }
  auto impl = std::make_unique<Tokenizer::Impl>();
  // Accessors above check types first, but keep any json exception (e.g. an
  // integer that does not fit) from escaping as a crash.
  try {
    VLMC_RETURN_IF_ERROR(loadImpl(*j, cfg ? &*cfg : nullptr, *impl));
  } catch (const nlohmann::json::exception &e) {
    return invalidArgument(std::string("malformed tokenizer.json: ") +
                           e.what());
  }
  return impl;
}

} // namespace vlmc::tokenizer::detail
