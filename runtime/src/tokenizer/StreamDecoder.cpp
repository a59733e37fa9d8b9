// Incremental decoding, after HF's step_decode_stream: keep the ids since
// the last emitted chunk plus a few before it (`prefix`, the text they
// decoded to), re-decode, and emit what extends the prefix once it no longer
// ends in U+FFFD (an incomplete UTF-8 sequence so far).
#include "TokenizerImpl.h"

namespace vlmc::tokenizer {

namespace {
bool endsWithReplacement(const std::string &s) {
  return s.size() >= 3 && s.compare(s.size() - 3, 3, "\xEF\xBF\xBD") == 0;
}
} // namespace

Result<std::optional<std::string>> StreamDecoder::step(TokenId id) {
  const Tokenizer::Impl &impl = *impl_;
  if (prefix_.empty() && !ids_.empty()) {
    auto p = impl.decode(ids_, skipSpecial_);
    if (!p)
      return p.status();
    if (!endsWithReplacement(*p)) {
      prefix_ = std::move(*p);
      prefixIndex_ = ids_.size();
    }
  }
  ids_.push_back(id);
  auto text = impl.decode(ids_, skipSpecial_);
  if (!text)
    return text.status();
  if (text->size() <= prefix_.size() || endsWithReplacement(*text))
    return std::optional<std::string>();
  if (text->compare(0, prefix_.size(), prefix_) != 0)
    return internalError("stream decoding: text of id " + std::to_string(id) +
                         " does not extend the previous output");
  std::string fresh = text->substr(prefix_.size());
  // Keep only the ids from the previous prefix on: they are the context the
  // next step needs (e.g. so Strip sees a non-initial token).
  size_t newPrefixIndex = ids_.size() - prefixIndex_;
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<ptrdiff_t>(prefixIndex_));
  auto p = impl.decode(ids_, skipSpecial_);
  if (!p)
    return p.status();
  prefix_ = std::move(*p);
  prefixIndex_ = newPrefixIndex;
  return std::optional<std::string>(std::move(fresh));
}

void StreamDecoder::reset() {
  ids_.clear();
  prefix_.clear();
  prefixIndex_ = 0;
}

} // namespace vlmc::tokenizer
