// SafetensorsFile: valid files, and every class of malformed header.
#include "TestUtil.h"
#include "vlmc/io/Safetensors.h"

#include <gtest/gtest.h>

using namespace vlmc;
using namespace vlmc::io;
using vlmc::io::testing::makeImage;

namespace {

Result<SafetensorsFile> parse(const std::string &header,
                              const std::string &data = "") {
  return SafetensorsFile::fromBytes(makeImage(header, data), "mem.safetensors");
}

// The error message for a header that must be rejected.
std::string rejectReason(const std::string &header,
                         const std::string &data = "") {
  auto r = parse(header, data);
  EXPECT_FALSE(r.isOk()) << header;
  return r.isOk() ? std::string() : r.status().message();
}

TEST(SafetensorsReader, ParsesValidHeader) {
  std::string data(4 * 2 + 2 * 3, '\x01');
  auto r = parse(R"({"__metadata__":{"format":"pt"},)"
                 R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]},)"
                 R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                 data);
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->metadata().at("format"), "pt");
  ASSERT_EQ(r->tensors().size(), 2u);
  // File order is offset order.
  EXPECT_EQ(r->tensors()[0].name, "a");
  EXPECT_EQ(r->tensors()[1].name, "b");
  const TensorView *b = r->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::kBF16);
  EXPECT_EQ(b->shape, std::vector<int64_t>{3});
  EXPECT_EQ(b->nbytes, 6u);
  EXPECT_EQ(b->numel(), 3);
  EXPECT_EQ(r->find("c"), nullptr);
}

TEST(SafetensorsReader, AcceptsPaddingScalarsEmptyTensorsAndNullMetadata) {
  auto r = parse(R"({"__metadata__":null,"s":{"dtype":"I64","shape":[],)"
                 R"("data_offsets":[0,8]},"e":{"dtype":"U8","shape":[0,5],)"
                 R"("data_offsets":[8,8]}}    )",
                 std::string(8, '\0'));
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->find("s")->numel(), 1);
  EXPECT_EQ(r->find("e")->nbytes, 0u);
}

TEST(SafetensorsReader, AllDTypesKnown) {
  for (const char *name :
       {"F32", "F16", "BF16", "U8", "I8", "U16", "I16", "U32", "I32", "U64",
        "I64", "F64", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0"}) {
    auto dt = parseDType(name);
    ASSERT_TRUE(dt.has_value()) << name;
    EXPECT_STREQ(dtypeName(*dt), name);
    size_t sz = dtypeSize(*dt);
    std::string header = std::string(R"({"t":{"dtype":")") + name +
                         R"(","shape":[2],"data_offsets":[0,)" +
                         std::to_string(2 * sz) + "]}}";
    EXPECT_TRUE(parse(header, std::string(2 * sz, '\0')).isOk()) << name;
  }
  EXPECT_FALSE(parseDType("F4").has_value());
}

TEST(SafetensorsReader, RejectsTruncatedFiles) {
  EXPECT_FALSE(SafetensorsFile::fromBytes("", "x").isOk());
  EXPECT_FALSE(SafetensorsFile::fromBytes("1234567", "x").isOk());
  std::string full = makeImage(
      R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
      std::string(16, '\0'));
  for (size_t cut = 0; cut < full.size(); ++cut) {
    auto r = SafetensorsFile::fromBytes(full.substr(0, cut), "cut.safetensors");
    EXPECT_FALSE(r.isOk()) << cut;
    EXPECT_NE(r.status().message().find("cut.safetensors"), std::string::npos);
  }
  EXPECT_TRUE(SafetensorsFile::fromBytes(full, "x").isOk());
}

TEST(SafetensorsReader, RejectsLyingHeaderLength) {
  std::string img = makeImage(R"({})");
  img[0] = 100; // longer than the file
  auto r = SafetensorsFile::fromBytes(img, "lie.safetensors");
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("exceeds the file size"),
            std::string::npos);
  std::string huge(8, '\0');
  huge[4] = 1; // 2^32 > 100 MB
  EXPECT_NE(SafetensorsFile::fromBytes(huge + "{}", "x")
                .status()
                .message()
                .find("100 MB"),
            std::string::npos);
  std::string zero(8, '\0');
  EXPECT_FALSE(SafetensorsFile::fromBytes(zero + "{}", "x").isOk());
  // A header length that cuts the JSON short.
  std::string shortLen = makeImage(R"({"__metadata__":{}})");
  shortLen[0] = 5;
  EXPECT_FALSE(SafetensorsFile::fromBytes(shortLen, "x").isOk());
}

TEST(SafetensorsReader, RejectsMalformedJson) {
  EXPECT_NE(rejectReason("{\"a\":").find("not valid JSON"), std::string::npos);
  EXPECT_NE(rejectReason("[1,2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(rejectReason(R"({"__metadata__":{"k":1}})").find("__metadata__"),
            std::string::npos);
  EXPECT_NE(rejectReason(R"({"__metadata__":[]})").find("__metadata__"),
            std::string::npos);
  rejectReason(std::string("{\"a\":\"\xff\"}"));  // invalid UTF-8
  rejectReason(std::string("{}\0\0", 4));          // NUL padding is not JSON
}

TEST(SafetensorsReader, RejectsBadTensorEntries) {
  EXPECT_NE(rejectReason(R"({"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})",
                         std::string(4, '\0'))
                .find("tensor 'w': unknown dtype 'F33'"),
            std::string::npos);
  rejectReason(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", "abcd");
  rejectReason(R"({"w":{"dtype":1,"shape":[1],"data_offsets":[0,4]}})", "abcd");
  rejectReason(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "abcd");
  rejectReason(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", "abcd");
  rejectReason(R"({"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})", "abcd");
  rejectReason(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "abcd");
  rejectReason(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", "abcd");
  rejectReason(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", "abcd");
  rejectReason(R"({"w":[1,2]})", "abcd");
  // Shape overflow: 2^62 * 2^62.
  EXPECT_NE(rejectReason(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]}})",
                         "abcd")
                .find("overflow"),
            std::string::npos);
  // numel fits but bytes overflow.
  rejectReason(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]}})",
               "abcd");
  // Shape/size mismatch.
  EXPECT_NE(rejectReason(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})",
                         "abcd")
                .find("does not match"),
            std::string::npos);
  // Range beyond the data section.
  EXPECT_NE(rejectReason(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                         "abcd")
                .find("exceeds the data section"),
            std::string::npos);
  rejectReason(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551616]}})",
               "abcd");
}

TEST(SafetensorsReader, RejectsOverlapsGapsTrailingBytesAndDuplicates) {
  std::string data(8, '\0');
  EXPECT_NE(rejectReason(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
                         data)
                .find("overlaps"),
            std::string::npos);
  EXPECT_NE(rejectReason(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                         data)
                .find("overlaps"),
            std::string::npos);
  EXPECT_NE(rejectReason(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         data)
                .find("gap"),
            std::string::npos);
  EXPECT_NE(rejectReason(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                         data)
                .find("after the last tensor"),
            std::string::npos);
  EXPECT_NE(rejectReason(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         data)
                .find("more than once"),
            std::string::npos);
}

TEST(SafetensorsReader, OpensFixtureFiles) {
  auto r = SafetensorsFile::open(vlmc::io::testing::testDataDir() +
                                 "/tinystories-656k/model.safetensors");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->tensors().size(), 20u);
  EXPECT_EQ(r->metadata().at("model.embed_tokens.weight"), "lm_head.weight");
  const TensorView *lm = r->find("lm_head.weight");
  ASSERT_NE(lm, nullptr);
  EXPECT_EQ(lm->dtype, DType::kF32);
  EXPECT_EQ(lm->shape, (std::vector<int64_t>{2048, 128}));

  auto missing = SafetensorsFile::open("/nonexistent/x.safetensors");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/x.safetensors"),
            std::string::npos);
}

} // namespace
