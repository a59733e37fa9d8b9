#include "vlmc/generate/Generator.h"
#include "vlmc/generate/ImageInputs.h"

#include "vlmc/chat/ChatTemplate.h"
#include "vlmc/image/Idefics3.h"
#include "vlmc/image/Qwen.h"
#include "vlmc/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>

namespace vlmc::generate {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t peakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t(usage.ru_maxrss) * 1024;
}

// Replaces each occurrence of `placeholder` in order by `counts[i]` copies.
Result<std::string> expandPlaceholders(const std::string &text, const std::string &placeholder,
                                       const std::vector<int64_t> &counts) {
  std::string out;
  size_t at = 0, image = 0;
  while (true) {
    size_t next = text.find(placeholder, at);
    if (next == std::string::npos)
      break;
    if (image >= counts.size())
      return invalidArgument("the prompt has more image placeholders than images (" +
                             std::to_string(counts.size()) + ")");
    out.append(text, at, next - at);
    for (int64_t i = 0; i < counts[image]; ++i)
      out += placeholder;
    ++image;
    at = next + placeholder.size();
  }
  if (image != counts.size())
    return invalidArgument(std::to_string(counts.size()) + " images were given but the "
                           "prompt has " + std::to_string(image) + " image placeholders");
  out.append(text, at, std::string::npos);
  return out;
}

std::vector<int32_t> eosIds(const exec::Model &model, const tokenizer::Tokenizer &tok) {
  std::vector<int32_t> ids;
  for (int64_t id : model.config().text.eosTokenIds)
    ids.push_back(int32_t(id));
  if (std::optional<std::string_view> gen = model.file("generation_config.json")) {
    nlohmann::json j = nlohmann::json::parse(*gen, nullptr, false);
    if (j.is_object() && j.contains("eos_token_id")) {
      const auto &e = j["eos_token_id"];
      if (e.is_number_integer())
        ids.push_back(e.get<int32_t>());
      else if (e.is_array())
        for (const auto &v : e)
          if (v.is_number_integer())
            ids.push_back(v.get<int32_t>());
    }
  }
  if (tok.specialTokens().eos)
    ids.push_back(int32_t(*tok.specialTokens().eos));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

} // namespace

struct Generator::Impl {
  std::unique_ptr<exec::Session> session;
  std::optional<tokenizer::Tokenizer> tokenizer;
  std::optional<chat::ChatTemplate> chatTemplate;
  std::vector<int32_t> eos;
};

Generator::~Generator() = default;

Result<std::unique_ptr<Generator>> Generator::create(std::shared_ptr<exec::Model> model,
                                                     const exec::SessionOptions &options) {
  std::unique_ptr<Generator> g(new Generator());
  g->model_ = std::move(model);
  g->impl_ = std::make_unique<Impl>();
  std::optional<std::string_view> tokenizerJson = g->model_->file("tokenizer.json");
  if (!tokenizerJson)
    return notFound("the model embeds no tokenizer.json");
  std::optional<std::string_view> tokenizerConfig = g->model_->file("tokenizer_config.json");
  Result<tokenizer::Tokenizer> tok =
      tokenizer::Tokenizer::fromJson(*tokenizerJson, tokenizerConfig.value_or(""));
  if (!tok)
    return tok.status();
  g->impl_->tokenizer.emplace(std::move(*tok));

  const exec::Model &m = *g->model_;
  Result<std::string> source = chat::findChatTemplate(
      [&m](std::string_view name) -> std::optional<std::string> {
        std::optional<std::string_view> data = m.file(name);
        return data ? std::optional<std::string>(std::string(*data)) : std::nullopt;
      });
  if (source) {
    Result<chat::ChatTemplate> parsed = chat::ChatTemplate::parse(*source);
    if (!parsed)
      return parsed.status().withContext("the model's chat template");
    g->impl_->chatTemplate.emplace(std::move(*parsed));
  } else if (source.status().code() != StatusCode::kNotFound) {
    return source.status();
  }
  g->impl_->eos = eosIds(m, *g->impl_->tokenizer);

  // Sampling reads the prompt's last logits row only.
  exec::SessionOptions sessionOptions = options;
  sessionOptions.prefillLastLogitsOnly = true;
  Result<std::unique_ptr<exec::Session>> session =
      exec::Session::create(g->model_, sessionOptions);
  if (!session)
    return session.status();
  g->impl_->session = std::move(*session);
  return g;
}

const tokenizer::Tokenizer &Generator::tokenizer() const { return *impl_->tokenizer; }
bool Generator::hasChatTemplate() const { return impl_->chatTemplate.has_value(); }

Result<std::string> Generator::renderPrompt(const GenerateRequest &request) const {
  if (!impl_->chatTemplate) {
    if (request.system)
      return invalidArgument("this model has no chat template, so it takes no system prompt");
    return request.prompt;
  }
  std::vector<chat::Message> messages;
  // Parts, not a plain string: SmolVLM's template renders list content only.
  if (request.system)
    messages.push_back(chat::Message{"system", {chat::textPart(*request.system)}, false});
  chat::Message user;
  user.role = "user";
  for (size_t i = 0; i < request.images.size(); ++i)
    user.parts.push_back(chat::imagePart());
  user.parts.push_back(chat::textPart(request.prompt));
  messages.push_back(std::move(user));
  const tokenizer::SpecialTokens &special = impl_->tokenizer->specialTokens();
  chat::Value::Dict entries;
  if (special.bos)
    if (auto t = impl_->tokenizer->idToToken(*special.bos))
      entries.emplace_back("bos_token", chat::Value(*t));
  if (special.eos)
    if (auto t = impl_->tokenizer->idToToken(*special.eos))
      entries.emplace_back("eos_token", chat::Value(*t));
  return chat::applyChatTemplate(*impl_->chatTemplate, messages, true,
                                 chat::Value::dict(std::move(entries)));
}

Result<GenerateResult> Generator::generate(const GenerateRequest &request,
                                           const TokenCallback &onToken) {
  VLMC_RETURN_IF_ERROR(validate(request.sampling));
  if (request.maxTokens <= 0)
    return invalidArgument("max tokens must be positive");
  const model::ModelConfig &config = model_->config();
  if (!request.images.empty() && !config.vision)
    return invalidArgument("this model (" + config.modelType +
                           ") is text-only: it cannot take images");
  Clock::time_point start = Clock::now();
  Result<std::string> text = renderPrompt(request);
  if (!text)
    return text.status();

  // Images: preprocess, expand the placeholders, encode.
  Result<PreparedImages> prepared = prepareImages(*model_, request.images);
  if (!prepared)
    return prepared.status();
  std::vector<exec::ImageInput> &inputs = prepared->inputs;
  if (!request.images.empty()) {
    if (config.family == model::Family::kIdefics3)
      text = image::expandIdefics3Prompt(*text, prepared->idefics3, prepared->imageSeqLen);
    else
      text = expandPlaceholders(*text, "<|image_pad|>", prepared->imageTokens);
    if (!text)
      return text.status();
  }

  GenerateResult result;
  bool raw = !impl_->chatTemplate;
  Result<std::vector<tokenizer::TokenId>> ids = impl_->tokenizer->encode(*text, raw);
  if (!ids)
    return ids.status();
  result.promptIds.assign(ids->begin(), ids->end());
  exec::Session &session = *impl_->session;
  session.reset();
  if (int64_t(result.promptIds.size()) + 1 > session.maxContext())
    return outOfRange("the prompt has " + std::to_string(result.promptIds.size()) +
                      " tokens but the context holds " + std::to_string(session.maxContext()) +
                      " (raise the max context)");

  exec::TensorRef embeddings;
  if (!inputs.empty()) {
    Result<exec::TensorRef> e = session.encodeImages(inputs);
    if (!e)
      return e.status();
    embeddings = *e;
  }
  Result<exec::TensorRef> logits =
      session.prefill(result.promptIds, inputs.empty() ? nullptr : &embeddings, inputs);
  if (!logits)
    return logits.status();

  Sampler sampler(request.sampling);
  const int64_t vocab = logits->shape.back();
  tokenizer::StreamDecoder decoder = impl_->tokenizer->streamDecoder(true);
  int32_t token = sampler.sample(logits->as<float>() + (logits->shape[0] - 1) * vocab, vocab,
                                 result.generatedIds);
  result.stats.timeToFirstToken = secondsSince(start);
  Clock::time_point decodeStart = Clock::now();
  result.finishReason = "length";
  while (true) {
    if (std::binary_search(impl_->eos.begin(), impl_->eos.end(), token)) {
      result.finishReason = "stop";
      break;
    }
    result.generatedIds.push_back(token);
    Result<std::optional<std::string>> piece = decoder.step(token);
    if (!piece)
      return piece.status();
    std::string pieceText = *piece ? **piece : std::string();
    // A stop string may straddle earlier pieces: look for one that ends in
    // the new text, and cut there (what was streamed before stays).
    size_t before = result.text.size();
    result.text += pieceText;
    bool stopped = false;
    for (const std::string &stop : request.stopStrings) {
      if (stop.empty())
        continue;
      size_t from = before + 1 > stop.size() ? before + 1 - stop.size() : 0;
      size_t at = result.text.find(stop, from);
      if (at != std::string::npos) {
        result.text.erase(at);
        pieceText = at > before ? pieceText.substr(0, at - before) : std::string();
        stopped = true;
        break;
      }
    }
    if (onToken && !onToken(token, pieceText)) {
      result.finishReason = "callback";
      break;
    }
    if (stopped) {
      result.finishReason = "stop";
      break;
    }
    if (int(result.generatedIds.size()) >= request.maxTokens)
      break;
    if (session.length() + 1 > session.maxContext()) {
      result.finishReason = "length";
      break;
    }
    // Picked on the device where the artifact can (the ArgMax kernel for a
    // greedy spec, else the Sample kernel): no logits come back.
    Result<int32_t> next = session.decodeSample(token, sampler.next(result.generatedIds));
    if (!next)
      return next.status();
    token = *next;
  }
  double decodeSeconds = secondsSince(decodeStart);
  result.stats.promptTokens = int64_t(result.promptIds.size());
  result.stats.promptTps = double(result.promptIds.size()) / result.stats.timeToFirstToken;
  result.stats.generationTokens = int64_t(result.generatedIds.size());
  result.stats.generationTps =
      decodeSeconds > 0 ? double(result.generatedIds.size()) / decodeSeconds : 0;
  result.stats.peakMemoryBytes = peakRssBytes();
  return result;
}

} // namespace vlmc::generate
