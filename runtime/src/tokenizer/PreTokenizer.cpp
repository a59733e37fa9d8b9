#include "PreTokenizer.h"

#include "JsonUtil.h"
#include "Unicode.h"

#include <algorithm>

namespace vlmc::tokenizer::detail {

namespace {

// HF SplitDelimiterBehavior.
enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

using Ranges = std::vector<std::pair<size_t, size_t>>;

struct Piece {
  size_t start, end;
  bool flag; // "is a match" on input, "remove" after the behaviour pass
};

// Cuts `part` at `matches` (sorted, non-overlapping) the way HF's
// NormalizedString::split does, appending the surviving non-empty pieces.
void splitPart(std::string_view part, const Ranges &matches, Behavior behavior,
               bool invert, std::vector<Piece> &scratch,
               std::vector<std::string_view> &out) {
  // 1. Alternating (gap, false) / (match, true) pieces covering `part`.
  scratch.clear();
  size_t prev = 0;
  for (auto [s, e] : matches) {
    if (prev != s)
      scratch.push_back({prev, s, invert});
    scratch.push_back({s, e, !invert});
    prev = e;
  }
  if (prev != part.size())
    scratch.push_back({prev, part.size(), invert});

  // 2. Apply the behaviour: result pieces with a "remove" flag.
  std::vector<Piece> res;
  res.reserve(scratch.size());
  switch (behavior) {
  case Behavior::kIsolated:
    for (auto p : scratch)
      res.push_back({p.start, p.end, false});
    break;
  case Behavior::kRemoved:
    res = scratch;
    break;
  case Behavior::kContiguous: {
    bool prevMatch = false;
    for (auto p : scratch) {
      if (p.flag == prevMatch && !res.empty())
        res.back().end = p.end;
      else
        res.push_back({p.start, p.end, false});
      prevMatch = p.flag;
    }
    break;
  }
  case Behavior::kMergedWithPrevious: {
    bool prevMatch = false;
    for (auto p : scratch) {
      if (p.flag && !prevMatch && !res.empty())
        res.back().end = p.end;
      else
        res.push_back({p.start, p.end, false});
      prevMatch = p.flag;
    }
    break;
  }
  case Behavior::kMergedWithNext: {
    bool prevMatch = false;
    for (auto it = scratch.rbegin(); it != scratch.rend(); ++it) {
      if (it->flag && !prevMatch && !res.empty())
        res.back().start = it->start;
      else
        res.push_back({it->start, it->end, false});
      prevMatch = it->flag;
    }
    std::reverse(res.begin(), res.end());
    break;
  }
  }
  for (auto p : res)
    if (!p.flag && p.end > p.start)
      out.push_back(part.substr(p.start, p.end - p.start));
}

class SplitPreTokenizer : public PreTokenizer {
public:
  SplitPreTokenizer(Pattern pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  Status apply(Splits &splits) const override {
    std::vector<std::string_view> out;
    out.reserve(splits.parts.size() * 4);
    Ranges matches;
    std::vector<Piece> scratch;
    for (std::string_view part : splits.parts) {
      matches.clear();
      VLMC_RETURN_IF_ERROR(pattern_.findAll(part, matches));
      splitPart(part, matches, behavior_, invert_, scratch, out);
    }
    splits.parts.swap(out);
    return Status::ok();
  }

private:
  Pattern pattern_;
  Behavior behavior_;
  bool invert_;
};

class DigitsPreTokenizer : public PreTokenizer {
public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  Status apply(Splits &splits) const override {
    std::vector<std::string_view> out;
    out.reserve(splits.parts.size() * 2);
    Ranges matches;
    std::vector<Piece> scratch;
    for (std::string_view part : splits.parts) {
      // Every numeric char is its own match, as with HF's char predicate.
      matches.clear();
      size_t i = 0;
      while (i < part.size()) {
        size_t start = i;
        if (isNumeric(decodeUtf8(part, i)))
          matches.emplace_back(start, i);
      }
      splitPart(part, matches,
                individual_ ? Behavior::kIsolated : Behavior::kContiguous,
                false, scratch, out);
    }
    splits.parts.swap(out);
    return Status::ok();
  }

private:
  bool individual_;
};

// GPT-2's pattern, which HF's ByteLevel pre-tokenizer uses when use_regex.
constexpr const char *kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

class ByteLevelPreTokenizer : public PreTokenizer {
public:
  ByteLevelPreTokenizer(bool addPrefixSpace, std::shared_ptr<const Regex> re)
      : addPrefixSpace_(addPrefixSpace), regex_(std::move(re)) {}
  Status apply(Splits &splits) const override {
    if (addPrefixSpace_) {
      for (auto &part : splits.parts) {
        if (!part.empty() && part[0] != ' ') {
          auto s = std::make_unique<std::string>();
          s->reserve(part.size() + 1);
          s->push_back(' ');
          s->append(part);
          part = *s;
          splits.owned.push_back(std::move(s));
        }
      }
    }
    if (!regex_)
      return Status::ok();
    std::vector<std::string_view> out;
    out.reserve(splits.parts.size() * 4);
    Ranges matches;
    std::vector<Piece> scratch;
    for (std::string_view part : splits.parts) {
      matches.clear();
      VLMC_RETURN_IF_ERROR(regex_->findAll(part, matches));
      splitPart(part, matches, Behavior::kIsolated, false, scratch, out);
    }
    splits.parts.swap(out);
    return Status::ok();
  }
  bool byteLevel() const override { return true; }

private:
  bool addPrefixSpace_;
  std::shared_ptr<const Regex> regex_;
};

class SequencePreTokenizer : public PreTokenizer {
public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> p)
      : parts_(std::move(p)) {}
  Status apply(Splits &splits) const override {
    for (const auto &p : parts_)
      VLMC_RETURN_IF_ERROR(p->apply(splits));
    return Status::ok();
  }
  bool byteLevel() const override {
    return !parts_.empty() && parts_.back()->byteLevel();
  }

private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

Result<Behavior> parseBehavior(const nlohmann::json &j) {
  std::string b = getOptString(j, "behavior");
  if (b == "Removed")
    return Behavior::kRemoved;
  if (b == "Isolated")
    return Behavior::kIsolated;
  if (b == "MergedWithPrevious")
    return Behavior::kMergedWithPrevious;
  if (b == "MergedWithNext")
    return Behavior::kMergedWithNext;
  if (b == "Contiguous")
    return Behavior::kContiguous;
  return invalidArgument("Split pre-tokenizer: unknown behavior '" + b + "'");
}

} // namespace

Result<std::unique_ptr<PreTokenizer>>
parsePreTokenizer(const nlohmann::json &j) {
  if (j.is_null())
    return std::unique_ptr<PreTokenizer>();
  auto type = typeOf(j, "pre_tokenizer");
  if (!type)
    return type.status();
  const std::string &t = *type;
  if (t == "Split") {
    if (!j.contains("pattern"))
      return invalidArgument("Split pre-tokenizer: missing 'pattern'");
    auto pattern = parsePattern(j["pattern"], "Split pre-tokenizer");
    if (!pattern)
      return pattern.status();
    auto behavior = parseBehavior(j);
    if (!behavior)
      return behavior.status();
    return std::unique_ptr<PreTokenizer>(std::make_unique<SplitPreTokenizer>(
        std::move(*pattern), *behavior, getBool(j, "invert", false)));
  }
  if (t == "Digits")
    return std::unique_ptr<PreTokenizer>(std::make_unique<DigitsPreTokenizer>(
        getBool(j, "individual_digits", false)));
  if (t == "ByteLevel") {
    std::shared_ptr<const Regex> re;
    if (getBool(j, "use_regex", true)) {
      auto compiled = Regex::compile(kGpt2Pattern);
      if (!compiled)
        return compiled.status();
      re = std::move(*compiled);
    }
    return std::unique_ptr<PreTokenizer>(
        std::make_unique<ByteLevelPreTokenizer>(
            getBool(j, "add_prefix_space", true), std::move(re)));
  }
  if (t == "Sequence") {
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array())
      return invalidArgument("Sequence pre-tokenizer: missing 'pretokenizers'");
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    const auto &arr = j["pretokenizers"];
    for (size_t i = 0; i < arr.size(); ++i) {
      auto p = parsePreTokenizer(arr[i]);
      if (!p)
        return p.status();
      if (!*p)
        continue;
      // Words after ByteLevel stay raw bytes here (see the header), so a
      // pre-tokenizer running after it would see different text than in HF.
      if (!parts.empty() && parts.back()->byteLevel())
        return unsupported("pre_tokenizer", "Sequence with a step after ByteLevel");
      parts.push_back(std::move(*p));
    }
    return std::unique_ptr<PreTokenizer>(
        std::make_unique<SequencePreTokenizer>(std::move(parts)));
  }
  return unsupported("pre_tokenizer", t);
}

} // namespace vlmc::tokenizer::detail
