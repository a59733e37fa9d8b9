#include "Decoder.h"

#include "JsonUtil.h"
#include "Normalizer.h"
#include "Unicode.h"

namespace vlmc::tokenizer::detail {

namespace {

const char kReplacementChar[] = "\xEF\xBF\xBD";

// Maps each token's characters back to bytes through the GPT-2 table (a
// token with any character outside the table is taken as-is, e.g. an added
// token), then decodes the concatenation lossily: one output string.
class ByteLevelDecoder : public Decoder {
public:
  Status decodeChain(std::vector<std::string> &tokens) const override {
    std::string bytes;
    std::string tokBytes;
    for (const std::string &t : tokens) {
      tokBytes.clear();
      bool ok = true;
      size_t i = 0;
      while (i < t.size()) {
        int b = codepointToByte(decodeUtf8(t, i));
        if (b < 0) {
          ok = false;
          break;
        }
        tokBytes.push_back(static_cast<char>(b));
      }
      bytes += ok ? tokBytes : t;
    }
    tokens.assign(1, lossyUtf8(bytes));
    return Status::ok();
  }
};

// Runs of <0xNN> tokens become their bytes when those form valid UTF-8,
// otherwise one U+FFFD per byte (HF's behaviour).
class ByteFallbackDecoder : public Decoder {
public:
  Status decodeChain(std::vector<std::string> &tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string pending;
    auto flush = [&]() {
      if (pending.empty())
        return;
      if (!firstInvalidUtf8(pending)) {
        out.push_back(pending);
      } else {
        for (size_t k = 0; k < pending.size(); ++k)
          out.emplace_back(kReplacementChar);
      }
      pending.clear();
    };
    for (std::string &t : tokens) {
      int byte = parseByteToken(t);
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens.swap(out);
    return Status::ok();
  }

private:
  static int hexDigit(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }
  static int parseByteToken(const std::string &t) {
    if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>')
      return -1;
    int hi = hexDigit(t[3]), lo = hexDigit(t[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }
};

class FuseDecoder : public Decoder {
public:
  Status decodeChain(std::vector<std::string> &tokens) const override {
    std::string all;
    for (const auto &t : tokens)
      all += t;
    tokens.assign(1, std::move(all));
    return Status::ok();
  }
};

// Removes up to `start` leading and `stop` trailing copies of one character
// from every token.
class StripDecoder : public Decoder {
public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  Status decodeChain(std::vector<std::string> &tokens) const override {
    if (content_.empty())
      return Status::ok();
    const size_t c = content_.size();
    for (std::string &t : tokens) {
      size_t begin = 0;
      for (size_t k = 0; k < start_ && t.compare(begin, c, content_) == 0 &&
                         begin + c <= t.size();
           ++k)
        begin += c;
      size_t end = t.size();
      for (size_t k = 0; k < stop_ && end >= begin + c &&
                         t.compare(end - c, c, content_) == 0;
           ++k)
        end -= c;
      t = t.substr(begin, end - begin);
    }
    return Status::ok();
  }

private:
  std::string content_;
  size_t start_, stop_;
};

class ReplaceDecoder : public Decoder {
public:
  ReplaceDecoder(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  Status decodeChain(std::vector<std::string> &tokens) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    for (std::string &t : tokens) {
      matches.clear();
      VLMC_RETURN_IF_ERROR(pattern_.findAll(t, matches));
      if (matches.empty())
        continue;
      std::string out;
      size_t prev = 0;
      for (auto [s, e] : matches) {
        out.append(t, prev, s - prev).append(content_);
        prev = e;
      }
      out.append(t, prev, std::string::npos);
      t.swap(out);
    }
    return Status::ok();
  }

private:
  Pattern pattern_;
  std::string content_;
};

class SequenceDecoder : public Decoder {
public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts)
      : parts_(std::move(parts)) {}
  Status decodeChain(std::vector<std::string> &tokens) const override {
    for (const auto &p : parts_)
      VLMC_RETURN_IF_ERROR(p->decodeChain(tokens));
    return Status::ok();
  }

private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

} // namespace

Result<std::unique_ptr<Decoder>> parseDecoder(const nlohmann::json &j) {
  if (j.is_null())
    return std::unique_ptr<Decoder>();
  auto type = typeOf(j, "decoder");
  if (!type)
    return type.status();
  const std::string &t = *type;
  if (t == "ByteLevel")
    return std::unique_ptr<Decoder>(std::make_unique<ByteLevelDecoder>());
  if (t == "ByteFallback")
    return std::unique_ptr<Decoder>(std::make_unique<ByteFallbackDecoder>());
  if (t == "Fuse")
    return std::unique_ptr<Decoder>(std::make_unique<FuseDecoder>());
  if (t == "Strip") {
    auto content = getString(j, "content", "Strip decoder");
    if (!content)
      return content.status();
    // HF's content is a single char.
    size_t i = 0;
    if (content->empty() || (decodeUtf8(*content, i), i != content->size()))
      return invalidArgument("Strip decoder: 'content' must be one character");
    auto count = [&](const char *key) -> size_t {
      return j.contains(key) && j[key].is_number_unsigned()
                 ? j[key].get<size_t>()
                 : 0;
    };
    return std::unique_ptr<Decoder>(std::make_unique<StripDecoder>(
        std::move(*content), count("start"), count("stop")));
  }
  if (t == "Replace") {
    if (!j.contains("pattern"))
      return invalidArgument("Replace decoder: missing 'pattern'");
    auto pattern = parsePattern(j["pattern"], "Replace decoder");
    if (!pattern)
      return pattern.status();
    auto content = getString(j, "content", "Replace decoder");
    if (!content)
      return content.status();
    return std::unique_ptr<Decoder>(std::make_unique<ReplaceDecoder>(
        std::move(*pattern), std::move(*content)));
  }
  if (t == "Sequence") {
    if (!j.contains("decoders") || !j["decoders"].is_array())
      return invalidArgument("Sequence decoder: missing 'decoders'");
    std::vector<std::unique_ptr<Decoder>> parts;
    for (const auto &sub : j["decoders"]) {
      auto d = parseDecoder(sub);
      if (!d)
        return d.status();
      if (*d)
        parts.push_back(std::move(*d));
    }
    return std::unique_ptr<Decoder>(
        std::make_unique<SequenceDecoder>(std::move(parts)));
  }
  return unsupported("decoder", t);
}

} // namespace vlmc::tokenizer::detail
