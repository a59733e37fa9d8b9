#include "AddedVocabulary.h"

#include "Unicode.h"

#include <algorithm>

namespace vlmc::tokenizer::detail {

Status AddedVocabulary::build(std::vector<AddedToken> tokens,
                              const Normalizer *normalizer) {
  tokens_.clear();
  for (AddedToken &t : tokens) {
    if (t.content.empty())
      continue; // HF ignores empty added tokens
    if (auto it = byContent_.find(t.content); it != byContent_.end()) {
      // The same content twice: the last definition wins, as in HF's map.
      tokens_[it->second] = std::move(t);
      continue;
    }
    byContent_[t.content] = tokens_.size();
    tokens_.push_back(std::move(t));
  }
  decodeForms_.clear();
  byId_.clear();
  for (size_t k = 0; k < tokens_.size(); ++k) {
    const AddedToken &t = tokens_[k];
    std::string form = t.content;
    if (t.normalized && normalizer)
      VLMC_RETURN_IF_ERROR(normalizer->normalize(form).withContext(
          "normalizing added token '" + t.content + "'"));
    decodeForms_.push_back(std::move(form));
    byId_[t.id] = k;
  }
  buildMatcher(raw_, false);
  buildMatcher(normalized_, true);
  return Status::ok();
}

void AddedVocabulary::buildMatcher(Matcher &m, bool normalized) {
  for (auto &v : m.byFirstByte)
    v.clear();
  m.any = false;
  for (size_t k = 0; k < tokens_.size(); ++k) {
    if (tokens_[k].normalized != normalized)
      continue;
    const std::string &text = normalized ? decodeForms_[k] : tokens_[k].content;
    if (text.empty())
      continue;
    m.byFirstByte[static_cast<unsigned char>(text[0])].push_back({text, k});
    m.any = true;
  }
  for (auto &v : m.byFirstByte)
    std::stable_sort(v.begin(), v.end(), [](const auto &a, const auto &b) {
      return a.text.size() > b.text.size();
    });
}

const AddedToken *AddedVocabulary::find(TokenId id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : &tokens_[it->second];
}

std::optional<TokenId> AddedVocabulary::find(std::string_view content) const {
  auto it = byContent_.find(std::string(content));
  if (it == byContent_.end())
    return std::nullopt;
  return tokens_[it->second].id;
}

const std::string *AddedVocabulary::decodeForm(TokenId id) const {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : &decodeForms_[it->second];
}

void AddedVocabulary::split(std::string_view text, bool normalizedSet,
                            std::vector<Segment> &out) const {
  splitWith(text, normalizedSet ? normalized_ : raw_, out);
}

namespace {
// Last code point before `end`, for the single_word check.
uint32_t lastCodepoint(std::string_view s, size_t end) {
  size_t i = end;
  do
    --i;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80);
  return decodeUtf8(s, i);
}
} // namespace

void AddedVocabulary::splitWith(std::string_view text, const Matcher &m,
                                std::vector<Segment> &out) const {
  if (!m.any || text.empty()) {
    if (!text.empty())
      out.push_back({0, text.size(), -1});
    return;
  }
  size_t emitted = 0; // end of the last segment pushed
  size_t pos = 0;
  while (pos < text.size()) {
    const auto &cands = m.byFirstByte[static_cast<unsigned char>(text[pos])];
    const Matcher::Candidate *hit = nullptr;
    for (const auto &c : cands) {
      if (text.compare(pos, c.text.size(), c.text) == 0) {
        hit = &c; // longest first, so the first hit is leftmost-longest
        break;
      }
    }
    if (!hit) {
      ++pos;
      continue;
    }
    const AddedToken &tok = tokens_[hit->token];
    size_t start = pos, stop = pos + hit->text.size();
    // Matching resumes after this match even if it is discarded below
    // (non-overlapping iteration, as HF's Aho-Corasick find_iter).
    pos = stop;
    if (tok.singleWord) {
      bool startOk = start == 0 || !isWordChar(lastCodepoint(text, start));
      size_t k = stop;
      bool stopOk = stop == text.size() || !isWordChar(decodeUtf8(text, k));
      if (!startOk || !stopOk)
        continue;
    }
    if (tok.lstrip) {
      size_t s = start;
      while (s > emitted) {
        size_t prevStart = s;
        do
          --prevStart;
        while (prevStart > 0 &&
               (static_cast<unsigned char>(text[prevStart]) & 0xC0) == 0x80);
        size_t k = prevStart;
        if (!isWhitespace(decodeUtf8(text, k)))
          break;
        s = prevStart;
      }
      start = s;
    }
    if (tok.rstrip) {
      while (stop < text.size()) {
        size_t k = stop;
        if (!isWhitespace(decodeUtf8(text, k)))
          break;
        stop = k;
      }
      pos = stop;
    }
    if (emitted < start)
      out.push_back({emitted, start, -1});
    out.push_back({start, stop, tok.id});
    emitted = stop;
  }
  if (emitted < text.size())
    out.push_back({emitted, text.size(), -1});
}

} // namespace vlmc::tokenizer::detail
