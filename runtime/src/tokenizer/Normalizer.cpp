#include "Normalizer.h"

#include "JsonUtil.h"
#include "Unicode.h"

#include <utf8proc.h>

#include <cstdlib>

namespace vlmc::tokenizer::detail {

Status Pattern::findAll(std::string_view s,
                        std::vector<std::pair<size_t, size_t>> &out) const {
  if (regex)
    return regex->findAll(s, out);
  if (literal.empty())
    return Status::ok();
  for (size_t pos = s.find(literal); pos != std::string_view::npos;
       pos = s.find(literal, pos + literal.size()))
    out.emplace_back(pos, pos + literal.size());
  return Status::ok();
}

Result<Pattern> parsePattern(const nlohmann::json &j, const char *what) {
  Pattern p;
  if (j.is_object() && j.contains("String") && j["String"].is_string()) {
    p.literal = j["String"].get<std::string>();
    return p;
  }
  if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
    auto re = Regex::compile(j["Regex"].get<std::string>());
    if (!re)
      return re.status().withContext(what);
    p.regex = std::move(*re);
    return p;
  }
  return invalidArgument(std::string(what) +
                         ": pattern must be {\"String\": ...} or "
                         "{\"Regex\": ...}");
}

namespace {

class UnicodeNormalizer : public Normalizer {
public:
  UnicodeNormalizer(int options, bool composing)
      : options_(options), composing_(composing) {}
  Status normalize(std::string &text) const override {
    // Text below U+0300 is already in NFC (no character there decomposes or
    // combines under canonical composition), so the common case of ASCII /
    // Latin-1 text skips utf8proc entirely.
    if (composing_ && alreadyComposed(text))
      return Status::ok();
    utf8proc_uint8_t *out = nullptr;
    utf8proc_ssize_t n = utf8proc_map(
        reinterpret_cast<const utf8proc_uint8_t *>(text.data()),
        static_cast<utf8proc_ssize_t>(text.size()), &out,
        static_cast<utf8proc_option_t>(options_));
    if (n < 0)
      return invalidArgument(std::string("unicode normalization failed: ") +
                             utf8proc_errmsg(n));
    text.assign(reinterpret_cast<char *>(out), static_cast<size_t>(n));
    std::free(out);
    return Status::ok();
  }

private:
  static bool alreadyComposed(const std::string &s) {
    for (unsigned char c : s)
      // Lead bytes 0xCC and above start code points >= U+0300.
      if (c >= 0xCC)
        return false;
    return true;
  }
  int options_;
  bool composing_;
};

class LowercaseNormalizer : public Normalizer {
public:
  Status normalize(std::string &text) const override {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
      uint32_t cp = decodeUtf8(text, i);
      appendUtf8(out, static_cast<uint32_t>(
                          utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
    }
    text.swap(out);
    return Status::ok();
  }
};

class PrependNormalizer : public Normalizer {
public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  Status normalize(std::string &text) const override {
    if (!text.empty()) // HF leaves empty pieces alone
      text.insert(0, prefix_);
    return Status::ok();
  }

private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
public:
  ReplaceNormalizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  Status normalize(std::string &text) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    VLMC_RETURN_IF_ERROR(pattern_.findAll(text, matches));
    if (matches.empty())
      return Status::ok();
    std::string out;
    out.reserve(text.size() + matches.size() * content_.size());
    size_t prev = 0;
    for (auto [s, e] : matches) {
      out.append(text, prev, s - prev);
      out.append(content_);
      prev = e;
    }
    out.append(text, prev, std::string::npos);
    text.swap(out);
    return Status::ok();
  }

private:
  Pattern pattern_;
  std::string content_;
};

class SequenceNormalizer : public Normalizer {
public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  Status normalize(std::string &text) const override {
    for (const auto &p : parts_)
      VLMC_RETURN_IF_ERROR(p->normalize(text));
    return Status::ok();
  }

private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

} // namespace

Result<std::unique_ptr<Normalizer>> parseNormalizer(const nlohmann::json &j) {
  if (j.is_null())
    return std::unique_ptr<Normalizer>();
  auto type = typeOf(j, "normalizer");
  if (!type)
    return type.status();
  const std::string &t = *type;
  if (t == "NFC")
    return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(
        UTF8PROC_STABLE | UTF8PROC_COMPOSE, true));
  if (t == "NFD")
    return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(
        UTF8PROC_STABLE | UTF8PROC_DECOMPOSE, false));
  if (t == "NFKC")
    return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT, false));
  if (t == "NFKD")
    return std::unique_ptr<Normalizer>(std::make_unique<UnicodeNormalizer>(
        UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, false));
  if (t == "Lowercase")
    return std::unique_ptr<Normalizer>(std::make_unique<LowercaseNormalizer>());
  if (t == "Prepend") {
    auto prefix = getString(j, "prepend", "Prepend normalizer");
    if (!prefix)
      return prefix.status();
    return std::unique_ptr<Normalizer>(
        std::make_unique<PrependNormalizer>(*prefix));
  }
  if (t == "Replace") {
    if (!j.contains("pattern"))
      return invalidArgument("Replace normalizer: missing 'pattern'");
    auto pattern = parsePattern(j["pattern"], "Replace normalizer");
    if (!pattern)
      return pattern.status();
    auto content = getString(j, "content", "Replace normalizer");
    if (!content)
      return content.status();
    return std::unique_ptr<Normalizer>(std::make_unique<ReplaceNormalizer>(
        std::move(*pattern), std::move(*content)));
  }
  if (t == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array())
      return invalidArgument("Sequence normalizer: missing 'normalizers'");
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (const auto &sub : j["normalizers"]) {
      auto p = parseNormalizer(sub);
      if (!p)
        return p.status();
      if (*p)
        parts.push_back(std::move(*p));
    }
    return std::unique_ptr<Normalizer>(
        std::make_unique<SequenceNormalizer>(std::move(parts)));
  }
  return unsupported("normalizer", t);
}

} // namespace vlmc::tokenizer::detail
