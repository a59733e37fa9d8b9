// The encode / decode pipeline (HF TokenizerImpl::encode_single_sequence and
// decode) and the public API around it.
#include "TokenizerImpl.h"

#include "Unicode.h"

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace vlmc::tokenizer {

using detail::AddedVocabulary;

Status Tokenizer::Impl::encodeInto(std::string_view text,
                                   std::vector<TokenId> &out) const {
  if (auto bad = detail::firstInvalidUtf8(text))
    return invalidArgument("input is not valid UTF-8 (byte offset " +
                           std::to_string(*bad) + ")");
  // 1. Added tokens with normalized=false are cut out of the raw text.
  std::vector<AddedVocabulary::Segment> rawSegs, normSegs;
  added.split(text, /*normalizedSet=*/false, rawSegs);
  std::string piece;
  detail::Splits splits;
  for (const auto &seg : rawSegs) {
    if (seg.id >= 0) {
      out.push_back(seg.id);
      continue;
    }
    // 2. Each remaining piece is normalized on its own (so a Prepend
    //    normalizer applies once per piece, as in HF), then searched for
    //    normalized=true added tokens.
    piece.assign(text.substr(seg.start, seg.end - seg.start));
    if (normalizer)
      VLMC_RETURN_IF_ERROR(normalizer->normalize(piece));
    normSegs.clear();
    added.split(piece, /*normalizedSet=*/true, normSegs);
    for (const auto &nseg : normSegs) {
      if (nseg.id >= 0) {
        out.push_back(nseg.id);
        continue;
      }
      // 3. Pre-tokenize into words, 4. BPE each word.
      splits.parts.assign(
          1, std::string_view(piece).substr(nseg.start, nseg.end - nseg.start));
      splits.owned.clear();
      if (preTokenizer)
        VLMC_RETURN_IF_ERROR(preTokenizer->apply(splits));
      for (std::string_view word : splits.parts)
        VLMC_RETURN_IF_ERROR(model->tokenize(word, byteLevel, out));
    }
  }
  return Status::ok();
}

void Tokenizer::Impl::addSpecial(std::vector<TokenId> &ids) const {
  if (postProcessor->addsTokens()) {
    postProcessor->process(ids);
    return;
  }
  // No template in tokenizer.json: tokenizer_config.json's flags decide.
  if (special.addBos && special.bos)
    ids.insert(ids.begin(), *special.bos);
  if (special.addEos && special.eos)
    ids.push_back(*special.eos);
}

Result<std::string> Tokenizer::Impl::decode(const std::vector<TokenId> &ids,
                                            bool skipSpecialTokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (TokenId id : ids) {
    if (const std::string *form = added.decodeForm(id)) {
      // Skipping goes by id. (HF 0.23 compares the normalized form against
      // the special-token contents, so it fails to skip normalized special
      // tokens such as TinyStories' "<unk>"; we skip them.)
      if (skipSpecialTokens && added.find(id)->special)
        continue;
      tokens.push_back(*form);
    } else if (const std::string *tok = model->idToToken(id)) {
      tokens.push_back(*tok);
    }
    // Unknown ids are skipped, as in HF.
  }
  if (!decoder) {
    std::string out;
    for (size_t k = 0; k < tokens.size(); ++k) {
      if (k)
        out += ' ';
      out += tokens[k];
    }
    return out;
  }
  VLMC_RETURN_IF_ERROR(decoder->decodeChain(tokens));
  std::string out;
  for (const auto &t : tokens)
    out += t;
  return out;
}

// ---------------------------------------------------------------------------

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer &&) noexcept = default;
Tokenizer &Tokenizer::operator=(Tokenizer &&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::fromJson(std::string_view tokenizerJson,
                                      std::string_view configJson) {
  auto impl = detail::loadTokenizer(tokenizerJson, configJson);
  if (!impl)
    return impl.status();
  return Tokenizer(std::move(*impl));
}

namespace {
bool isDirectory(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool isFile(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
Result<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return notFound("cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return dataLoss("error while reading '" + path + "'");
  return ss.str();
}
} // namespace

Result<Tokenizer> Tokenizer::fromPath(const std::string &path) {
  std::string file = path, dir;
  if (isDirectory(path)) {
    dir = path;
    file = path + "/tokenizer.json";
    if (!isFile(file))
      return notFound("no tokenizer.json in directory '" + path + "'");
  } else {
    if (!isFile(path))
      return notFound("no such file or directory: '" + path + "'");
    size_t slash = path.find_last_of('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash);
  }
  auto json = readFile(file);
  if (!json)
    return json.status();
  std::string config;
  std::string configPath = dir + "/tokenizer_config.json";
  if (isFile(configPath)) {
    auto c = readFile(configPath);
    if (!c)
      return c.status();
    config = std::move(*c);
  }
  auto tok = fromJson(*json, config);
  if (!tok)
    return tok.status().withContext("loading '" + file + "'");
  return tok;
}

Result<std::vector<TokenId>> Tokenizer::encode(std::string_view text,
                                               bool addSpecialTokens) const {
  std::vector<TokenId> ids;
  VLMC_RETURN_IF_ERROR(impl_->encodeInto(text, ids));
  if (addSpecialTokens)
    impl_->addSpecial(ids);
  return ids;
}

Status Tokenizer::encodeWithPieces(std::string_view text,
                                   bool addSpecialTokens,
                                   std::vector<TokenId> &ids,
                                   std::vector<std::string> &pieces) const {
  auto r = encode(text, addSpecialTokens);
  if (!r)
    return r.status();
  ids = std::move(*r);
  pieces.clear();
  for (TokenId id : ids)
    pieces.push_back(idToToken(id).value_or(""));
  return Status::ok();
}

Result<std::string> Tokenizer::decode(const std::vector<TokenId> &ids,
                                      bool skipSpecialTokens) const {
  return impl_->decode(ids, skipSpecialTokens);
}

StreamDecoder Tokenizer::streamDecoder(bool skipSpecialTokens) const {
  return StreamDecoder(impl_.get(), skipSpecialTokens);
}

std::optional<std::string> Tokenizer::idToToken(TokenId id) const {
  if (const AddedToken *t = impl_->added.find(id))
    return t->content;
  if (const std::string *s = impl_->model->idToToken(id))
    return *s;
  return std::nullopt;
}

std::optional<TokenId> Tokenizer::tokenToId(std::string_view token) const {
  if (auto id = impl_->added.find(token))
    return id;
  return impl_->model->tokenToId(token);
}

bool Tokenizer::isSpecialToken(TokenId id) const {
  const AddedToken *t = impl_->added.find(id);
  return t && t->special;
}

size_t Tokenizer::vocabSize() const {
  size_t n = impl_->model->size();
  for (const auto &t : impl_->added.tokens())
    n = std::max(n, static_cast<size_t>(t.id) + 1);
  return n;
}

const std::vector<AddedToken> &Tokenizer::addedTokens() const {
  return impl_->added.tokens();
}

const SpecialTokens &Tokenizer::specialTokens() const {
  return impl_->special;
}

std::string sanitizeUtf8(std::string_view bytes) {
  return detail::lossyUtf8(bytes);
}

std::optional<size_t> findInvalidUtf8(std::string_view bytes) {
  return detail::firstInvalidUtf8(bytes);
}

} // namespace vlmc::tokenizer
